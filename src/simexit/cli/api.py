"""``simexit partner-key …`` (partner API keys) and ``simexit outbox list`` (the demo's SMS and e-mail sink)."""

from __future__ import annotations

import click

from simexit.cli.common import _app, _out, refusals


@click.group("partner-key")
def partner_key() -> None:
    """API keys of partners: scope smdp (ES2+ callbacks), relying_party or number_recycling (CAMARA)."""

@partner_key.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True,
              type=click.Choice(["smdp", "relying_party", "number_recycling"]))
@refusals
def create(name: str, scopes: tuple[str, ...]) -> None:
    from simexit.services.access import commands as access
    from simexit.services.access.caller import System

    made = access.create_partner_key(_app(), System(), name, list(scopes))
    click.echo(f"created key {made.prefix} for {name} ({', '.join(scopes)}); it is not shown again:")
    click.echo(made.key)

@partner_key.command("revoke")
@click.argument("prefix")
@refusals
def revoke(prefix: str) -> None:
    from simexit.services.access import commands as access
    from simexit.services.access.caller import System

    access.revoke_partner_key(_app(), System(), prefix)
    click.echo(f"revoked {prefix}")

@partner_key.command("list")
@click.option("--json", "as_json", is_flag=True)
@refusals
def list_(as_json: bool) -> None:
    from simexit.services.access import queries as access
    from simexit.services.access.caller import System

    _out([k.to_dict() for k in access.partner_keys(_app(), System())], as_json, lambda rows: [click.echo(
        f"{r['prefix']}  {r['name']:<24} {','.join(r['scopes']):<20} "
        f"{'revoked' if r['revoked_at'] else 'active'}") for r in rows])

@click.group("outbox")
def outbox_group() -> None:
    """Messages waiting in the outbox (the demo shows sign-in codes here)."""

@outbox_group.command("list")
@click.option("--kind", type=click.Choice(["sms", "email", "webhook"]))
@click.option("--limit", default=20, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True)
@refusals
def outbox_list(kind: str | None, limit: int, as_json: bool) -> None:
    """Pending messages, newest first (a demo aid: it prints one-time codes)."""
    from simexit.services.access.caller import System
    from simexit.services.execution import queries

    rows = queries.pending_messages(_app(), System(), kind, limit)
    _out(rows, as_json, lambda rs: [click.echo(
        f"{r['id']:>5} {r['kind']:<6} {r['recipient']:<20} {r['template']:<22} "
        f"{r['payload'].get('code', '')}") for r in rs])
