"""Access use cases that change state: customer sign-in (SMS code, second factor, sign-out), staff sign-in and
sign-out, staff accounts and partner keys. Each is one transaction and checks its caller first.

Customer sign-in:
- Codes are 6 digits, stored as a keyed hash, valid 5 minutes, compared in constant time.
- Wrong codes count against the code that was sent: its 5th wrong answer uses it up, and a new code can be
  asked for at once. Nobody can lock a customer out by typing wrong codes for their number.
- Code checks are limited per client address (20 wrong codes per 15 minutes) and overall (300 wrong codes per
  5 minutes); sending is rate-limited per number and per client address.
- Answers never reveal whether a number exists: an unknown number gets the same answer, and no SMS.
- Sensitive steps (apply, withdraw, change the refund destination) also ask for the last 6 characters of
  the ID number, which unlocks them for 10 minutes in this session.

Staff: argon2id passwords, optional TOTP, roles scoped to brands, sessions. Failed sign-ins are counted per
user name, per address and per (name, address), whether or not the name exists, and make the next try wait
(backoff): an unknown name gets the same answers, in the same time, as a real one.
"""

from __future__ import annotations

import hmac
import secrets
from contextlib import suppress
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
MAX_WRONG_CODES = 5  # per code sent
WRONG_CODES_PER_ADDRESS = (20, timedelta(minutes=15))
# Every live code guessed at, from anywhere: at most 300 guesses per 5 minutes, so that an attacker with many
# addresses still has less than 1 chance in 3,000 per 5 minutes of guessing any code.
WRONG_CODES_OVERALL = (300, timedelta(minutes=5))
SECOND_FACTOR_LOCKOUT = timedelta(minutes=15)  # after 5 wrong ID tails (needs the customer's session)
SENDS_PER_NUMBER = (5, timedelta(minutes=15))
SENDS_PER_ADDRESS = (30, timedelta(minutes=15))

# Staff
STAFF_SESSION_TTL = timedelta(hours=10)
# The owner trying from their own desk is slowed by failures from elsewhere for at most a minute; the
# address an attacker guesses from waits up to 15 minutes per try.
STAFF_BACKOFF_PER_NAME_AND_ADDRESS = throttle.Backoff(free=5, first=timedelta(seconds=1),
                                                      cap=timedelta(minutes=15), window=timedelta(hours=24))
STAFF_BACKOFF_PER_NAME = throttle.Backoff(free=10, first=timedelta(seconds=1), cap=timedelta(minutes=1),
                                          window=timedelta(hours=24))
STAFF_BACKOFF_PER_ADDRESS = throttle.Backoff(free=30, first=timedelta(seconds=1), cap=timedelta(minutes=5),
                                             window=timedelta(hours=1))

PARTNER_SCOPES = ("smdp", "relying_party")


class AuthFailed(DomainError):
    status = 401


def _h(app: Simexit, kind: str, value: str) -> str:
    return keyed_hash(app.secret_key, kind, value)


# --- customers -------------------------------------------------------------------------------------------------

