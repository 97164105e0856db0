"""The public cancellation entry (German "Verträge hier kündigen", BGB §312k; useful everywhere).

Anyone may submit, without signing in and without a password: (a) ordinary or extraordinary cancellation
(with the reason if extraordinary), (b) who the customer is, (c) which line, (d) the end date wanted, (e) an
e-mail address. The answer is immediate: a receipt with the date and time of receipt, also sent by e-mail with
a signed link back to the request's own page (``page_path``). Submitting the same form twice (a reload, a double
click, the back button) gives the same request: no second SMS, no second e-mail.

The request becomes an application in two more steps, as in the portal: the code sent by SMS to the line shows
the exact quote and the consequences (``confirm``); the customer confirms each consequence and, where the
brand's identity rule asks for it (policy ``identity.public_cancellation``: CN's real-name check), the last 6
characters of the ID number (``apply_request``). Answers never reveal whether the number exists.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email

from simexit.domain.application_number import new_application_number, normalize_application_number
from simexit.domain.consequences import required_consequences
from simexit.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from simexit.domain.identifiers import mask_email, mask_msisdn
from simexit.domain.identity import id_tail_matches
from simexit.domain.policy import brand_display_name
from simexit.services.access import idempotency, throttle
from simexit.services.closure.applications import ApplyRequest, apply
from simexit.services.closure.precheck import precheck, resolve_msisdn
from simexit.services.context import Simexit
from simexit.services.execution.outbox import enqueue
from simexit.store import applications_repo, line_owners_repo, lines_repo
from simexit.store import cancellation_requests_repo as requests_repo

CODE_TTL = timedelta(hours=24)
MAX_ATTEMPTS = 5
QUOTE_TTL = timedelta(minutes=30)  # after the code: time to read the quote and confirm the consequences
SECOND_FACTOR_LOCKOUT = timedelta(minutes=15)  # 5 wrong ID tails: as the portal (shared count per customer)
REFUND_WITHOUT_DESTINATION = ("original_payment", "account_credit", "store_cash")
IN_PROGRESS_TRIES, IN_PROGRESS_WAIT_S = 20, 0.1  # the same form posted twice at once: the second waits ≤ 2 s


@dataclass(frozen=True)
class CancellationReceipt:
    request_no: str
    received_at: datetime
    received_at_local: str
    kind: str
    end_date_wanted: date | None
    email_masked: str
    msisdn_masked: str

    def to_dict(self) -> dict[str, Any]:
        return {"request_no": self.request_no, "received_at": self.received_at.isoformat(),
                "received_at_local": self.received_at_local, "kind": self.kind,
                "end_date_wanted": self.end_date_wanted.isoformat() if self.end_date_wanted else None,
                "email": self.email_masked, "msisdn": self.msisdn_masked}


def _h(app: Simexit, value: str) -> str:
    return hmac.new(app.secret_key.encode(), f"cancel:{value}".encode(), hashlib.sha256).hexdigest()


def page_token(app: Simexit, request_no: str) -> str:
    """24 hex characters of HMAC(secret key, request number): with the number, opens the request's page."""
    return hmac.new(app.secret_key.encode(), f"cancel-page:{request_no}".encode(), hashlib.sha256).hexdigest()[:24]


def page_path(app: Simexit, request_no: str) -> str:
    return f"/cancel/requests/{request_no}/{page_token(app, request_no)}"


def _request_number(request_no: str) -> str | None:
    norm = normalize_application_number((request_no or "").strip().upper().replace("KR", "SX", 1))
    return norm.replace("SX-", "KR-", 1) if norm else None


def submit(app: Simexit, *, kind: str, reason: str | None, customer_name: str, msisdn: str,
           end_date_wanted: date | None, email: str, locale: str = "en",
           client_address: str = "", brand: str | None = None,
           submission_key: str | None = None) -> CancellationReceipt:
    """Record the declaration and answer with its dated receipt. ``brand``: the page's, whose region a number
    without +country is read in. ``submission_key``: the form's one-time key; the same form sent again (same
    key, same fields) answers with the first receipt and sends nothing more."""
    if not submission_key:
        return _submit(app, kind=kind, reason=reason, customer_name=customer_name, msisdn=msisdn,
                       end_date_wanted=end_date_wanted, email=email, locale=locale, client_address=client_address,
                       brand=brand)
    fields = {"kind": kind, "reason": reason, "name": customer_name, "msisdn": msisdn, "email": email,
              "end": end_date_wanted.isoformat() if end_date_wanted else None, "brand": brand}
    digest = idempotency.request_hash("public-cancellation-form", fields)
    principal, key = "public-cancellation-form", f"{submission_key[:64]}:{digest[:16]}"
    stored = _reserve(app, principal, key, digest)
    if stored is not None:
        return receipt_of(app, stored[1]["request_no"])
    try:
        receipt = _submit(app, kind=kind, reason=reason, customer_name=customer_name, msisdn=msisdn,
                          end_date_wanted=end_date_wanted, email=email, locale=locale,
                          client_address=client_address, brand=brand)
    except BaseException:
        idempotency.release(app, principal, key)
        raise
    idempotency.save(app, principal, key, digest, 201, {"request_no": receipt.request_no})
    return receipt


