"""Partner API keys (SM-DP+ callbacks, relying parties): shown once, stored as a prefix and a SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from simexit.domain.errors import InvalidInput, NotFound
from simexit.services.context import Simexit
from simexit.store.tables_api import partner_api_keys

SCOPES = ("smdp", "relying_party")


@dataclass(frozen=True)
class Partner:
    id: int
    name: str
    scopes: tuple[str, ...]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(app: Simexit, name: str, scopes: list[str]) -> tuple[str, str]:
    """Create a key; returns (prefix, the whole key). The whole key is not stored and cannot be shown again."""
    if not name.strip() or len(name) > 120:
        raise InvalidInput("NAME_REQUIRED", "name the partner (at most 120 characters)")
    bad = [s for s in scopes if s not in SCOPES]
    if not scopes or bad:
        raise InvalidInput("SCOPE_UNKNOWN", f"scopes are {', '.join(SCOPES)}", allowed=list(SCOPES))
    prefix = secrets.token_hex(6)
    key = f"sxp_{prefix}_{secrets.token_urlsafe(32)}"
    with app.db.write() as conn:
        conn.execute(insert(partner_api_keys).values(name=name.strip(), prefix=prefix, key_hash=_digest(key),
                                                     scopes=sorted(set(scopes)), created_at=app.clock.now()))
    return prefix, key


def revoke_key(app: Simexit, prefix: str) -> None:
    with app.db.write() as conn:
        done = conn.execute(update(partner_api_keys).where(partner_api_keys.c.prefix == prefix,
                                                           partner_api_keys.c.revoked_at.is_(None))
                            .values(revoked_at=app.clock.now())).rowcount
    if done != 1:
        raise NotFound("PARTNER_KEY_NOT_FOUND", f"no active key {prefix}")


def list_keys(app: Simexit) -> list[dict[str, Any]]:
    with app.db.read() as conn:
        rows = conn.execute(select(partner_api_keys.c.name, partner_api_keys.c.prefix, partner_api_keys.c.scopes,
                                   partner_api_keys.c.created_at, partner_api_keys.c.revoked_at)
                            .order_by(partner_api_keys.c.id)).mappings().all()
    return [dict(r) for r in rows]


def authenticate(app: Simexit, key: str | None, scope: str) -> Partner | None:
    """The partner of an active key that carries ``scope``; None otherwise (unknown, revoked, out of scope)."""
    parts = (key or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "sxp" or len(parts[1]) != 12 or not parts[1].isalnum() or not parts[1].isascii():
        return None
    with app.db.read() as conn:
        row = conn.execute(select(partner_api_keys).where(partner_api_keys.c.prefix == parts[1])).mappings().first()
    if row is None or row["revoked_at"] is not None or not hmac.compare_digest(row["key_hash"], _digest(key or "")):
        return None
    if scope not in row["scopes"]:
        return None
    return Partner(row["id"], row["name"], tuple(row["scopes"]))


def authenticate_name(app: Simexit, name: str, scope: str) -> Partner | None:
    """The partner ``name`` (named by its verified client certificate, issue 13) if it has an active key with
    ``scope``; revoking its keys revokes the certificate's access too."""
    with app.db.read() as conn:
        rows = conn.execute(select(partner_api_keys).where(partner_api_keys.c.name == name,
                                                           partner_api_keys.c.revoked_at.is_(None))
                            .order_by(partner_api_keys.c.id)).mappings().all()
    row = next((r for r in rows if scope in r["scopes"]), None)
    return None if row is None else Partner(row["id"], row["name"], tuple(row["scopes"]))
