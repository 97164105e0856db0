"""``simexit …`` — the command line. Every refused command exits with code 2 and says why on stderr."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from simexit.config import get_settings
from simexit.domain.errors import DomainError
from simexit.domain.policy import PolicyError, load_policies

DEFAULT_IDENTITY = {"online": "otp", "app": "otp", "hotline": "service_password", "chat": "service_password",
                    "store": "id_document_inspected", "mail": "id_copy_mailed"}


def _fail(message: str) -> None:
    click.echo(f"simexit: {message}", err=True)
    sys.exit(2)


def refusals(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Map domain and policy errors to exit code 2 with a clear message (and, with --json, a JSON error)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DomainError as e:
            detail = "".join(f"\n  - {f['code']}: {f['message']['en']}" for f in e.data.get("findings", []))
            detail += "".join(f"\n  - line {x['line']}: {x['message']}" for x in e.data.get("errors", [])[1:])
            _fail(f"{e.code}: {e.message}{detail}")
        except PolicyError as e:
            _fail(f"{e.code}: {e}")

    return wrapper


def _app(migrate: bool = False):  # type: ignore[no-untyped-def]
    from simexit.services.context import bootstrap

    return bootstrap(migrate=migrate)


def _out(obj: Any, as_json: bool, human: Callable[[Any], None]) -> None:
    if as_json:
        click.echo(json.dumps(obj, ensure_ascii=False, default=str, indent=2))
    else:
        human(obj)


@click.group()
@click.version_option(package_name="simexit")
def main() -> None:
    """simexit — close a subscriber's line properly."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@refusals
def db_upgrade() -> None:
    """Apply all migrations to SIMEXIT_DATABASE_URL."""
    from simexit.store.migrate import upgrade

    upgrade(get_settings().database_url)
    click.echo("database is up to date")


@main.group()
def policies() -> None:
    """Brand policies."""


@policies.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@refusals
def policies_check(directory: Path | None) -> None:
    """Validate every policy file in DIRECTORY (default: SIMEXIT_POLICY_DIR)."""
    loaded = load_policies(directory or get_settings().policy_dir)
    for code, p in loaded.items():
        click.echo(f"{code}: {p.brand.card_kind} {p.brand.jurisdiction} {p.brand.currency} ok")


@main.group()
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


@main.command("import")
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


@main.group()
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
    from simexit.services.closure.lines_query import list_lines

    rows = list_lines(_app(), brand=brand, status=status, kind=kind, limit=limit, offset=offset)

    def human(rs: list[dict[str, Any]]) -> None:
        for r in rs:
            click.echo(f"{r['msisdn']:<16} {r['brand']:<10} {r['card_kind']} {r['kind']:<5} {r['payment']:<9} "
                       f"{r['status']:<9} {r['plan']}")

    _out(rows, as_json, human)


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@main.command()
@click.argument("msisdn")
@click.option("--date", "end_date", help="end date wanted (YYYY-MM-DD)")
@click.option("--lang", type=click.Choice(["en", "zh-CN"]), default="en")
@click.option("--json", "as_json", is_flag=True)
@refusals
def precheck(msisdn: str, end_date: str | None, lang: str, as_json: bool) -> None:
    """Eligibility pre-check and exact quote for closing a line."""
    from simexit.services.closure.precheck import precheck as run

    result = run(_app(), msisdn, _parse_date(end_date)).to_dict()

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


