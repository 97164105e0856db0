"""``simexit db upgrade``, ``simexit policies check``, ``simexit serve`` and ``simexit staff add|list``."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from simexit.cli.common import _app, _fail, _out, refusals
from simexit.config import get_settings
from simexit.domain.policy import load_policies


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@refusals
def db_upgrade() -> None:
    """Apply all migrations to SIMEXIT_DATABASE_URL."""
    from simexit.store.migrate import upgrade

    upgrade(get_settings().database_url)
    click.echo("database is up to date")


@click.group()
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


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="server processes on this port (their metrics are summed: see PROMETHEUS_MULTIPROC_DIR)")
@click.option("--worker/--no-worker", "embedded", default=None,
              help="run the durable-execution worker in this process (default: SIMEXIT_EMBEDDED_WORKER, true); "
                   "with --workers N it runs once, in the supervising process, not in each server process")
@refusals
def serve(host: str, port: int, workers: int, embedded: bool | None) -> None:
    """Serve the REST API, the portal and the console (and, by default, the worker in a background thread).

    Scale-out: several ``serve --no-worker`` processes (on several hosts) and several ``simexit worker``
    processes against one PostgreSQL. With ``--workers N`` on one host, uvicorn starts N server processes and
    simexit gives them a fresh PROMETHEUS_MULTIPROC_DIR (unless you set one; several ``serve`` commands on one
    host share metrics by sharing that directory, which you then empty before they start)."""
    import uvicorn

    from simexit.bootstrap import InsecureSettings, refuse_insecure_settings
    from simexit.store.migrate import upgrade

    settings = get_settings()
    try:
        refuse_insecure_settings(settings)
    except InsecureSettings as e:
        _fail(str(e))
    upgrade(settings.database_url)
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.mkdtemp(prefix="simexit-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # inherited by the spawned server processes
    background = None
    if settings.embedded_worker if embedded is None else embedded:
        from simexit.bootstrap import embedded_worker

        background = embedded_worker(_app(), settings).start()
        click.echo("simexit: embedded worker started (switch off with --no-worker)", err=True)
    try:
        uvicorn.run("simexit.asgi:create_app", factory=True, host=host, port=port, workers=workers,
                    access_log=False, log_level="warning", **tls_options(settings))
    finally:
        if background is not None and not background.stop():
            click.echo("simexit: the embedded worker did not stop in time", err=True)
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


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


@click.group("staff")
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
    from simexit.services.access import commands as access
    from simexit.services.access.caller import System

    made = access.create_staff(_app(), System(), username, password, role, list(brands), display_name=display_name,
                               totp=totp)
    click.echo(f"created {username.lower()} ({role})")
    if made.totp_secret:
        click.echo(f"TOTP secret (enrol it in an authenticator app now; it is not shown again): {made.totp_secret}")


@staff_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@refusals
def staff_list(as_json: bool) -> None:
    from simexit.services.access import queries as access
    from simexit.services.access.caller import System

    _out([a.to_dict() for a in access.staff_accounts(_app(), System())], as_json, lambda rows: [click.echo(
        f"{r['username']:<16} {r['role']:<12} {','.join(r['brands']):<30} "
        f"{'active' if r['active'] else 'inactive'}{' totp' if r['totp'] else ''}") for r in rows])