def _reserve(app: Simexit, principal: str, key: str, digest: str) -> tuple[int, dict[str, Any]] | None:
    """The form's key reserved, or the first answer; a double click waits for the first click's answer."""
    for _ in range(IN_PROGRESS_TRIES - 1):
        try:
            return idempotency.reserve(app, principal, key, digest)
        except Conflict as e:
            if e.code != "IDEMPOTENCY_KEY_IN_PROGRESS":
                raise
            time.sleep(IN_PROGRESS_WAIT_S)
    return idempotency.reserve(app, principal, key, digest)


def _receipt(row: Any, tz: str) -> CancellationReceipt:
    local = row["received_at"].astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")
    wanted = date.fromisoformat(row["end_date_wanted"]) if row["end_date_wanted"] else None
    return CancellationReceipt(row["request_no"], row["received_at"], local, row["kind"], wanted,
                               mask_email(row["email"]), mask_msisdn(row["msisdn"]))


def receipt_of(app: Simexit, request_no: str) -> CancellationReceipt:
    with app.db.read() as conn:
        row = requests_repo.get(conn, request_no)
        if row is None:
            raise NotFound("REQUEST_NOT_FOUND", "no such cancellation request")
        brand = lines_repo.open_line_brand(conn, row["msisdn"])
    return _receipt(row, app.policy(brand).brand.time_zone if brand else "UTC")


def _submit(app: Simexit, *, kind: str, reason: str | None, customer_name: str, msisdn: str,
            end_date_wanted: date | None, email: str, locale: str, client_address: str,
            brand: str | None) -> CancellationReceipt:
    if kind not in ("ordinary", "extraordinary"):
        raise InvalidInput("CANCELLATION_KIND_INVALID", "kind is 'ordinary' or 'extraordinary'")
    if kind == "extraordinary" and not (reason and reason.strip()):
        raise InvalidInput("REASON_REQUIRED", "an extraordinary cancellation states its reason")
    if not customer_name.strip() or len(customer_name) > 200:
        raise InvalidInput("NAME_REQUIRED", "give the name of the contract holder")
    try:
        mail = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise InvalidInput("EMAIL_INVALID", f"not an e-mail address: {e}") from None
    number = resolve_msisdn(app, msisdn, brand)
    code = f"{secrets.randbelow(10**6):06d}"
    request_no = new_application_number().replace("SX-", "KR-", 1)  # the prefix only: "SX-" may end a group
    with app.db.write() as conn:
        now = app.clock.now()
        throttle.hit(conn, f"cancel-ip:{_h(app, client_address)}", now=now, limit=20, window=timedelta(hours=1),
                     code="RATE_LIMITED", message="too many cancellation requests from this address; try later")
        brand = lines_repo.open_line_brand(conn, number)
        tz = app.policy(brand).brand.time_zone if brand else "UTC"
        brand_name = brand_display_name(app.policy(brand), locale) if brand else "simexit"
        requests_repo.insert_request(conn, dict(
            request_no=request_no, received_at=now, kind=kind, reason=(reason or "").strip() or None,
            customer_name=customer_name.strip(), msisdn=number,
            end_date_wanted=end_date_wanted.isoformat() if end_date_wanted else None, email=mail, locale=locale,
            code_hash=_h(app, code), code_expires_at=now + CODE_TTL, attempts=0, state="awaiting_confirmation"))
        local = now.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")
        receipt = CancellationReceipt(request_no, now, local, kind, end_date_wanted, mask_email(mail),
                                      mask_msisdn(number))
        link = app.public_base_url.rstrip("/") + page_path(app, request_no)
        enqueue(conn, kind="email", recipient=mail, template="cancellation_received", locale=locale,
                payload={**receipt.to_dict(), "brand_name": brand_name, "receipt_url": link},
                idempotency_key=f"cancel-receipt:{request_no}", now=now)
        if brand is not None:
            enqueue(conn, kind="sms", recipient=number, template="cancellation_code", locale=locale,
                    payload={"code": code, "request_no": request_no, "brand_name": brand_name},
                    idempotency_key=f"cancel-code:{request_no}",
                    now=now)
    return receipt


