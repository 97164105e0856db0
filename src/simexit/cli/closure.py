"""``simexit lines list``, ``precheck``, ``apply``, ``show``, ``review approve|reject|auto`` and ``withdraw``."""

from __future__ import annotations

from typing import Any

import click

from simexit.cli.common import DEFAULT_IDENTITY, _app, _out, _parse_date, refund_destination, refusals


@click.group()
def lines() -> None:
    """Lines."""


@lines.command("list")
@click.option("--brand")
@click.option("--status", type=click.Choice(["active", "suspended", "closing", "closed"]))
@click.option("--kind", type=click.Choice(["sim", "esim", "data"]))
@click.option("--limit", default=1000, show_default=True)
@click.option("--offset", default=0)
@click.option("--json", "as_json", is_flag=True)
@refusals
def lines_list(brand: str | None, status: str | None, kind: str | None, limit: int, offset: int,
               as_json: bool) -> None:
    from simexit.services.access.caller import Operator
    from simexit.services.closure import queries

    rows = queries.list_lines(_app(), Operator("cli"), brand=brand, status=status, kind=kind, limit=limit,
                              offset=offset)

    def human(rs: list[dict[str, Any]]) -> None:
        for r in rs:
            click.echo(f"{r['msisdn']:<16} {r['brand']:<10} {r['card_kind']} {r['kind']:<5} {r['payment']:<9} "
                       f"{r['status']:<9} {r['plan']}")

    _out(rows, as_json, human)


@click.command()
@click.argument("msisdn")
@click.option("--date", "end_date", help="end date wanted (YYYY-MM-DD)")
@click.option("--lang", type=click.Choice(["en", "zh-CN", "de"]), default="en")
@click.option("--brand", help="read a number without +country in this brand's region")
@click.option("--json", "as_json", is_flag=True)
@refusals
def precheck(msisdn: str, end_date: str | None, lang: str, brand: str | None, as_json: bool) -> None:
    """Eligibility pre-check and exact quote for closing a line."""
    from simexit.services.access.caller import Operator
    from simexit.services.closure import queries
    from simexit.services.closure.precheck import resolve_msisdn

    app = _app()
    result = queries.precheck(app, Operator("cli"), resolve_msisdn(app, msisdn, brand), _parse_date(end_date)).to_dict()

    def human(r: dict[str, Any]) -> None:
        click.echo(f"{r['msisdn']} ({r['brand']}, {r['kind']}): "
                   + ("eligible" if r["eligible"] else "NOT eligible"))
        for f in r["findings"]:
            click.echo(f"  [{f['severity']:<7}] {f['code']}: {f['message'][lang]}")
            if f["fix"]:
                click.echo(f"            → {f['fix'][lang]}")
        q = r["quote"]
        click.echo(f"  quote ({q['currency']} minor units): balance {q['balance_minor']}, outstanding "
                   f"{q['outstanding_minor']}, early-termination fee {q['early_termination_fee_minor']}, "
                   f"cancellation fee {q['cancellation_fee_minor']}, refund {q['refund_minor']}, "
                   f"still due {q['amount_due_minor']}")
        click.echo(f"  effective {q['effective_date']}; review due {q['review_due_at']}; refund by "
                   f"{q['refund_by']}; data erased {q['erasure_date']}; number released {q['number_release_date']}")

    _out(result, as_json, human)


@click.command()
@click.argument("msisdn")
@click.option("--channel", required=True, type=click.Choice(list(DEFAULT_IDENTITY)))
@click.option("--identity", "identity_method", help="how identity was checked (default: by channel)")
@click.option("--id-number", help="ID number to check against the real-name record (not stored)")
@click.option("--staff", "staff_ref", help="staff member taking the application (staff channels)")
@click.option("--reason", "reason_code")
@click.option("--note", "reason_text")
@click.option("--confirm", "confirm", default="all", show_default=True,
              help="consequence codes the customer confirmed, comma-separated, or 'all'")
