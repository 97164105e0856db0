"""``simexit …`` — the command line. Every refused command exits with code 2 and says why on stderr.

One registry names each top-level command and where it lives (after pip's ``commands/__init__.py``): a command
module is imported only when its command runs (``simexit --help`` loads them all for their summaries). Command
modules import ``simexit.cli.common`` and the use cases, never each other or this module. A group whose
subcommands live in several modules (``review``, ``sim``) names each part; the first part's help text is the
group's.
"""

from __future__ import annotations

import importlib

import click

# name → ((module, object name), …)
COMMANDS: dict[str, tuple[tuple[str, str], ...]] = {
    "apply": (("simexit.cli.closure", "apply"),),
    "audit": (("simexit.cli.audit", "audit"),),
    "bulk": (("simexit.cli.bulk", "bulk"),),
    "db": (("simexit.cli.admin", "db"),),
    "demo": (("simexit.cli.loading", "demo"),),
    "erasure": (("simexit.cli.audit", "erasure"),),
    "export": (("simexit.cli.audit", "export"),),
    "import": (("simexit.cli.loading", "import_cmd"),),
    "lines": (("simexit.cli.closure", "lines"),),
    "outbox": (("simexit.cli.api", "outbox_group"),),
    "partner-key": (("simexit.cli.api", "partner_key"),),
    "policies": (("simexit.cli.admin", "policies"),),
    "precheck": (("simexit.cli.closure", "precheck"),),
    "receipt": (("simexit.cli.messaging", "receipt"),),
    "refunds": (("simexit.cli.messaging", "refunds"),),
    "relying-parties": (("simexit.cli.messaging", "relying_parties"),),
    "report": (("simexit.cli.audit", "report"),),
    "review": (("simexit.cli.closure", "review"), ("simexit.cli.worker", "review")),
    "rnd": (("simexit.cli.messaging", "rnd"),),
    "serve": (("simexit.cli.admin", "serve"),),
    "show": (("simexit.cli.closure", "show"),),
    "sim": (("simexit.cli.worker", "sim"), ("simexit.cli.messaging", "sim")),
    "staff": (("simexit.cli.admin", "staff_group"),),
    "steps": (("simexit.cli.worker", "steps"),),
    "withdraw": (("simexit.cli.closure", "withdraw"),),
    "worker": (("simexit.cli.worker", "worker"),),
}


def load_command(name: str) -> click.Command:
    """The command registered as ``name``, its module imported now (parts of a group joined into the first)."""
    (module, attr), *more = COMMANDS[name]
    cmd: click.Command = getattr(importlib.import_module(module), attr)
    for part_module, part_attr in more:
        part = getattr(importlib.import_module(part_module), part_attr)
        assert isinstance(cmd, click.Group) and isinstance(part, click.Group), name
        for sub in part.commands.values():
            cmd.add_command(sub)
    return cmd


class _Registry(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) if cmd_name in COMMANDS else None


@click.group(cls=_Registry)
@click.version_option(package_name="simexit")
def main() -> None:
    """simexit — close a subscriber's line properly."""


if __name__ == "__main__":
    main()