@main.command()
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
@click.option("--json", "as_json", is_flag=True)
@refusals
def apply(msisdn: str, channel: str, identity_method: str | None, id_number: str | None, staff_ref: str | None,
          reason_code: str | None, reason_text: str | None, confirm: str, refund_method: str | None,
          refund_to: tuple[str, ...], end_date: str | None, as_json: bool) -> None:
    """Submit an application to close a line (an open one is returned instead of a second)."""
    from simexit.domain.consequences import required_consequences
    from simexit.domain.identity import STAFF_CHANNELS
    from simexit.services.closure.applications import ApplyRequest
    from simexit.services.closure.applications import apply as run
    from simexit.services.closure.precheck import precheck as pre

    app = _app()
    wanted = _parse_date(end_date)
    dest: dict[str, str] = {}
    for item in refund_to:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--refund-to")
        dest[key] = value
    pc = pre(app, msisdn, wanted)
    confirmed = list(required_consequences(pc.quote)) if confirm == "all" else [
        c.strip() for c in confirm.split(",") if c.strip()]
    if refund_method is None and pc.quote.refund_minor > 0:
        refund_method = pc.policy.refund.methods[0]
    if staff_ref is None and channel in STAFF_CHANNELS:
        staff_ref = "cli"
    result = run(app, ApplyRequest(
        msisdn=msisdn, channel=channel, identity_method=identity_method or DEFAULT_IDENTITY[channel],
        identity_evidence={"recorded_via": "cli"}, id_number=id_number, staff_ref=staff_ref,
        staff_role="agent" if staff_ref else None, reason_code=reason_code, reason_text=reason_text,
        consequences_confirmed=confirmed, refund_method=refund_method, refund_destination=dest or None,
        requested_effective_date=wanted,
    ))
    out = {"application_no": result.application_no, "status": result.status, "replayed": result.replayed}
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


@main.command()
@click.argument("application_no")
@click.option("--json", "as_json", is_flag=True)
@refusals
def show(application_no: str, as_json: bool) -> None:
    """Show an application and its timeline."""
    from simexit.services.closure.applications import show as run

    _out(run(_app(), application_no), as_json, _print_application)


@main.group()
def review() -> None:
    """Decide applications."""


def _staff(staff: str, role: str):  # type: ignore[no-untyped-def]
    from simexit.domain.state_machine import ActorType
    from simexit.services.closure.applications import Actor

    return Actor(ActorType.STAFF, staff, role, None)


@review.command("approve")
@click.argument("application_no")
@click.option("--staff", required=True, help="reviewer's user name")
@click.option("--note")
@click.option("--json", "as_json", is_flag=True)
@refusals
def review_approve(application_no: str, staff: str, note: str | None, as_json: bool) -> None:
    from simexit.services.closure.applications import approve

    _out(approve(_app(), application_no, _staff(staff, "reviewer"), note), as_json, _print_application)


@review.command("reject")
@click.argument("application_no")
@click.option("--staff", required=True)
@click.option("--reason", "reasons", multiple=True, required=True, help="reason code (repeatable)")
@click.option("--note")
@click.option("--json", "as_json", is_flag=True)
@refusals
def review_reject(application_no: str, staff: str, reasons: tuple[str, ...], note: str | None,
                  as_json: bool) -> None:
    from simexit.services.closure.applications import reject

    _out(reject(_app(), application_no, _staff(staff, "reviewer"), list(reasons), note), as_json,
         _print_application)


@review.command("auto")
@click.option("--json", "as_json", is_flag=True)
@refusals
def review_auto(as_json: bool) -> None:
    """Approve the clean pending applications of brands with automatic approval."""
    from simexit.services.closure.applications import auto_approve_clean

    done = auto_approve_clean(_app())
    _out({"approved": done}, as_json, lambda o: click.echo(f"approved {len(o['approved'])} application(s)"))


@main.command()
@click.argument("application_no")
@click.option("--staff", help="staff member acting for the customer (default: the customer)")
@click.option("--note")
@click.option("--json", "as_json", is_flag=True)
@refusals
def withdraw(application_no: str, staff: str | None, note: str | None, as_json: bool) -> None:
    """Withdraw an application before execution."""
    from simexit.domain.state_machine import ActorType
    from simexit.services.closure.applications import Actor
    from simexit.services.closure.applications import withdraw as run

    actor = _staff(staff, "agent") if staff else Actor(ActorType.CUSTOMER, "customer", None, None)
    _out(run(_app(), application_no, actor, note), as_json, _print_application)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="uvicorn worker processes")
