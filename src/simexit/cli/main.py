"""``simexit …`` — the command line. Every refused command exits with code 2 and says why on stderr."""

from __future__ import annotations

import click

from simexit.cli import admin, api, audit, bulk, closure, loading, messaging, worker
from simexit.cli.common import DEFAULT_IDENTITY, _app, _fail, _out, _parse_date, refusals  # noqa: F401


@click.group()
@click.version_option(package_name="simexit")
def main() -> None:
    """simexit — close a subscriber's line properly."""


for _cmd in (admin.db, admin.policies, loading.demo, loading.import_cmd, closure.lines, closure.precheck,
             closure.apply, closure.show, closure.review, closure.withdraw, admin.serve, admin.staff_group,
             worker.worker, worker.steps, worker.sim, messaging.refunds, messaging.rnd, messaging.relying_parties,
             messaging.receipt, audit.export, audit.erasure, audit.audit, audit.report, api.partner_key,
             api.outbox_group):
    main.add_command(_cmd)
for _name, _extra in (("review", worker.review), ("sim", messaging.sim)):
    for _sub in _extra.commands.values():
        main.commands[_name].add_command(_sub)  # type: ignore[attr-defined]
bulk.register(main)

if __name__ == "__main__":
    main()
