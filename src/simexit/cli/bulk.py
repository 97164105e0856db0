"""``simexit bulk …`` — close many lines from one file, follow the batch, approve it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from simexit.cli.common import refund_destination, refusals
from simexit.domain.policy import CHANNELS


def _app():  # type: ignore[no-untyped-def]
    from simexit.cli.common import _app as app

    return app()


def _out(obj: Any, as_json: bool, human: Any) -> None:
    from simexit.cli.common import _out as out

    out(obj, as_json, human)


@click.group()
def bulk() -> None:
    """Bulk closure (enterprise and IoT fleets)."""


@bulk.command("close")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--channel", required=True, type=click.Choice(list(CHANNELS)))
@click.option("--staff", "staff_ref", help="staff member taking the applications (needed on staff channels)")
@click.option("--identity", "identity_method", help="how the customer's identity was checked (default: by channel)")
@click.option("--confirm", default="all", show_default=True,
              help="consequence codes the customer confirmed for every line, comma-separated, or 'all'")
@click.option("--refund-method", help="refund method for every line (default: the brand's first that needs no "
                                      "destination)")
@click.option("--refund-to", multiple=True, help="refund destination field, KEY=VALUE (repeatable)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="result file (default: FILE.result.csv; .jsonl writes JSON Lines)")
@click.option("--chunk", "chunk_size", default=2000, show_default=True, type=click.IntRange(1, 20000))
@click.option("--json", "as_json", is_flag=True)
def bulk_close(file: Path, channel: str, staff_ref: str | None, identity_method: str | None, confirm: str,
               refund_method: str | None, refund_to: tuple[str, ...], out: Path | None, chunk_size: int,
               as_json: bool) -> None:
    """Pre-check every line of FILE (CSV or JSON Lines) and apply for the eligible ones under one batch.

    Running the same file again resumes it: rows already done are not done twice.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from simexit.cli.common import DEFAULT_IDENTITY
    from simexit.services.access.caller import System
    from simexit.services.bulk import commands, queries

    dest = refund_destination(refund_to)
    system = System()
    opts = commands.intake_options(
        system, channel, identity_method or DEFAULT_IDENTITY[channel], staff_ref=staff_ref,
        confirm=None if confirm == "all" else [c.strip() for c in confirm.split(",") if c.strip()],
        refund_method=refund_method, refund_destination=dest or None,
    )
    app = _app()
    batch = commands.start(app, system, file, opts)
    out = out or file.with_name(file.name + ".result.csv")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True, disable=as_json) as bar:
        task = bar.add_task(batch.batch_id, total=batch.total, completed=batch.done)
        result = commands.run(app, system, batch.batch_id, file, chunk_size=chunk_size,
                              progress=lambda done, total: bar.update(task, completed=done, total=total))
    queries.write_results(app, system, batch.batch_id, out)
    _out({**result.to_dict(), "result_file": str(out)}, as_json, _print_batch)


def _print_batch(b: dict[str, Any]) -> None:
    counts = ", ".join(f"{n} {k}" for k, n in sorted(b["counts"].items())) or "nothing"
    click.echo(f"{b['batch_id']} {b['state']}: {b['done']}/{b['total']} rows ({counts})")
    if b.get("result_file"):
        click.echo(f"results: {b['result_file']}")


@bulk.command("status")
@click.argument("batch_id")
@click.option("--json", "as_json", is_flag=True)
def bulk_status(batch_id: str, as_json: bool) -> None:
    """Progress of a batch."""
    from simexit.services.access.caller import System
    from simexit.services.bulk import queries

    _out(queries.progress(_app(), System(), batch_id).to_dict(), as_json, _print_batch)


@bulk.command("results")
@click.argument("batch_id")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="result file (.csv, or .jsonl for JSON Lines)")
def bulk_results(batch_id: str, out: Path) -> None:
    """Write a batch's result file again (one row per input row)."""
    from simexit.services.access.caller import System
    from simexit.services.bulk import queries

    n = queries.write_results(_app(), System(), batch_id, out)
    click.echo(f"{n} row(s) written to {out}")


@bulk.command("approve")
@click.argument("batch_id")
@click.option("--staff", required=True, help="reviewer's user name")
@click.option("--only", multiple=True, help="approve only this application (repeatable)")
@click.option("--note")
@click.option("--json", "as_json", is_flag=True)
def bulk_approve(batch_id: str, staff: str, only: tuple[str, ...], note: str | None, as_json: bool) -> None:
    """Approve the batch's applications waiting for review, all of them or --only some."""
    from simexit.domain.roles import Role
    from simexit.services.access.caller import StaffIdentity
    from simexit.services.bulk import commands

    # An operator on the server approves as the reviewer named by --staff, with every brand in reach.
    reviewer = StaffIdentity(id=0, username=staff, display_name=staff, role=Role.REVIEWER, brands=("*",))
    result = commands.approve(_app(), reviewer, batch_id, only=list(only) or None, note=note).to_dict()

    def human(r: dict[str, Any]) -> None:
        click.echo(f"{r['batch_id']}: approved {r['approved']} application(s)")
        for x in r["refused"]:
            click.echo(f"  not approved: {x['application_no']}: {x['code']}: {x['message']}")

    _out(result, as_json, human)


# Every bulk command maps refusals to exit code 2 with a message, like the CLI's other commands.
for _cmd in bulk.commands.values():
    _cmd.callback = refusals(_cmd.callback)
