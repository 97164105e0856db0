"""Access queries: the caller behind a session token or a partner key (what the doors build a caller from),
a customer's own lines, staff accounts and partner keys."""

from __future__ import annotations

import hmac

from simexit.domain.roles import Role
from simexit.services.access.caller import (
    Caller,
    CustomerSession,
    Partner,
    StaffIdentity,
    require_customer,
    require_operator,
)
from simexit.services.access.hashing import token_hash
from simexit.services.access.views import PartnerKey, StaffAccount
from simexit.services.context import Simexit
from simexit.store import line_owners_repo, partner_keys_repo, sessions_repo, staff_repo


def customer_session(app: Simexit, token: str | None) -> CustomerSession | None:
    """The customer session of a token (cookie or bearer), None if unknown, revoked or expired."""
    if not token:
        return None
    with app.db.lookup() as conn:
        row = sessions_repo.customer_session(conn, token_hash(token))
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= app.clock.now():
        return None
    return CustomerSession(row["id"], row["customer_id"], row["msisdn"], row["expires_at"],
                           row["second_factor_until"])


def staff_session(app: Simexit, token: str | None) -> StaffIdentity | None:
    """The member of staff of a session token, None if unknown, revoked, expired or the account is inactive."""
    if not token:
        return None
    with app.db.lookup() as conn:
        row = sessions_repo.staff_session(conn, token_hash(token))
    if row is None or row["revoked_at"] is not None or row["s_expires"] <= app.clock.now() or not row["active"]:
        return None
    return staff_identity(row, row["session_id"])


def partner_for_key(app: Simexit, key: str | None, scope: str) -> Partner | None:
    """The partner of an active key that carries ``scope``; None otherwise (unknown, revoked, out of scope)."""
    parts = (key or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "sxp" or len(parts[1]) != 12 or not parts[1].isalnum() or not parts[1].isascii():
        return None
    with app.db.read() as conn:
        row = partner_keys_repo.by_prefix(conn, parts[1])
    if row is None or row["revoked_at"] is not None or not hmac.compare_digest(row["key_hash"], token_hash(key or "")):
        return None
    if scope not in row["scopes"]:
        return None
    return Partner(row["id"], row["name"], tuple(row["scopes"]))


def customer_lines(app: Simexit, caller: Caller) -> list[str]:
    """The numbers of the signed-in customer's lines, oldest first."""
    session = require_customer(caller)
    with app.db.read() as conn:
        return line_owners_repo.numbers_of_customer(conn, session.customer_id)


def staff_identity(row, session_id: int | None = None) -> StaffIdentity:  # type: ignore[no-untyped-def]
    return StaffIdentity(row["id"], row["username"], row["display_name"], Role(row["role"]), tuple(row["brands"]),
                         session_id)


def staff_accounts(app: Simexit, caller: Caller) -> list[StaffAccount]:
    require_operator(caller)
    with app.db.read() as conn:
        rows = staff_repo.list_accounts(conn)
    return [StaffAccount(r["username"], r["display_name"], r["role"], list(r["brands"]), bool(r["active"]),
                         bool(r["totp"])) for r in rows]


def partner_keys(app: Simexit, caller: Caller) -> list[PartnerKey]:
    require_operator(caller)
    with app.db.read() as conn:
        rows = partner_keys_repo.list_keys(conn)
    return [PartnerKey(r["name"], r["prefix"], list(r["scopes"]), r["created_at"], r["revoked_at"]) for r in rows]
