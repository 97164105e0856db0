"""The public cancellation entry (German "Verträge hier kündigen", BGB §312k; useful everywhere).

Anyone may submit, without signing in and without a password: (a) ordinary or extraordinary cancellation
(with the reason if extraordinary), (b) who the customer is, (c) which line, (d) the end date wanted, (e) an
e-mail address. The answer is immediate: a receipt with the date and time of receipt, also sent by e-mail.
It becomes an application once identity is confirmed with the code sent by SMS to the line itself.
Answers never reveal whether the number exists.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email

from simexit.domain.application_number import new_application_number, normalize_application_number
from simexit.domain.consequences import required_consequences
from simexit.domain.errors import DomainError, InvalidInput, NotFound
from simexit.domain.identifiers import mask_email, mask_msisdn
from simexit.domain.policy import brand_display_name
from simexit.services.access import throttle
from simexit.services.closure.applications import ApplyRequest, apply
from simexit.services.closure.precheck import precheck, resolve_msisdn
from simexit.services.context import Simexit
from simexit.services.execution.outbox import enqueue
from simexit.store import applications_repo, lines_repo
from simexit.store import cancellation_requests_repo as requests_repo

CODE_TTL = timedelta(hours=24)
MAX_ATTEMPTS = 5


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


def submit(app: Simexit, *, kind: str, reason: str | None, customer_name: str, msisdn: str,
           end_date_wanted: date | None, email: str, locale: str = "en",
           client_address: str = "") -> CancellationReceipt:
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
    number = resolve_msisdn(app, msisdn)
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
        enqueue(conn, kind="email", recipient=mail, template="cancellation_received", locale=locale,
                payload={**receipt.to_dict(), "brand_name": brand_name},
                idempotency_key=f"cancel-receipt:{request_no}", now=now)
        if brand is not None:
            enqueue(conn, kind="sms", recipient=number, template="cancellation_code", locale=locale,
                    payload={"code": code, "request_no": request_no, "brand_name": brand_name},
                    idempotency_key=f"cancel-code:{request_no}",
                    now=now)
    return receipt


def confirm(app: Simexit, request_no: str, code: str) -> dict[str, Any]:
    """Confirm with the code sent to the line; the request becomes an application (or says what blocks it)."""
    norm = normalize_application_number((request_no or "").upper().replace("KR", "SX", 1))
    if norm is None:
        raise NotFound("REQUEST_NOT_FOUND", "no such cancellation request")
    number = norm.replace("SX-", "KR-", 1)
    with app.db.write() as conn:
        now = app.clock.now()
        req = requests_repo.get(conn, number, for_update=True)  # simultaneous guesses: one at a time
        if req is None:
            raise NotFound("REQUEST_NOT_FOUND", "no such cancellation request")
        if req["state"] != "awaiting_confirmation":
            return _outcome(conn, req)
        ok = req["attempts"] < MAX_ATTEMPTS and req["code_expires_at"] > now and \
            hmac.compare_digest(_h(app, (code or "").strip()), req["code_hash"])
        if not ok:
            requests_repo.count_wrong_code(conn, req["id"])
            failed = True
        else:
            failed = False
    if failed:
        raise DomainError("CODE_INVALID", "the code is wrong or has expired")
    wanted = date.fromisoformat(req["end_date_wanted"]) if req["end_date_wanted"] else None
    outcome: dict[str, Any]
    try:
        pc = precheck(app, req["msisdn"], wanted)
        refund = next((m for m in pc.policy.refund.methods if m in ("original_payment", "account_credit",
                                                                     "store_cash")), None)
        result = apply(app, ApplyRequest(
            msisdn=req["msisdn"], channel="online", identity_method="otp",
            identity_evidence={"via": "public_cancellation", "request_no": number, "kind": req["kind"]},
            reason_code="other" if req["reason"] else None, reason_text=req["reason"],
            consequences_confirmed=list(required_consequences(pc.quote)),
            refund_method=refund if pc.quote.refund_minor > 0 else None, requested_effective_date=wanted))
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


def _outcome(conn: Any, req: Any) -> dict[str, Any]:
    return {"request_no": req["request_no"], **(req["outcome"] or {"state": req["state"]})}

