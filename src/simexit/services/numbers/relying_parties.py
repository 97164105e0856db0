"""Relying parties (banks, payment and social apps) subscribed to permanent-disconnect webhooks: the rules of a
subscription, and the active ones the disconnect notifier posts to.

A partner key with the ``relying_party`` scope manages only its own subscriptions, stored under the name
``"<partner name>/<label>"``; the partner never sees another partner's subscriptions."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from simexit.domain.errors import Conflict, InvalidInput, NotFound
from simexit.integrations.relying_parties.webhooks import Subscription
from simexit.services.context import Simexit
from simexit.services.numbers.views import SubscriptionView
from simexit.store import numbers_repo

if TYPE_CHECKING:
    from simexit.store.database import Connection


def view_of(r: Any, *, label: str | None = None, secret: str | None = None) -> SubscriptionView:
    return SubscriptionView(name=r["name"], url=r["url"], active=r["active"], created_at=r["created_at"].isoformat(),
                            removed_at=r["removed_at"].isoformat() if r["removed_at"] else None, label=label,
                            secret=secret)


def owned_name(partner_name: str, label: str) -> str:
    return f"{partner_name}/{label}"


def add(conn: Connection, name: str, url: str, secret: str | None, now: Any) -> SubscriptionView:
    """Subscribe a party in the caller's transaction; the view carries its signing ``secret`` (shown this
    once: give it to the party)."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput("RELYING_PARTY_NAME_INVALID", "a name has 1 to 80 characters")
    parts = urlsplit(url or "")
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise InvalidInput("RELYING_PARTY_URL_INVALID", "the webhook URL must be http(s)://host/…")
    if secret is not None and len(secret) < 32:
        raise InvalidInput("RELYING_PARTY_SECRET_WEAK", "a signing secret has at least 32 characters")
    secret = secret or secrets.token_urlsafe(32)
    existing = numbers_repo.relying_party(conn, name)
    if existing is not None and existing["active"]:
        raise Conflict("RELYING_PARTY_EXISTS", f"{name!r} is already subscribed")
    values = dict(url=url, secret=secret, active=True, created_at=now, removed_at=None)
    if existing is None:
        numbers_repo.add_relying_party(conn, name, values)
    else:  # subscribed again after a removal
        numbers_repo.update_relying_party(conn, name, values)
    return view_of(numbers_repo.relying_party(conn, name), secret=secret)


def remove(conn: Connection, name: str, now: Any) -> SubscriptionView:
    """Stop sending to a party (the row stays, inactive, so the history of who was told remains readable)."""
    if numbers_repo.deactivate_relying_party(conn, name, now) != 1:
        raise NotFound("RELYING_PARTY_NOT_FOUND", f"no active relying party {name!r}")
    return view_of(numbers_repo.relying_party(conn, name))


def active_subscriptions(app: Simexit) -> list[Subscription]:
    """Where the disconnect notifier posts (integrations/wiring.py gives it this function)."""
    with app.db.read() as conn:
        rows = numbers_repo.relying_parties_list(conn)
    return [Subscription(r["name"], r["url"], r["secret"]) for r in rows]
