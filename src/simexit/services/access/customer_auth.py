"""Customer sign-in with the phone number and a one-time code sent by SMS (through the outbox).

- Codes are 6 digits, stored as a keyed hash, valid 5 minutes, compared in constant time.
- 5 wrong codes lock that number for 15 minutes; sending is rate-limited per number and per client address.
- Answers never reveal whether a number exists: an unknown number gets the same answer, and no SMS.
- Sensitive steps (apply, withdraw, change the refund destination) also ask for the last 6 characters of
  the ID number, which unlocks them for 10 minutes in this session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, insert, select, update

from simexit.domain.errors import DomainError
from simexit.domain.identity import id_tail_matches
from simexit.domain.policy import brand_display_name
from simexit.services.access import throttle
from simexit.services.closure.precheck import resolve_msisdn
from simexit.services.context import Simexit
from simexit.services.execution.outbox import enqueue
from simexit.services.privacy import audit
from simexit.store.tables import accounts, brands, customers, lines
from simexit.store.tables_auth import customer_sessions, otp_challenges

CODE_TTL = timedelta(minutes=5)
SESSION_TTL = timedelta(hours=12)
SECOND_FACTOR_TTL = timedelta(minutes=10)
MAX_WRONG_CODES = 5
LOCKOUT = timedelta(minutes=15)
SENDS_PER_NUMBER = (5, timedelta(minutes=15))
SENDS_PER_ADDRESS = (30, timedelta(minutes=15))


class AuthFailed(DomainError):
    status = 401


@dataclass(frozen=True)
class CustomerSession:
    session_id: int
    customer_id: int
    msisdn: str
    expires_at: datetime
    second_factor_until: datetime | None

    def second_factor_valid(self, now: datetime) -> bool:
        return self.second_factor_until is not None and self.second_factor_until > now


def _h(app: Simexit, kind: str, value: str) -> str:
    return hmac.new(app.secret_key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _owner(conn: Connection, msisdn: str) -> tuple[int, str, str] | None:
    row = conn.execute(
        select(accounts.c.customer_id, customers.c.locale, brands.c.code)
        .join(lines, lines.c.account_id == accounts.c.id).join(customers, customers.c.id == accounts.c.customer_id)
        .join(brands, brands.c.id == lines.c.brand_id)
        .where(lines.c.msisdn == msisdn, lines.c.status != "closed")
    ).first()
    return (row.customer_id, row.locale, row.code) if row else None


def start_sign_in(app: Simexit, msisdn: str, client_address: str, *, purpose: str = "sign_in") -> None:
    """Send a code to the number if it is a customer's line; the answer is the same either way."""
    number = resolve_msisdn(app, msisdn)
    subject = _h(app, "msisdn", number)
    code = f"{secrets.randbelow(10**6):06d}"
    with app.db.write() as conn:
        now = app.clock.now()
        throttle.check(conn, f"otp-fail:{subject}", now=now, code="SIGN_IN_LOCKED",
                       message="too many wrong codes for this number; try again later")
        throttle.hit(conn, f"otp-send:{subject}", now=now, limit=SENDS_PER_NUMBER[0], window=SENDS_PER_NUMBER[1],
                     code="RATE_LIMITED", message="too many codes requested for this number; try again later")
        throttle.hit(conn, f"otp-send-ip:{_h(app, 'ip', client_address)}", now=now, limit=SENDS_PER_ADDRESS[0],
                     window=SENDS_PER_ADDRESS[1], code="RATE_LIMITED",
                     message="too many codes requested from this address; try again later")
        cid = conn.execute(insert(otp_challenges).values(
            subject_hash=subject, purpose=purpose, code_hash=_h(app, "otp", code), created_at=now,
            expires_at=now + CODE_TTL, attempts=0,
        ).returning(otp_challenges.c.id)).scalar_one()
        owner = _owner(conn, number)
        if owner is not None:
            enqueue(conn, kind="sms", recipient=number, template="otp_code", locale=owner[1],
                    payload={"code": code, "minutes_valid": int(CODE_TTL.total_seconds() // 60),
                             "brand_name": brand_display_name(app.policy(owner[2]), owner[1])},
                    idempotency_key=f"otp:{cid}", now=now)


def verify_sign_in(app: Simexit, msisdn: str, code: str, *, purpose: str = "sign_in") -> tuple[str, CustomerSession]:
    """Check the code; on success return a new session token (shown once) and the session."""
    number = resolve_msisdn(app, msisdn)
    subject = _h(app, "msisdn", number)
    fail_key = f"otp-fail:{subject}"
    with app.db.write() as conn:
        now = app.clock.now()
        throttle.check(conn, fail_key, now=now, code="SIGN_IN_LOCKED",
                       message="too many wrong codes for this number; try again later")
        ch = conn.execute(
            select(otp_challenges).where(otp_challenges.c.subject_hash == subject,
                                         otp_challenges.c.purpose == purpose,
                                         otp_challenges.c.consumed_at.is_(None),
                                         otp_challenges.c.expires_at > now)
            .order_by(otp_challenges.c.id.desc()).limit(1)
        ).mappings().first()
        candidate = _h(app, "otp", (code or "").strip())
        ok = ch is not None and hmac.compare_digest(candidate, ch["code_hash"])
        owner = _owner(conn, number) if ok else None
        if not ok or owner is None:
            if ch is not None:
                conn.execute(update(otp_challenges).where(otp_challenges.c.id == ch["id"])
                             .values(attempts=otp_challenges.c.attempts + 1))
            failed = _record_failure(conn, fail_key, now)
        else:
            failed = None
            conn.execute(update(otp_challenges).where(otp_challenges.c.id == ch["id"]).values(consumed_at=now))
            throttle.reset(conn, fail_key)
            token = secrets.token_urlsafe(32)
            sid = conn.execute(insert(customer_sessions).values(
                token_hash=hashlib.sha256(token.encode()).hexdigest(), customer_id=owner[0], msisdn=number,
                created_at=now, expires_at=now + SESSION_TTL,
            ).returning(customer_sessions.c.id)).scalar_one()
            session = CustomerSession(sid, owner[0], number, now + SESSION_TTL, None)
            audit.record(conn, at=now, actor=f"customer:{owner[0]}", role="customer", action="auth.sign_in",
                         subject_type="actor", subject_ref=f"customer:{owner[0]}", data={"method": "otp"})
    # The failure is committed (counted) before it is reported.
    if failed is not None:
        raise failed
    return token, session


def _record_failure(conn: Connection, key: str, now: datetime) -> DomainError:
    try:
        throttle.hit(conn, key, now=now, limit=MAX_WRONG_CODES - 1, window=LOCKOUT, lock_for=LOCKOUT,
                     code="SIGN_IN_LOCKED", message="too many wrong codes for this number; try again later")
    except throttle.TooManyAttempts as locked:
        return locked
    return AuthFailed("CODE_INVALID", "the code is wrong or has expired")


_SESSION = select(customer_sessions).where(customer_sessions.c.token_hash == bindparam("token_hash"))  # built once


def session_from_token(app: Simexit, token: str | None) -> CustomerSession | None:
    if not token:
        return None
    with app.db.lookup() as conn:
        row = conn.execute(_SESSION, {"token_hash": hashlib.sha256(token.encode()).hexdigest()}).mappings().first()
    now = app.clock.now()
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
        return None
    return CustomerSession(row["id"], row["customer_id"], row["msisdn"], row["expires_at"],
                           row["second_factor_until"])


def confirm_second_factor(app: Simexit, session: CustomerSession, id_tail: str) -> CustomerSession:
    """The last 6 characters of the ID number unlock sensitive steps for a few minutes."""
    key = f"second-factor-fail:{session.customer_id}"
    with app.db.write() as conn:
        now = app.clock.now()
        throttle.check(conn, key, now=now, code="SECOND_FACTOR_LOCKED", message="too many wrong answers; try later")
        row = conn.execute(select(customers.c.id_type, customers.c.id_tail_hash)
                           .where(customers.c.id == session.customer_id)).first()
        if row is None or not id_tail_matches(app.secret_key, row.id_type, id_tail, row.id_tail_hash):
            failed = _record_failure(conn, key, now)
            if failed.code == "CODE_INVALID":
                failed = AuthFailed("SECOND_FACTOR_INVALID", "those are not the last 6 characters of your ID number")
        else:
            failed = None
            until = now + SECOND_FACTOR_TTL
            conn.execute(update(customer_sessions).where(customer_sessions.c.id == session.session_id)
                         .values(second_factor_until=until))
            throttle.reset(conn, key)
    if failed is not None:
        raise failed
    return CustomerSession(session.session_id, session.customer_id, session.msisdn, session.expires_at, until)


def sign_out(app: Simexit, session: CustomerSession) -> None:
    with app.db.write() as conn:
        conn.execute(update(customer_sessions).where(customer_sessions.c.id == session.session_id)
                     .values(revoked_at=app.clock.now()))


def customer_lines(app: Simexit, customer_id: int) -> list[str]:
    with app.db.read() as conn:
        return list(conn.execute(select(lines.c.msisdn).join(accounts, accounts.c.id == lines.c.account_id)
                                 .where(accounts.c.customer_id == customer_id).order_by(lines.c.id)).scalars())
