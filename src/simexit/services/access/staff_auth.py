"""Staff accounts: argon2id passwords, optional TOTP, roles scoped to brands, sessions, lockout."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY
from sqlalchemy import bindparam, insert, select, update

from simexit.domain.errors import Conflict, InvalidInput, NotFound
from simexit.domain.roles import Permission, Role, allowed
from simexit.services.access.customer_auth import AuthFailed
from simexit.services.context import Simexit
from simexit.services.privacy import audit
from simexit.store.tables_auth import staff, staff_sessions

SESSION_TTL = timedelta(hours=10)
MAX_FAILED = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 12


@lru_cache(maxsize=2)
def hasher(fast: bool = False) -> PasswordHasher:
    """argon2id (RFC 9106 low-memory profile); ``fast`` (Simexit.fast_password_hash) is for tests only."""
    return PasswordHasher.from_parameters(CHEAPEST if fast else RFC_9106_LOW_MEMORY)


# A hash to verify against when the user does not exist, so that both answers take as long.
_DUMMY: dict[bool, str] = {}


@dataclass(frozen=True)
class StaffIdentity:
    id: int
    username: str
    display_name: str
    role: Role
    brands: tuple[str, ...]

    def can(self, permission: Permission) -> bool:
        return allowed(self.role, permission)

    def sees_brand(self, brand: str) -> bool:
        return "*" in self.brands or brand in self.brands


def create_staff(app: Simexit, username: str, password: str, role: str, brands: list[str], *,
                 display_name: str | None = None, totp: bool = False) -> str | None:
    """Create an account; returns the TOTP secret (to enrol an authenticator app) when ``totp``."""
    try:
        r = Role(role)
    except ValueError:
        raise InvalidInput("ROLE_UNKNOWN", f"unknown role {role!r}", allowed=[x.value for x in Role]) from None
    name = username.strip().lower()
    if not name or len(name) > 64 or not name.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("USERNAME_INVALID", "a user name has letters, digits, dot, dash or underscore")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("PASSWORD_TOO_SHORT", f"a staff password has at least {MIN_PASSWORD} characters")
    for b in brands:
        if b != "*":
            app.policy(b)
    if not brands:
        raise InvalidInput("BRANDS_REQUIRED", "a staff account is scoped to at least one brand (or '*')")
    secret = pyotp.random_base32(32) if totp else None
    with app.db.write() as conn:
        if conn.execute(select(staff.c.id).where(staff.c.username == name)).first():
            raise Conflict("USERNAME_TAKEN", f"user name {name!r} is taken")
        conn.execute(insert(staff).values(
            username=name, display_name=display_name or name,
            password_hash=hasher(app.fast_password_hash).hash(password),
            role=r.value, brands=sorted(set(brands)), totp_secret=secret, active=True, failed_logins=0,
            created_at=app.clock.now()))
    return secret


def sign_in(app: Simexit, username: str, password: str, totp_code: str | None = None
            ) -> tuple[str, StaffIdentity]:
    name = (username or "").strip().lower()
    fast_hash = app.fast_password_hash
    h = hasher(fast_hash)
    with app.db.write() as conn:
        now = app.clock.now()
        row = conn.execute(select(staff).where(staff.c.username == name)).mappings().first()
        if row is not None and row["locked_until"] is not None and row["locked_until"] > now:
            raise AuthFailed("SIGN_IN_LOCKED", "too many failed sign-ins; try again later")
        stored = row["password_hash"] if row else _DUMMY.setdefault(fast_hash, h.hash(secrets.token_hex(8)))
        try:
            ok = h.verify(stored, password or "")
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and row["totp_secret"]:
            ok = bool(totp_code) and pyotp.TOTP(row["totp_secret"]).verify(totp_code, for_time=now, valid_window=1)
        if row is None or not ok or not row["active"]:
            if row is not None:
                failed = row["failed_logins"] + 1
                conn.execute(update(staff).where(staff.c.id == row["id"]).values(
                    failed_logins=0 if failed >= MAX_FAILED else failed,
                    locked_until=now + LOCKOUT if failed >= MAX_FAILED else row["locked_until"]))
            error = AuthFailed("SIGN_IN_FAILED", "user name, password or code is wrong")
            if row is not None:
                audit.record(conn, at=now, actor=f"staff:{row['username']}", role=row["role"],
                             action="auth.sign_in_failed", subject_type="actor",
                             subject_ref=f"staff:{row['username']}", data={"method": "password"})
        else:
            error = None
            conn.execute(update(staff).where(staff.c.id == row["id"]).values(failed_logins=0, locked_until=None))
            token = secrets.token_urlsafe(32)
            conn.execute(insert(staff_sessions).values(
                token_hash=hashlib.sha256(token.encode()).hexdigest(), staff_id=row["id"], created_at=now,
                expires_at=now + SESSION_TTL))
            identity = _identity(row)
            audit.record(conn, at=now, actor=f"staff:{row['username']}", role=row["role"], action="auth.sign_in",
                         subject_type="actor", subject_ref=f"staff:{row['username']}",
                         data={"method": "password+totp" if row["totp_secret"] else "password"})
    if error is not None:
        raise error
    return token, identity


def _identity(row) -> StaffIdentity:  # type: ignore[no-untyped-def]
    return StaffIdentity(row["id"], row["username"], row["display_name"], Role(row["role"]), tuple(row["brands"]))


# Built once: every staff request looks its session up.
_SESSION = (select(staff, staff_sessions.c.expires_at.label("s_expires"), staff_sessions.c.revoked_at)
            .join(staff_sessions, staff_sessions.c.staff_id == staff.c.id)
            .where(staff_sessions.c.token_hash == bindparam("token_hash")))


def session_from_token(app: Simexit, token: str | None) -> StaffIdentity | None:
    if not token:
        return None
    with app.db.lookup() as conn:
        row = conn.execute(_SESSION, {"token_hash": hashlib.sha256(token.encode()).hexdigest()}).mappings().first()
    if row is None or row["revoked_at"] is not None or row["s_expires"] <= app.clock.now() or not row["active"]:
        return None
    return _identity(row)


def sign_out(app: Simexit, token: str) -> None:
    with app.db.write() as conn:
        conn.execute(update(staff_sessions)
                     .where(staff_sessions.c.token_hash == hashlib.sha256(token.encode()).hexdigest())
                     .values(revoked_at=app.clock.now()))


def list_staff(app: Simexit) -> list[dict[str, object]]:
    with app.db.read() as conn:
        rows = conn.execute(select(staff.c.username, staff.c.display_name, staff.c.role, staff.c.brands,
                                   staff.c.active, staff.c.totp_secret.is_not(None).label("totp"))
                            .order_by(staff.c.username)).mappings().all()
    return [dict(r) for r in rows]


def deactivate(app: Simexit, username: str) -> None:
    with app.db.write() as conn:
        if conn.execute(update(staff).where(staff.c.username == username.lower()).values(active=False)).rowcount != 1:
            raise NotFound("STAFF_NOT_FOUND", f"no staff account {username!r}")
