"""Access use cases that change state: customer sign-in (SMS code, second factor, sign-out), staff sign-in and
sign-out, staff accounts and partner keys. Each is one transaction and checks its caller first.

Customer sign-in:
- Codes are 6 digits, stored as a keyed hash, valid 5 minutes, compared in constant time.
- 5 wrong codes lock that number for 15 minutes; sending is rate-limited per number and per client address.
- Answers never reveal whether a number exists: an unknown number gets the same answer, and no SMS.
- Sensitive steps (apply, withdraw, change the refund destination) also ask for the last 6 characters of
  the ID number, which unlocks them for 10 minutes in this session.

Staff: argon2id passwords, optional TOTP, roles scoped to brands, sessions, lockout.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from simexit.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from simexit.domain.identity import id_tail_matches
from simexit.domain.policy import brand_display_name
from simexit.domain.roles import Role
from simexit.services.access import passwords, throttle
from simexit.services.access.caller import (
    Caller,
    CustomerSession,
    require_customer,
    require_operator,
    require_public,
    require_staff,
)
from simexit.services.access.hashing import keyed_hash, token_hash
from simexit.services.access.queries import staff_identity
from simexit.services.access.views import CodeSent, CustomerSignIn, NewPartnerKey, NewStaffAccount, StaffSignIn
from simexit.services.closure.precheck import resolve_msisdn
from simexit.services.context import Simexit
from simexit.services.execution.outbox import enqueue
from simexit.services.privacy import audit
from simexit.store import line_owners_repo, partner_keys_repo, sessions_repo, sign_in_codes_repo, staff_repo

if TYPE_CHECKING:
    from sqlalchemy import Connection

# Customer sign-in
CODE_TTL = timedelta(minutes=5)
CUSTOMER_SESSION_TTL = timedelta(hours=12)
SECOND_FACTOR_TTL = timedelta(minutes=10)
MAX_WRONG_CODES = 5
LOCKOUT = timedelta(minutes=15)
SENDS_PER_NUMBER = (5, timedelta(minutes=15))
SENDS_PER_ADDRESS = (30, timedelta(minutes=15))

# Staff
STAFF_SESSION_TTL = timedelta(hours=10)
MAX_FAILED_STAFF_SIGN_INS = 5
STAFF_LOCKOUT = timedelta(minutes=15)

PARTNER_SCOPES = ("smdp", "relying_party")


class AuthFailed(DomainError):
    status = 401


def _h(app: Simexit, kind: str, value: str) -> str:
    return keyed_hash(app.secret_key, kind, value)


# --- customers -------------------------------------------------------------------------------------------------

def start_customer_sign_in(app: Simexit, caller: Caller, msisdn: str, *, purpose: str = "sign_in") -> CodeSent:
    """Send a code to the number if it is a customer's line; the answer is the same either way."""
    public = require_public(caller)
    number = resolve_msisdn(app, msisdn)
    subject = _h(app, "msisdn", number)
    code = f"{secrets.randbelow(10**6):06d}"
    with app.db.write() as conn:
        now = app.clock.now()
        throttle.check(conn, f"otp-fail:{subject}", now=now, code="SIGN_IN_LOCKED",
                       message="too many wrong codes for this number; try again later")
        throttle.hit(conn, f"otp-send:{subject}", now=now, limit=SENDS_PER_NUMBER[0], window=SENDS_PER_NUMBER[1],
                     code="RATE_LIMITED", message="too many codes requested for this number; try again later")
        throttle.hit(conn, f"otp-send-ip:{_h(app, 'ip', public.client_address)}", now=now,
                     limit=SENDS_PER_ADDRESS[0], window=SENDS_PER_ADDRESS[1], code="RATE_LIMITED",
                     message="too many codes requested from this address; try again later")
        cid = sign_in_codes_repo.issue(conn, subject_hash=subject, purpose=purpose,
                                       code_hash=_h(app, "otp", code), now=now, expires_at=now + CODE_TTL)
        owner = line_owners_repo.owner_of_open_line(conn, number)
        if owner is not None:
            enqueue(conn, kind="sms", recipient=number, template="otp_code", locale=owner["locale"],
                    payload={"code": code, "minutes_valid": int(CODE_TTL.total_seconds() // 60),
                             "brand_name": brand_display_name(app.policy(owner["code"]), owner["locale"])},
                    idempotency_key=f"otp:{cid}", now=now)
    return CodeSent(int(CODE_TTL.total_seconds()))


def verify_customer_sign_in(app: Simexit, caller: Caller, msisdn: str, code: str, *,
                            purpose: str = "sign_in") -> CustomerSignIn:
    """Check the code; on success a new session and its token (shown once)."""
    require_public(caller)
    number = resolve_msisdn(app, msisdn)
    subject = _h(app, "msisdn", number)
    fail_key = f"otp-fail:{subject}"
    with app.db.write() as conn:
        now = app.clock.now()
        throttle.check(conn, fail_key, now=now, code="SIGN_IN_LOCKED",
                       message="too many wrong codes for this number; try again later")
        ch = sign_in_codes_repo.latest_live(conn, subject, purpose, now)
        candidate = _h(app, "otp", (code or "").strip())
        ok = ch is not None and hmac.compare_digest(candidate, ch["code_hash"])
        owner = line_owners_repo.owner_of_open_line(conn, number) if ok else None
        if not ok or owner is None:
            if ch is not None:
                sign_in_codes_repo.take_try(conn, ch["id"], max_tries=2**31 - 1)
            failed = _record_failure(conn, fail_key, now)
        else:
            failed = None
            sign_in_codes_repo.consume(conn, ch["id"], now)
            throttle.reset(conn, fail_key)
            token = secrets.token_urlsafe(32)
            expires = now + CUSTOMER_SESSION_TTL
            sid = sessions_repo.open_customer_session(conn, token_hash=token_hash(token),
                                                      customer_id=owner["customer_id"], msisdn=number, now=now,
                                                      expires_at=expires)
            session = CustomerSession(sid, owner["customer_id"], number, expires, None)
            audit.record(conn, at=now, actor=f"customer:{session.customer_id}", role="customer",
                         action="auth.sign_in", subject_type="actor", subject_ref=f"customer:{session.customer_id}",
                         data={"method": "otp"})
    # The failure is committed (counted) before it is reported.
    if failed is not None:
        raise failed
    return CustomerSignIn(token, session, int(CUSTOMER_SESSION_TTL.total_seconds()))


def _record_failure(conn: Connection, key: str, now: datetime) -> DomainError:
    try:
        throttle.hit(conn, key, now=now, limit=MAX_WRONG_CODES - 1, window=LOCKOUT, lock_for=LOCKOUT,
                     code="SIGN_IN_LOCKED", message="too many wrong codes for this number; try again later")
    except throttle.TooManyAttempts as locked:
        return locked
    return AuthFailed("CODE_INVALID", "the code is wrong or has expired")


def confirm_second_factor(app: Simexit, caller: Caller, id_tail: str) -> CustomerSession:
    """The last 6 characters of the ID number unlock sensitive steps for a few minutes."""
    session = require_customer(caller)
    key = f"second-factor-fail:{session.customer_id}"
    with app.db.write() as conn:
        now = app.clock.now()
        throttle.check(conn, key, now=now, code="SECOND_FACTOR_LOCKED", message="too many wrong answers; try later")
        row = line_owners_repo.id_tail_record(conn, session.customer_id)
        if row is None or not id_tail_matches(app.secret_key, row["id_type"], id_tail, row["id_tail_hash"]):
            failed = _record_failure(conn, key, now)
            if failed.code == "CODE_INVALID":
                failed = AuthFailed("SECOND_FACTOR_INVALID", "those are not the last 6 characters of your ID number")
        else:
            failed = None
            until = now + SECOND_FACTOR_TTL
            sessions_repo.confirm_second_factor(conn, session.session_id, until)
            throttle.reset(conn, key)
    if failed is not None:
        raise failed
    return CustomerSession(session.session_id, session.customer_id, session.msisdn, session.expires_at, until)


def sign_out_customer(app: Simexit, caller: Caller) -> None:
    session = require_customer(caller)
    with app.db.write() as conn:
        sessions_repo.revoke_customer_session(conn, session.session_id, app.clock.now())


# --- staff -----------------------------------------------------------------------------------------------------

def sign_in_staff(app: Simexit, caller: Caller, username: str, password: str,
                  totp_code: str | None = None) -> StaffSignIn:
    require_public(caller)
    name = (username or "").strip().lower()
    fast = app.fast_password_hash
    with app.db.write() as conn:
        now = app.clock.now()
        row = staff_repo.by_username(conn, name)
        if row is not None and row["locked_until"] is not None and row["locked_until"] > now:
            raise AuthFailed("SIGN_IN_LOCKED", "too many failed sign-ins; try again later")
        stored = row["password_hash"] if row else passwords.dummy_hash(fast)
        ok = passwords.password_matches(stored, password, fast=fast)
        if ok and row["totp_secret"]:
            ok = passwords.totp_matches(row["totp_secret"], totp_code, now)
        if row is None or not ok or not row["active"]:
            if row is not None:
                failed = row["failed_logins"] + 1
                staff_repo.set_failures(conn, row["id"], 0 if failed >= MAX_FAILED_STAFF_SIGN_INS else failed,
                                        now + STAFF_LOCKOUT if failed >= MAX_FAILED_STAFF_SIGN_INS
                                        else row["locked_until"])
            error: DomainError | None = AuthFailed("SIGN_IN_FAILED", "user name, password or code is wrong")
            if row is not None:
                audit.record(conn, at=now, actor=f"staff:{row['username']}", role=row["role"],
                             action="auth.sign_in_failed", subject_type="actor",
                             subject_ref=f"staff:{row['username']}", data={"method": "password"})
        else:
            error = None
            staff_repo.record_sign_in(conn, row["id"])
            token = secrets.token_urlsafe(32)
            sid = sessions_repo.open_staff_session(conn, token_hash=token_hash(token), staff_id=row["id"], now=now,
                                                   expires_at=now + STAFF_SESSION_TTL)
            identity = staff_identity(row, sid)
            audit.record(conn, at=now, actor=f"staff:{row['username']}", role=row["role"], action="auth.sign_in",
                         subject_type="actor", subject_ref=f"staff:{row['username']}",
                         data={"method": "password+totp" if row["totp_secret"] else "password"})
    if error is not None:
        raise error
    return StaffSignIn(token, identity, int(STAFF_SESSION_TTL.total_seconds()))


def sign_out_staff(app: Simexit, caller: Caller) -> None:
    who = require_staff(caller)
    if who.session_id is None:
        raise Forbidden("CALLER_NOT_PERMITTED", "not signed in through a session")
    with app.db.write() as conn:
        sessions_repo.revoke_staff_session(conn, who.session_id, app.clock.now())


def create_staff(app: Simexit, caller: Caller, username: str, password: str, role: str, brands: list[str], *,
                 display_name: str | None = None, totp: bool = False) -> NewStaffAccount:
    """Create an account; with ``totp`` the secret to enrol an authenticator app comes back (shown once)."""
    require_operator(caller)
    try:
        r = Role(role)
    except ValueError:
        raise InvalidInput("ROLE_UNKNOWN", f"unknown role {role!r}", allowed=[x.value for x in Role]) from None
    name = username.strip().lower()
    if not name or len(name) > 64 or not name.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("USERNAME_INVALID", "a user name has letters, digits, dot, dash or underscore")
    if len(password) < passwords.MIN_PASSWORD:
        raise InvalidInput("PASSWORD_TOO_SHORT",
                           f"a staff password has at least {passwords.MIN_PASSWORD} characters")
    for b in brands:
        if b != "*":
            app.policy(b)
    if not brands:
        raise InvalidInput("BRANDS_REQUIRED", "a staff account is scoped to at least one brand (or '*')")
    secret = passwords.new_totp_secret() if totp else None
    with app.db.write() as conn:
        if staff_repo.exists(conn, name):
            raise Conflict("USERNAME_TAKEN", f"user name {name!r} is taken")
        staff_repo.insert_staff(conn, dict(
            username=name, display_name=display_name or name,
            password_hash=passwords.hash_password(password, fast=app.fast_password_hash),
            role=r.value, brands=sorted(set(brands)), totp_secret=secret, active=True, failed_logins=0,
            created_at=app.clock.now()))
    return NewStaffAccount(name, secret)


def deactivate_staff(app: Simexit, caller: Caller, username: str) -> None:
    require_operator(caller)
    with app.db.write() as conn:
        if not staff_repo.deactivate(conn, username.lower()):
            raise NotFound("STAFF_NOT_FOUND", f"no staff account {username!r}")


# --- partner keys ----------------------------------------------------------------------------------------------

def create_partner_key(app: Simexit, caller: Caller, name: str, scopes: list[str]) -> NewPartnerKey:
    """A key for a partner (SM-DP+ callbacks, relying parties). The whole key is not stored: shown once."""
    require_operator(caller)
    if not name.strip() or len(name) > 120:
        raise InvalidInput("NAME_REQUIRED", "name the partner (at most 120 characters)")
    bad = [s for s in scopes if s not in PARTNER_SCOPES]
    if not scopes or bad:
        raise InvalidInput("SCOPE_UNKNOWN", f"scopes are {', '.join(PARTNER_SCOPES)}", allowed=list(PARTNER_SCOPES))
    prefix = secrets.token_hex(6)
    key = f"sxp_{prefix}_{secrets.token_urlsafe(32)}"
    with app.db.write() as conn:
        partner_keys_repo.insert_key(conn, name=name.strip(), prefix=prefix, key_hash=token_hash(key),
                                     scopes=sorted(set(scopes)), now=app.clock.now())
    return NewPartnerKey(prefix, key)


def revoke_partner_key(app: Simexit, caller: Caller, prefix: str) -> None:
    require_operator(caller)
    with app.db.write() as conn:
        done = partner_keys_repo.revoke(conn, prefix, app.clock.now())
    if not done:
        raise NotFound("PARTNER_KEY_NOT_FOUND", f"no active key {prefix}")
