"""Relying parties (banks, payment and social apps) subscribed to permanent-disconnect webhooks."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update

from simexit.domain.errors import Conflict, InvalidInput, NotFound
from simexit.integrations.relying_parties.webhooks import Subscription
from simexit.services.context import Simexit
from simexit.store.tables_messaging import relying_parties


def _view(r: Any) -> dict[str, Any]:
    return {"name": r["name"], "url": r["url"], "active": r["active"], "created_at": r["created_at"].isoformat(),
            "removed_at": r["removed_at"].isoformat() if r["removed_at"] else None}


def add_relying_party(app: Simexit, name: str, url: str, secret: str | None = None) -> dict[str, Any]:
    """Subscribe a party; returns it with its signing ``secret`` (shown this once: give it to the party)."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput("RELYING_PARTY_NAME_INVALID", "a name has 1 to 80 characters")
    parts = urlsplit(url or "")
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise InvalidInput("RELYING_PARTY_URL_INVALID", "the webhook URL must be http(s)://host/…")
    if secret is not None and len(secret) < 32:
        raise InvalidInput("RELYING_PARTY_SECRET_WEAK", "a signing secret has at least 32 characters")
    secret = secret or secrets.token_urlsafe(32)
    now = app.clock.now()
    with app.db.write() as conn:
        existing = conn.execute(select(relying_parties).where(relying_parties.c.name == name)).mappings().first()
        if existing is not None and existing["active"]:
            raise Conflict("RELYING_PARTY_EXISTS", f"{name!r} is already subscribed")
        values = dict(url=url, secret=secret, active=True, created_at=now, removed_at=None)
        if existing is None:
            conn.execute(relying_parties.insert().values(name=name, **values))
        else:  # subscribed again after a removal
            conn.execute(update(relying_parties).where(relying_parties.c.name == name).values(**values))
        row = conn.execute(select(relying_parties).where(relying_parties.c.name == name)).mappings().one()
        return {**_view(row), "secret": secret}


def list_relying_parties(app: Simexit, include_removed: bool = False) -> list[dict[str, Any]]:
    q = select(relying_parties).order_by(relying_parties.c.name)
    if not include_removed:
        q = q.where(relying_parties.c.active.is_(True))
    with app.db.read() as conn:
        return [_view(r) for r in conn.execute(q).mappings().all()]


def remove_relying_party(app: Simexit, name: str) -> dict[str, Any]:
    """Stop sending to a party (the row stays, inactive, so the history of who was told remains readable)."""
    with app.db.write() as conn:
        res = conn.execute(update(relying_parties)
                           .where(relying_parties.c.name == name, relying_parties.c.active.is_(True))
                           .values(active=False, removed_at=app.clock.now()))
        if res.rowcount != 1:
            raise NotFound("RELYING_PARTY_NOT_FOUND", f"no active relying party {name!r}")
        return _view(conn.execute(select(relying_parties).where(relying_parties.c.name == name)).mappings().one())


def active_subscriptions(app: Simexit) -> list[Subscription]:
    with app.db.read() as conn:
        rows = conn.execute(select(relying_parties.c.name, relying_parties.c.url, relying_parties.c.secret)
                            .where(relying_parties.c.active.is_(True)).order_by(relying_parties.c.name)).all()
    return [Subscription(r.name, r.url, r.secret) for r in rows]


# --- Per partner (API): a partner key with the relying_party scope manages only its own subscriptions, named
# "<partner name>/<label>"; the partner never sees another partner's subscriptions.

def _owned(partner_name: str, label: str) -> str:
    return f"{partner_name}/{label}"


def add_for_partner(app: Simexit, partner_name: str, label: str, url: str) -> dict[str, Any]:
    view = add_relying_party(app, _owned(partner_name, label), url)
    return {**view, "label": label}


def list_for_partner(app: Simexit, partner_name: str) -> list[dict[str, Any]]:
    prefix = f"{partner_name}/"
    return [{**v, "label": v["name"][len(prefix):]} for v in list_relying_parties(app)
            if v["name"].startswith(prefix)]


def remove_for_partner(app: Simexit, partner_name: str, label: str) -> dict[str, Any]:
    try:
        view = remove_relying_party(app, _owned(partner_name, label))
    except NotFound:
        raise NotFound("RELYING_PARTY_NOT_FOUND", f"no active subscription {label!r}") from None
    return {**view, "label": label}