def confirm(app: Simexit, request_no: str, code: str) -> dict[str, Any]:
    """Check the code sent to the line. Then the line's quote and consequences (state ``quote``), or what blocks
    it (``blocked``); once the application is made, its outcome again (a repeat is harmless)."""
    number = _request_number(request_no)
    if number is None:
        raise NotFound("REQUEST_NOT_FOUND", "no such cancellation request")
    with app.db.write() as conn:
        now = app.clock.now()
        req = requests_repo.get(conn, number, for_update=True)  # simultaneous guesses: one at a time
        if req is None:
            raise NotFound("REQUEST_NOT_FOUND", "no such cancellation request")
        if req["state"] not in ("awaiting_confirmation", "quote"):
            return _outcome(conn, req)
        ok = req["attempts"] < MAX_ATTEMPTS and req["code_expires_at"] > now and \
            hmac.compare_digest(_h(app, (code or "").strip()), req["code_hash"])
        if not ok:
            requests_repo.count_wrong_code(conn, req["id"])
    if not ok:
        raise DomainError("CODE_INVALID", "the code is wrong or has expired")
    outcome = _quote_or_blocker(app, req)
    if outcome["state"] == "quote":
        outcome["code_confirmed_at"] = app.clock.now().isoformat()
    with app.db.write() as conn:
        requests_repo.record_outcome(conn, number, state=outcome["state"], application_id=None,
                                     outcome={k: v for k, v in outcome.items() if k not in ("quote_view",)})
    return {"request_no": number, **outcome}


def _quote_or_blocker(app: Simexit, req: Any) -> dict[str, Any]:
    wanted = date.fromisoformat(req["end_date_wanted"]) if req["end_date_wanted"] else None
    pc = precheck(app, req["msisdn"], wanted)
    if not pc.eligible:
        blockers = [f.to_dict() for f in pc.findings if f.severity == "blocker"]
        return {"state": "blocked", "code": "PRECHECK_BLOCKED", "message": "the line cannot be closed yet",
                "findings": blockers}
    return {"state": "quote", "brand": pc.facts.brand, "identity": pc.policy.public_identity,
            "quote": pc.quote.to_dict(), "consequences": required_consequences(pc.quote),
            "refund_method": _refund_method(pc)}


def _refund_method(pc: Any) -> str | None:
    if pc.quote.refund_minor <= 0:
        return None
    return next((m for m in pc.policy.refund.methods if m in REFUND_WITHOUT_DESTINATION), None)


def view(app: Simexit, request_no: str, token: str) -> dict[str, Any]:
    """The request's page, opened with its signed link: the receipt and where the request stands (the quote
    is computed afresh while it waits for the consequences to be confirmed)."""
    number = _request_number(request_no)
    if number is None or not hmac.compare_digest(page_token(app, number).encode(), (token or "").encode()):
        raise NotFound("REQUEST_NOT_FOUND", "no such cancellation request")
    with app.db.read() as conn:
        req = requests_repo.get(conn, number)
        if req is None:
            raise NotFound("REQUEST_NOT_FOUND", "no such cancellation request")
        brand = lines_repo.open_line_brand(conn, req["msisdn"])
        outcome = _outcome(conn, req)
    tz = app.policy(brand).brand.time_zone if brand else "UTC"
    out = {"receipt": _receipt(req, tz), "request_no": number, "brand": brand, **outcome}
    if outcome["state"] == "quote":
        fresh = _quote_or_blocker(app, req)
        if fresh["state"] != "quote" or not _quote_expired(app, outcome):
            out.update(fresh)
        else:
            out["state"] = "awaiting_confirmation"  # the quote's time ran out: the code again
    return out


def _quote_expired(app: Simexit, outcome: dict[str, Any]) -> bool:
    at = outcome.get("code_confirmed_at")
    return not at or datetime.fromisoformat(at) + QUOTE_TTL < app.clock.now()