def start_customer_sign_in(app: Simexit, caller: Caller, msisdn: str, *, purpose: str = "sign_in",
                           brand: str | None = None) -> CodeSent:
    """Send a code to the number if it is a customer's line; the answer is the same either way. A number without
    +country is read in the region of ``brand`` (the page's), else of the operator's brands (closure.precheck)."""
    public = require_public(caller)
    number = resolve_msisdn(app, msisdn, brand)
    subject = _h(app, "msisdn", number)
    code = f"{secrets.randbelow(10**6):06d}"
    with app.db.write() as conn:
        now = app.clock.now()
        throttle.hit(conn, f"otp-send:{subject}", now=now, limit=SENDS_PER_NUMBER[0], window=SENDS_PER_NUMBER[1],
                     code="RATE_LIMITED", message="too many codes requested for this number; try again later")
        throttle.hit(conn, f"otp-send-ip:{_h(app, 'ip', public.client_address)}", now=now,
                     limit=SENDS_PER_ADDRESS[0], window=SENDS_PER_ADDRESS[1], code="RATE_LIMITED",
                     message="too many codes requested from this address; try again later")
        # The SMS's idempotency key (stored with its outbox row, sent on every try) is random: the code's row id
        # repeats across databases, and a gateway shared by two instances took the second "otp:1" for the first.
        sign_in_codes_repo.issue(conn, subject_hash=subject, purpose=purpose,
                                       code_hash=_h(app, "otp", code), now=now, expires_at=now + CODE_TTL)
        owner = line_owners_repo.owner_of_open_line(conn, number)
        if owner is not None:
            enqueue(conn, kind="sms", recipient=number, template="otp_code", locale=owner["locale"],
                    payload={"code": code, "minutes_valid": int(CODE_TTL.total_seconds() // 60),
                             "brand_name": brand_display_name(app.policy(owner["code"]), owner["locale"])},
                    idempotency_key=f"otp:{secrets.token_hex(16)}", now=now)
    return CodeSent(int(CODE_TTL.total_seconds()))


def verify_customer_sign_in(app: Simexit, caller: Caller, msisdn: str, code: str, *,
                            purpose: str = "sign_in", brand: str | None = None) -> CustomerSignIn:
    """Check the code; on success a new session and its token (shown once).

    Each try is counted before the code is compared (per address and per code), so that simultaneous tries
    are checked one at a time: a code is compared at most 5 times, whatever arrives at once."""
    public = require_public(caller)
    number = resolve_msisdn(app, msisdn, brand)
    subject = _h(app, "msisdn", number)
    address_key = f"otp-verify-ip:{_h(app, 'ip', public.client_address)}"
    with app.db.write() as conn:
        now = app.clock.now()
        throttle.take(conn, address_key, now=now, limit=WRONG_CODES_PER_ADDRESS[0],
                      window=WRONG_CODES_PER_ADDRESS[1], code="RATE_LIMITED",
                      message="too many wrong codes from this address; try again later")
        failed = _check_code(app, conn, subject, purpose, code, now)
        if failed is None:
            owner = line_owners_repo.owner_of_open_line(conn, number)
            if owner is None:  # the line was closed since the code was sent
                failed = _wrong_code()
        if failed is None:
            throttle.give_back(conn, address_key)
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


def _wrong_code() -> DomainError:
    return AuthFailed("CODE_INVALID", "the code is wrong or has expired")


def _check_code(app: Simexit, conn: Connection, subject: str, purpose: str, code: str,
                now: datetime) -> DomainError | None:
    """None when ``code`` is the number's live code (then used up); otherwise the refusal to report."""
    ch = sign_in_codes_repo.latest_live(conn, subject, purpose, now)
    if ch is None:  # nothing to guess: no code was sent, or it expired or was used
        return _wrong_code()
    overall = "otp-verify-all"
    throttle.refused(conn, overall, now=now, code="RATE_LIMITED",
                     message="too many sign-in attempts right now; try again in a few minutes")
    tried = sign_in_codes_repo.take_try(conn, ch["id"], max_tries=MAX_WRONG_CODES)
    if tried is None:
        return throttle.TooManyAttempts("SIGN_IN_LOCKED", "too many wrong codes; ask for a new code")
    if hmac.compare_digest(_h(app, "otp", (code or "").strip()), ch["code_hash"]):
        sign_in_codes_repo.consume(conn, ch["id"], now)
        return None
    # The overall count's row is shared by every sign-in: counted last, so that it is locked only until commit.
    with suppress(throttle.TooManyAttempts):  # this answer was checked; the limit shows from the next one on
        throttle.hit(conn, overall, now=now, limit=WRONG_CODES_OVERALL[0] - 1, window=WRONG_CODES_OVERALL[1],
                     code="RATE_LIMITED", message="too many sign-in attempts right now")
    if tried >= MAX_WRONG_CODES:
        return throttle.TooManyAttempts("SIGN_IN_LOCKED", "too many wrong codes; ask for a new code")
    return _wrong_code()


def _second_factor_failure(conn: Connection, key: str, now: datetime) -> DomainError:
    try:
        throttle.hit(conn, key, now=now, limit=MAX_WRONG_CODES - 1, window=SECOND_FACTOR_LOCKOUT,
                     lock_for=SECOND_FACTOR_LOCKOUT, code="SECOND_FACTOR_LOCKED",
                     message="too many wrong answers; try later")
    except throttle.TooManyAttempts as locked:
        return locked
    return AuthFailed("SECOND_FACTOR_INVALID", "those are not the last 6 characters of your ID number")


def confirm_second_factor(app: Simexit, caller: Caller, id_tail: str) -> CustomerSession:
    """The last 6 characters of the ID number unlock sensitive steps for a few minutes."""
    session = require_customer(caller)
    key = f"second-factor-fail:{session.customer_id}"
    with app.db.write() as conn:
        now = app.clock.now()
        throttle.check(conn, key, now=now, code="SECOND_FACTOR_LOCKED", message="too many wrong answers; try later")
        row = line_owners_repo.id_tail_record(conn, session.customer_id)
        if row is None or not id_tail_matches(app.secret_key, row["id_type"], id_tail, row["id_tail_hash"]):
            failed = _second_factor_failure(conn, key, now)
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
    """Password (and TOTP when enrolled). Unknown and known names take the same path: the same counters, one
    argon2 verification each (an unknown name against a dummy hash made once), the same answers."""
    public = require_public(caller)
    name = (username or "").strip().lower()[:200]
    fast = app.fast_password_hash
    address = public.client_address
    keys = ((f"staff-ip:{_h(app, 'ip', address)}", STAFF_BACKOFF_PER_ADDRESS, False),  # shared by an office
            (f"staff-name:{_h(app, 'staff', name)}", STAFF_BACKOFF_PER_NAME, True),
            (f"staff-pair:{_h(app, 'staff-ip', f'{name} {address}')}", STAFF_BACKOFF_PER_NAME_AND_ADDRESS, True))
    refusal = {"code": "SIGN_IN_LOCKED", "message": "too many failed sign-ins; wait and try again"}
    with app.db.write() as conn:
        now = app.clock.now()
        for key, _backoff, hold in keys:  # always in this order (row locks)
            (throttle.check if hold else throttle.refused)(conn, key, now=now, **refusal)
        row = staff_repo.by_username(conn, name)
        ok = passwords.password_matches(row["password_hash"] if row else passwords.dummy_hash(fast), password,
                                        fast=fast)
        if row is not None and ok and row["totp_secret"]:
            ok = passwords.totp_matches(row["totp_secret"], totp_code, now)
        if row is None or not ok or not row["active"]:
            for key, backoff, _hold in keys:
                throttle.failed(conn, key, backoff, now=now)
            error: DomainError | None = AuthFailed("SIGN_IN_FAILED", "user name, password or code is wrong")
            if row is not None:
                staff_repo.record_failed_sign_in(conn, row["id"])
                audit.record(conn, at=now, actor=f"staff:{row['username']}", role=row["role"],
                             action="auth.sign_in_failed", subject_type="actor",
                             subject_ref=f"staff:{row['username']}", data={"method": "password"})
        else:
            error = None
            for key, _backoff, hold in keys:
                if hold:  # the owner is in: the backoff of their name ends (the address's stays)
                    throttle.reset(conn, key)
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
