"""``simexit export …``, ``simexit erasure …``, ``simexit audit …`` and ``simexit report …``."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from simexit.cli.common import _app, _out, _parse_date, refusals


@click.group()
def export() -> None:
    """Data exports (everything held about a customer, as a ZIP of JSON and CSV)."""


@export.command("request")
@click.argument("msisdn")
@click.option("--staff", help="staff member asking on the customer's behalf")
@click.option("--json", "as_json", is_flag=True)
@refusals
def export_request(msisdn: str, staff: str | None, as_json: bool) -> None:
    from simexit.services.access.caller import System
    from simexit.services.privacy import commands

    export_id = commands.request_export(_app(), System(), msisdn, staff_name=staff).export_id
    _out({"export_id": export_id}, as_json, lambda o: click.echo(f"export {o['export_id']} requested"))


def _print_export(v: dict[str, Any]) -> None:
    click.echo(f"export {v['export_id']} {v['state']}: {v['file_path']} ({v['size_bytes']} bytes), "
               f"link valid until {v['expires_at']}")


@export.command("build")
@click.argument("export_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@refusals
def export_build(export_id: int, as_json: bool) -> None:
    from simexit.services.access.caller import System
    from simexit.services.privacy import commands

    _out(commands.build_export(_app(), System(), export_id).to_dict(), as_json, _print_export)


@export.command("run")
@click.argument("msisdn")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--staff")
@click.option("--json", "as_json", is_flag=True)
@refusals
def export_run(msisdn: str, out: Path, staff: str | None, as_json: bool) -> None:
    """Request and build an export at once, and copy the ZIP to OUT."""
    from simexit.services.access.caller import System
    from simexit.services.privacy import commands

    app = _app()
    requested = commands.request_export(app, System(), msisdn, staff_name=staff)
    view = commands.build_export(app, System(), requested.export_id).to_dict()
    shutil.copyfile(view["file_path"], out)
    _out({**view, "out": str(out)}, as_json, lambda v: (_print_export(v), click.echo(f"written to {v['out']}")))


@click.group()
def erasure() -> None:
    """Erasure of personal data on schedule."""


@erasure.command("run")
@click.option("--json", "as_json", is_flag=True)
@refusals
def erasure_run(as_json: bool) -> None:
    """Erase everything due today (what the worker's erasure_due timer runs)."""
    from simexit.services.access.caller import System
    from simexit.services.privacy import commands

    rep = commands.erase_due(_app(), System()).to_dict()

    def human(r: dict[str, Any]) -> None:
        for d in r["done"]:
            rows = ", ".join(f"{t} {x['action']} {x['rows']}" for t, x in d["tables"].items())
            click.echo(f"{d['subject_type']} {d['subject_id']} {d['record_set']} (due {d['due_on']}): {rows}")
        click.echo(f"{len(r['done'])} erasure(s) done; {r['still_kept']} planned for later")

    _out(rep, as_json, human)


@erasure.command("plan")
@click.option("--json", "as_json", is_flag=True)
@refusals
def erasure_plan(as_json: bool) -> None:
    """List every erasure still to come, with its date and rule."""
    from simexit.services.access.caller import System
    from simexit.services.privacy import queries

    rows = [p.to_dict() for p in queries.erasure_plan(_app(), System())]
    _out(rows, as_json, lambda rs: [click.echo(f"{r['due_on']} {r['brand']} {r['subject_type']} {r['subject_id']} "
                                               f"{r['record_set']}: {r['rule']}") for r in rs])


@click.group()
def audit() -> None:
    """The audit log: entries chained with a keyed MAC, signed checkpoints outside the database."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True)
@refusals
def audit_verify(as_json: bool) -> None:
    """Check the whole chain against the signed checkpoints; exit 2 naming the first entry changed, removed or
    inserted (or a checkpoint that does not hold)."""
    from simexit.services.access.caller import System
    from simexit.services.privacy import queries

    rep = queries.verify_audit(_app(), System())
    if as_json:
        click.echo(json.dumps(rep.to_dict(), indent=2))
    elif rep.intact:
        click.echo(f"audit log intact: {rep.entries} entries, head at {rep.head_seq}; "
                   f"{rep.checkpoints} signed checkpoint(s), the newest at {rep.checkpoint_seq}")
        if not rep.checkpoints_configured:
            click.echo("simexit: warning: no checkpoint key (SIMEXIT_AUDIT_SIGNING_KEY): deleting the newest "
                       "entries or the whole log cannot be noticed", err=True)
        elif rep.checkpoints == 0 and rep.entries:
            click.echo("simexit: warning: no signed checkpoint yet (the worker's sweep writes one; or run `simexit "
                       "audit checkpoint`); if the checkpoint file was removed, the log cannot be trusted", err=True)
    if not rep.intact:
        b = rep.broken
        click.echo(f"simexit: AUDIT_BROKEN: entry {b.entry_id if b.entry_id is not None else '-'} {b.kind} "
                   f"(sequence {b.seq}): {b.detail}", err=True)
        sys.exit(2)


@audit.command("show")
@click.argument("application_no")
@click.option("--json", "as_json", is_flag=True)
@refusals
def audit_show(application_no: str, as_json: bool) -> None:
    """An application's audit entries."""
    from simexit.services.access.caller import System
    from simexit.services.privacy import queries

    entries = [e.to_dict() for e in queries.audit_entries(_app(), System(), application_no)]
    _out(entries, as_json, lambda es: [
        click.echo(f"{e['seq']:>6} {e['at']} {e['actor']} ({e['role']}) {e['action']} "
                   f"{json.dumps(e['data'], ensure_ascii=False)}") for e in es])


@audit.command("checkpoint")
@click.option("--json", "as_json", is_flag=True)
@refusals
def audit_checkpoint(as_json: bool) -> None:
    """Sign the log's head into the checkpoint file now (the worker's sweep does it when due)."""
    from simexit.services.access.caller import System
    from simexit.services.privacy import commands

    app = _app()
    if app.audit_signing_key is None:
        click.echo("simexit: AUDIT_KEY_MISSING: set SIMEXIT_AUDIT_SIGNING_KEY (see `simexit audit keygen`)", err=True)
        sys.exit(2)
    cp = commands.write_audit_checkpoint(app, System(), force=True)
    _out(cp.to_dict() if cp else None, as_json, lambda c: click.echo(
        f"checkpoint at sequence {c['seq']} ({c['at']}) written to {app.audit_checkpoint_file}" if c
        else "nothing to sign: the log did not move since the newest checkpoint (or does not continue it)"))


@audit.command("keygen")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="where the private key PEM goes (never overwritten)")
@click.option("--if-missing", is_flag=True, help="do nothing when OUT exists (scripts/start)")
@refusals
def audit_keygen(out: Path, if_missing: bool) -> None:
    """Create the Ed25519 key that signs the audit log's checkpoints; prints its public key. Point
    SIMEXIT_AUDIT_SIGNING_KEY at OUT; give the public key to whoever verifies the log elsewhere."""
    from simexit.services.access.caller import System
    from simexit.services.privacy import commands

    if if_missing and out.exists():
        return
    click.echo(commands.create_audit_signing_key(System(), out), nl=False)


@click.command()
@click.argument("name", type=click.Choice(["applications", "sla", "refunds", "erasures"]))
@click.option("--from", "from_", required=True, help="first day (YYYY-MM-DD, UTC)")
@click.option("--to", "to", required=True, help="last day, inclusive (YYYY-MM-DD, UTC)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="CSV file (default: standard output)")
@refusals
def report(name: str, from_: str, to: str, out: Path | None) -> None:
    """Reports for operations and compliance, as CSV."""
    from simexit.services.access.caller import System
    from simexit.services.reports import build_report, to_csv

    start, end = _parse_date(from_), _parse_date(to)
    assert isinstance(start, date) and isinstance(end, date)
    data = build_report(_app(), System(), name, start, end)
    text = to_csv(data)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8-sig", newline="")
        click.echo(f"{len(data.rows)} row(s) written to {out}")