@click.option("--worker/--no-worker", "embedded", default=None,
              help="run the durable-execution worker in this process (default: SIMEXIT_EMBEDDED_WORKER, true)")
@refusals
def serve(host: str, port: int, workers: int, embedded: bool | None) -> None:
    """Serve the REST API, the portal and the console (and, by default, the worker in a background thread)."""
    import uvicorn

    from simexit.store.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    background = None
    if settings.embedded_worker if embedded is None else embedded:
        from simexit.worker.assembly import EmbeddedWorker

        background = EmbeddedWorker(_app(), settings).start()
        click.echo("simexit: embedded worker started (switch off with --no-worker)", err=True)
    try:
        uvicorn.run("simexit.asgi:create_app", factory=True, host=host, port=port, workers=workers,
                    access_log=False, log_level="warning", **tls_options(settings))
    finally:
        if background is not None and not background.stop():
            click.echo("simexit: the embedded worker did not stop in time", err=True)


def tls_options(settings: Any) -> dict[str, Any]:
    """uvicorn's TLS options: simexit terminates TLS itself; with a client CA it verifies the client certificates
    offered (browsers offer none) and passes the verified one to the partner routes (the SM-DP+'s identity)."""
    if settings.tls_certfile is None:
        return {}
    import ssl

    from simexit.integrations.tls import CLIENT_CERT_PROTOCOL

    options: dict[str, Any] = {"ssl_certfile": str(settings.tls_certfile),
                               "ssl_keyfile": str(settings.tls_keyfile) if settings.tls_keyfile else None}
    if settings.tls_client_ca is not None:
        options.update(ssl_ca_certs=str(settings.tls_client_ca), ssl_cert_reqs=ssl.CERT_OPTIONAL,
                       http=CLIENT_CERT_PROTOCOL)
    return options


@main.group("staff")
def staff_group() -> None:
    """Staff accounts (roles: agent, store_clerk, reviewer, supervisor, admin)."""


@staff_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["agent", "store_clerk", "reviewer", "supervisor", "admin"]))
@click.option("--brand", "brands", multiple=True, required=True, help="brand code, repeatable; '*' for all")
@click.option("--name", "display_name")
@click.option("--totp", is_flag=True, help="require a TOTP code at sign-in; prints the secret to enrol")
@click.password_option(envvar="SIMEXIT_STAFF_PASSWORD", help="or set SIMEXIT_STAFF_PASSWORD")
@refusals
def staff_add(username: str, role: str, brands: tuple[str, ...], display_name: str | None, totp: bool,
              password: str) -> None:
    from simexit.services.access.staff_auth import create_staff

    secret = create_staff(_app(), username, password, role, list(brands), display_name=display_name, totp=totp)
    click.echo(f"created {username.lower()} ({role})")
    if secret:
        click.echo(f"TOTP secret (enrol it in an authenticator app now; it is not shown again): {secret}")


@staff_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@refusals
def staff_list(as_json: bool) -> None:
    from simexit.services.access.staff_auth import list_staff

    _out(list_staff(_app()), as_json, lambda rows: [click.echo(
        f"{r['username']:<16} {r['role']:<12} {','.join(r['brands']):<30} "
        f"{'active' if r['active'] else 'inactive'}{' totp' if r['totp'] else ''}") for r in rows])


from simexit.cli.worker import register as _register_worker; _register_worker(main)  # noqa: E402, E702, I001
from simexit.cli.messaging import register as _messaging; _messaging(main)  # noqa: E402, E702, I001
from simexit.cli.audit import register as register_audit; register_audit(main)  # noqa: E402, E702, I001
from simexit.cli.api import register as _register_api; _register_api(main)  # noqa: E402, E702, I001
from simexit.cli.bulk import register; register(main)  # noqa: E402, E702, I001

if __name__ == "__main__":
    main()