@click.option("--refund-method")
@click.option("--refund-to", multiple=True, help="refund destination field, KEY=VALUE (repeatable)")
@click.option("--date", "end_date", help="end date wanted (YYYY-MM-DD)")
@click.option("--brand", help="read a number without +country in this brand's region")
@click.option("--json", "as_json", is_flag=True)
@refusals
def apply(msisdn: str, channel: str, identity_method: str | None, id_number: str | None, staff_ref: str | None,
          reason_code: str | None, reason_text: str | None, confirm: str, refund_method: str | None,
          refund_to: tuple[str, ...], end_date: str | None, brand: str | None, as_json: bool) -> None:
    """Submit an application to close a line (an open one is returned instead of a second)."""
    from simexit.domain.consequences import required_consequences
    from simexit.domain.identity import STAFF_CHANNELS
    from simexit.services.access.caller import Operator
    from simexit.services.closure import commands, queries
    from simexit.services.closure.commands import ApplyRequest
    from simexit.services.closure.precheck import resolve_msisdn

    app = _app()
    msisdn = resolve_msisdn(app, msisdn, brand)
    wanted = _parse_date(end_date)
    dest = refund_destination(refund_to)
    operator = Operator(staff_ref or "cli", "agent" if staff_ref else "operator")
    pc = queries.precheck(app, operator, msisdn, wanted)
    confirmed = list(required_consequences(pc.quote)) if confirm == "all" else [
        c.strip() for c in confirm.split(",") if c.strip()]
    if refund_method is None and pc.quote.refund_minor > 0:
        refund_method = pc.policy.refund.methods[0]
    if staff_ref is None and channel in STAFF_CHANNELS:
        staff_ref = "cli"
    result = commands.apply(app, operator, ApplyRequest(
        msisdn=msisdn, channel=channel, identity_method=identity_method or DEFAULT_IDENTITY[channel],
        identity_evidence={"recorded_via": "cli"}, id_number=id_number, staff_ref=staff_ref,
        staff_role="agent" if staff_ref else None, reason_code=reason_code, reason_text=reason_text,
        consequences_confirmed=confirmed, refund_method=refund_method, refund_destination=dest or None,
        requested_effective_date=wanted,
    ))
    out = result.to_dict()
    _out(out, as_json, lambda o: click.echo(
        f"{o['application_no']} {o['status']}" + (" (already open; same application)" if o["replayed"] else "")))


def _print_application(a: dict[str, Any]) -> None:
    click.echo(f"{a['application_no']}  {a['status']}  {a['brand']} {a['msisdn']} via {a['channel']}")
    click.echo(f"  submitted {a['submitted_at']}, review due {a['review_due_at']}, effective {a['effective_date']}")
    for r in a["rejection_reasons"]:
        click.echo(f"  rejected: {r['code']}: {r['message']['en']}")
    for e in a["timeline"]:
        move = f"{e['from_status'] or ''}→{e['to_status']}" if e["to_status"] else ""
        click.echo(f"  {e['at']}  {e['event']:<18} {move:<28} {e['actor_type']}:{e['actor_id'] or ''}"
                   + (f"  “{e['note']}”" if e["note"] else ""))


@click.command()
@click.argument("application_no")
@click.option("--json", "as_json", is_flag=True)
@refusals
def show(application_no: str, as_json: bool) -> None:
    """Show an application and its timeline."""
    from simexit.services.access.caller import Operator
    from simexit.services.closure import queries

    _out(queries.show(_app(), Operator("cli"), application_no).to_dict(), as_json, _print_application)


@click.group()
def review() -> None:
    """Decide applications."""


def _staff(staff: str, role: str):  # type: ignore[no-untyped-def]
    """The operator at this command line, acting under a staff member's name (recorded in the timeline)."""
    from simexit.services.access.caller import Operator

    return Operator(staff, role)


@review.command("approve")
@click.argument("application_no")
@click.option("--staff", required=True, help="reviewer's user name")
@click.option("--note")
@click.option("--json", "as_json", is_flag=True)
@refusals
def review_approve(application_no: str, staff: str, note: str | None, as_json: bool) -> None:
    from simexit.services.closure import commands

    _out(commands.approve(_app(), _staff(staff, "reviewer"), application_no, note).to_dict(), as_json,
         _print_application)


@review.command("reject")
@click.argument("application_no")
@click.option("--staff", required=True)
@click.option("--reason", "reasons", multiple=True, required=True, help="reason code (repeatable)")
@click.option("--note")
@click.option("--json", "as_json", is_flag=True)
@refusals
def review_reject(application_no: str, staff: str, reasons: tuple[str, ...], note: str | None,
                  as_json: bool) -> None:
    from simexit.services.closure import commands

    _out(commands.reject(_app(), _staff(staff, "reviewer"), application_no, list(reasons), note).to_dict(),
         as_json, _print_application)


@review.command("auto")
@click.option("--json", "as_json", is_flag=True)
@refusals
def review_auto(as_json: bool) -> None:
    """Approve the clean pending applications of brands with automatic approval."""
    from simexit.services.closure import commands

    done = commands.auto_approve_clean(_app(), _staff("cli", "operator"))
    _out({"approved": done}, as_json, lambda o: click.echo(f"approved {len(o['approved'])} application(s)"))


@click.command()
@click.argument("application_no")
@click.option("--staff", help="staff member acting for the customer (default: the customer)")
@click.option("--note")
@click.option("--json", "as_json", is_flag=True)
@refusals
def withdraw(application_no: str, staff: str | None, note: str | None, as_json: bool) -> None:
    """Withdraw an application before execution."""
    from simexit.services.closure import commands

    operator = _staff(staff, "agent") if staff else _staff("customer", "customer")
    _out(commands.withdraw(_app(), operator, application_no, note).to_dict(), as_json, _print_application)
