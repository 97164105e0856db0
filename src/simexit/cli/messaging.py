"""CLI of messaging, refunds, relying parties, receipts and their simulators:
``simexit refunds payout-file``, ``simexit rnd export|query``, ``simexit relying-parties add|list|remove``,
``simexit receipt``, ``simexit sim sms|payments|mail``."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import click

from simexit.cli.common import _app, _out, _parse_date, refusals
from simexit.config import get_settings


def _serve(sim: Any, what: str) -> None:
    click.echo(f"{what} on {sim.url} (control: {sim.url}/_sim/received, /_sim/behaviour, /_sim/reset); "
               "Ctrl-C stops it")
    with contextlib.suppress(KeyboardInterrupt):
        sim.serve_forever()


@click.group()
def refunds() -> None:
    """Refund payouts."""

@refunds.command("payout-file")
@click.option("--date", "day", required=True, help="the day (UTC) the refunds were recorded, YYYY-MM-DD")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@refusals
def payout_file(day: str, out: Path) -> None:
    """Write the payout CSV for finance: one row per refund, destinations masked."""
    from simexit.services.access.caller import System
    from simexit.services.execution import queries

    text, n = queries.payout_file(_app(), System(), _parse_date(day))
    out.write_text(text, encoding="utf-8")
    click.echo(f"{n} refund(s) written to {out}")

@click.group()
def rnd() -> None:
    """Permanent disconnects, reassigned-numbers style."""

@rnd.command("export")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@refusals
def rnd_export(month: str, out: Path) -> None:
    """Write each number's permanent disconnect date in MONTH (CSV: number,permanent_disconnect_date)."""
    from simexit.services.access.caller import System
    from simexit.services.numbers import queries

    text, n = queries.rnd_export(_app(), System(), month)
    out.write_text(text, encoding="utf-8")
    click.echo(f"{n} number(s) written to {out}")

