"""``simexit demo load`` and ``simexit import``: loading demo data and JSON Lines."""

from __future__ import annotations

from pathlib import Path

import click

from simexit.cli.common import _app, _out, refusals


@click.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@refusals
def demo_load() -> None:
    """Load about 50 demo customers, with lines in every blocker situation for every brand (idempotent)."""
    from simexit.demo.data import load_demo

    report = load_demo(_app(migrate=True))
    if report is None:
        click.echo("demo data already loaded")
    else:
        click.echo("loaded: " + ", ".join(f"{n} {t}" for t, n in sorted(report.counts.items())))


@demo.command("ids")
@click.option("--brand", default=None, help="only this brand's demo customers")
@click.option("--json", "as_json", is_flag=True)
@refusals
def demo_ids(brand: str | None, as_json: bool) -> None:
    """The demo customers' numbers and ID numbers (the portal asks for the ID number's last 6 characters).
    Demo data only: real ID numbers are never stored, only a keyed hash and the last 4 characters."""
    from simexit.demo.data import SITUATIONS, demo_brands, demo_id_number, demo_msisdn

    rows = [{"brand": b, "situation": s, "msisdn": demo_msisdn(b, s), "id_number": demo_id_number(b, s),
             "second_factor": demo_id_number(b, s)[-6:]}
            for b in demo_brands() if brand in (None, b) for s in SITUATIONS]
    if not rows:
        raise click.BadParameter(f"no demo brand {brand!r}; one of {', '.join(demo_brands())}", param_hint="--brand")
    _out(rows, as_json, lambda rs: click.echo("\n".join(
        f"{r['brand']:<10} {r['situation']:<11} {r['msisdn']:<15} {r['id_number']:<19} last 6: {r['second_factor']}"
        for r in rs)))


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@refusals
def import_cmd(file: Path, as_json: bool) -> None:
    """Import JSON Lines (all or nothing; errors named by line number)."""
    from simexit.services.access.caller import System
    from simexit.services.imports import commands

    with file.open("rb") as fh:  # decoded line by line: a line that is not UTF-8 is named, not a traceback
        report = commands.import_jsonl(_app(), System(), fh)
    _out(report.to_dict(), as_json,
         lambda o: click.echo("imported: " + ", ".join(f"{n} {t}" for t, n in sorted(o["imported"].items()))))
