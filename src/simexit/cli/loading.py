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


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@refusals
def import_cmd(file: Path, as_json: bool) -> None:
    """Import JSON Lines (all or nothing; errors named by line number)."""
    from simexit.services.imports.importer import import_jsonl

    with file.open(encoding="utf-8") as fh:
        report = import_jsonl(_app(), fh)
    _out({"imported": report.counts}, as_json,
         lambda o: click.echo("imported: " + ", ".join(f"{n} {t}" for t, n in sorted(o["imported"].items()))))