@rnd.command("report")
@click.option("--today", default=None, help="YYYY-MM-DD (default: today, US brands' time zone)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@refusals
def rnd_report(today: str | None, out: Path) -> None:
    """Write the FCC RND monthly report due by the 15th: disconnects since the last report up to the 10th
    (records ``NPANXXXXXX,YYYYMMDD``). Made once per month; run again, it writes the stored report."""
    from simexit.services.access.caller import System
    from simexit.services.numbers import rnd_report as reports

    made = reports.report(_app(), System(), _parse_date(today) if today else None)
    if made is None:
        click.echo("no report before the 11th: the period runs through the 10th", err=True)
        raise SystemExit(2)
    out.write_text(made.content, encoding="utf-8")
    click.echo(f"{made.rows} number(s) disconnected {made.period_first}..{made.period_last} written to {out}"
               + ("" if made.made else " (made before)"))

@rnd.command("port-out-completed")
@click.argument("msisdn")
@refusals
def rnd_port_out_completed(msisdn: str) -> None:
    """Record that MSISDN's pending port-out completed: its line closes here (not a permanent disconnect)."""
    from simexit.services.access.caller import System
    from simexit.services.numbers import commands

    done = commands.port_out_completed(_app(), System(), msisdn)
    click.echo(f"{done['msisdn']}: ported out on {done['disconnected_on']}; the line is closed here")

@rnd.command("query")
@click.argument("msisdn")
@click.option("--since", required=True, help="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True)
@refusals
def rnd_query(msisdn: str, since: str, as_json: bool) -> None:
    """Was MSISDN permanently disconnected on or after --since? yes / no / no_data."""
    from simexit.services.access.caller import System
    from simexit.services.numbers import queries

    answer = queries.was_disconnected(_app(), System(), msisdn, _parse_date(since))
    _out({"answer": answer}, as_json, lambda r: click.echo(r["answer"]))

@click.group("relying-parties")
def relying_parties() -> None:
    """Subscribers to permanent-disconnect webhooks."""

@relying_parties.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--secret", help="the signing secret (≥ 32 characters); default: a new random one")
@click.option("--json", "as_json", is_flag=True)
@refusals
def rp_add(name: str, url: str, secret: str | None, as_json: bool) -> None:
    """Subscribe NAME at URL; prints the signing secret once."""
    from simexit.services.access.caller import System
    from simexit.services.numbers import commands

    _out(commands.subscribe(_app(), System(), name, url, secret).to_dict(), as_json,
         lambda r: click.echo(f"{r['name']} subscribed at {r['url']}\nsigning secret: {r['secret']}"))

@relying_parties.command("list")
@click.option("--all", "include_removed", is_flag=True, help="include removed subscriptions")
@click.option("--json", "as_json", is_flag=True)
@refusals
def rp_list(include_removed: bool, as_json: bool) -> None:
    from simexit.services.access.caller import System
    from simexit.services.numbers import queries

    def human(rows: list[dict[str, Any]]) -> None:
        for r in rows:
            click.echo(f"{r['name']:<24} {'active' if r['active'] else 'removed':<8} {r['url']}")

    _out([v.to_dict() for v in queries.subscriptions(_app(), System(), include_removed)], as_json, human)

@relying_parties.command("remove")
@click.argument("name")
@refusals
def rp_remove(name: str) -> None:
    from simexit.services.access.caller import System
    from simexit.services.numbers import commands

    commands.unsubscribe(_app(), System(), name)
    click.echo(f"{name} removed")

@click.command()
@click.argument("application_no")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--lang", type=click.Choice(["zh-CN", "en", "de"]), default="zh-CN")
@refusals
def receipt(application_no: str, out: Path, lang: str) -> None:
    """Write the certificate of cancellation of a completed application (printable HTML)."""
    from simexit.services.access.caller import System
    from simexit.services.execution import queries

    out.write_text(queries.receipt_html(_app(), System(), application_no, lang) or "", encoding="utf-8")
    click.echo(f"certificate of cancellation written to {out}")

@click.group()
def sim() -> None:
    """Simulators of outside systems (HTTP servers on 127.0.0.1)."""

@sim.command("sms")
@click.option("--port", type=int, default=lambda: _port(get_settings().sms_gateway_url))
def sim_sms(port: int) -> None:
    """The SMS gateway (API key: SIMEXIT_SMS_API_KEY)."""
    from simexit.simulators.sms_gateway import SmsGatewaySimulator

    _serve(SmsGatewaySimulator(port=port, api_key=get_settings().sms_api_key), "SMS gateway")

@sim.command("payments")
@click.option("--port", type=int, default=lambda: _port(get_settings().payments_url))
def sim_payments(port: int) -> None:
    """The payment system (verifies signatures with SIMEXIT_PAYMENTS_SECRET)."""
    from simexit.simulators.payment_system import PaymentSystemSimulator

    _serve(PaymentSystemSimulator(port=port, secret=get_settings().payments_secret), "payment system")

@sim.command("range-holder")
@click.option("--port", type=int, default=lambda: _port(get_settings().number_return_url or "http://:8034"))
def sim_range_holder(port: int) -> None:
    """A range holder receiving returned ported-in numbers at /number-returns (set SIMEXIT_NUMBER_RETURN_URL to
    http://127.0.0.1:PORT/number-returns; verifies signatures with SIMEXIT_NUMBER_RETURN_SECRET)."""
    from simexit.simulators.range_holder import RangeHolderSimulator

    secret = get_settings().number_return_secret or "demo-number-return-secret-change"
    _serve(RangeHolderSimulator(port=port, secret=secret), "range holder")

@sim.command("mail")
@click.option("--smtp-port", type=int, default=lambda: get_settings().smtp_port)
@click.option("--port", type=int, default=8026, help="the web page listing the messages")
def sim_mail(smtp_port: int, port: int) -> None:
    """The local mail sink: SMTP on --smtp-port, the messages on http://127.0.0.1:--port/."""
    from simexit.simulators.mail_sink import MailSink

    sink = MailSink(port=port, smtp_port=smtp_port)
    click.echo(f"SMTP on 127.0.0.1:{sink.smtp_port}")
    _serve(sink, "mail sink page")

def _port(url: str) -> int:
    from urllib.parse import urlsplit

    return urlsplit(url).port or (443 if url.startswith("https") else 80)