def apply_request(app: Simexit, request_no: str, *, proof: str, consequences: list[str],
                  id_tail: str | None = None) -> dict[str, Any]:
    """Make the application from a request whose code was confirmed: every consequence of the current quote
    confirmed, and the ID tail where the brand's identity rule asks for it. ``proof``: the request page's
    token (the page's form) or the code sent to the line (the API)."""
    number = _request_number(request_no)
    if number is None:
        raise NotFound("REQUEST_NOT_FOUND", "no such cancellation request")
    with app.db.read() as conn:
        req = requests_repo.get(conn, number)
    if req is None:
        raise NotFound("REQUEST_NOT_FOUND", "no such cancellation request")
    if req["state"] not in ("quote",):
        if req["state"] in ("confirmed", "blocked"):
            with app.db.read() as conn:
                return _outcome(conn, req)
        raise DomainError("CODE_INVALID", "confirm the code sent to the line first")
    proved = hmac.compare_digest(page_token(app, number).encode(), (proof or "").encode()) or \
        (req["code_expires_at"] > app.clock.now()
         and hmac.compare_digest(_h(app, (proof or "").strip()), req["code_hash"]))
    if not proved or _quote_expired(app, req["outcome"] or {}):
        raise DomainError("CODE_INVALID", "the code is wrong or has expired")
    wanted = date.fromisoformat(req["end_date_wanted"]) if req["end_date_wanted"] else None
    pc = precheck(app, req["msisdn"], wanted)
    missing = sorted(set(required_consequences(pc.quote)) - set(consequences))
    if missing:
        raise InvalidInput("CONSEQUENCES_NOT_CONFIRMED", "confirm every consequence shown with the quote",
                           missing=missing)
    second_factor = None
    if pc.policy.public_identity == "line_code_and_id_tail":
        _check_id_tail(app, req["msisdn"], id_tail or "")
        second_factor = "id_tail_6"
    refund = _refund_method(pc)
    outcome: dict[str, Any]
    try:
        result = apply(app, ApplyRequest(
            msisdn=req["msisdn"], channel="online", identity_method="otp",
            identity_evidence={"via": "public_cancellation", "request_no": number, "kind": req["kind"],
                               **({"second_factor": second_factor} if second_factor else {})},
            reason_code="other" if req["reason"] else None, reason_text=req["reason"],
            consequences_confirmed=list(consequences),
            refund_method=refund, requested_effective_date=wanted))
        outcome = {"state": "confirmed", "application_no": result.application_no, "status": result.status}
    except DomainError as e:
        outcome = {"state": "blocked", "code": e.code, "message": e.message,
                   "findings": e.data.get("findings", [])}
    with app.db.write() as conn:
        app_id = None
        if outcome["state"] == "confirmed":
            app_id = applications_repo.id_of(conn, outcome["application_no"])
        requests_repo.record_outcome(conn, number, state=outcome["state"], application_id=app_id, outcome=outcome)
    return {"request_no": number, **outcome}


def _check_id_tail(app: Simexit, msisdn: str, id_tail: str) -> None:
    """The real-name check of the portal: the last 6 characters of the holder's ID number, 5 wrong answers lock
    it for 15 minutes (the same count as the portal's, per customer)."""
    with app.db.write() as conn:
        now = app.clock.now()
        owner = line_owners_repo.owner_of_open_line(conn, msisdn)
        key = f"second-factor-fail:{owner['customer_id'] if owner else 'none'}"
        throttle.check(conn, key, now=now, code="SECOND_FACTOR_LOCKED", message="too many wrong answers; try later")
        row = line_owners_repo.id_tail_record(conn, owner["customer_id"]) if owner else None
        ok = row is not None and id_tail_matches(app.secret_key, row["id_type"], id_tail, row["id_tail_hash"])
        failed: DomainError | None = None
        if not ok:
            try:
                throttle.hit(conn, key, now=now, limit=MAX_ATTEMPTS - 1, window=SECOND_FACTOR_LOCKOUT,
                             lock_for=SECOND_FACTOR_LOCKOUT, code="SECOND_FACTOR_LOCKED",
                             message="too many wrong answers; try later")
                failed = DomainError("SECOND_FACTOR_INVALID", "those are not the last 6 characters of the ID "
                                     "number of the line's holder")
            except throttle.TooManyAttempts as locked:
                failed = locked
        else:
            throttle.reset(conn, key)
    if failed is not None:
        raise failed


def _outcome(conn: Any, req: Any) -> dict[str, Any]:
    return {"request_no": req["request_no"], **(req["outcome"] or {"state": req["state"]})}
