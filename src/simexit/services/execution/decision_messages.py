"""Telling the customer what became of their application: received, approved, rejected (the reasons and what to
do), needs attention (what happens now). The line-closed message with the certificate link is the closing
step ``confirmation`` (closing_steps.py), sent the same way.

Each message is written to the outbox in the transaction that changes the application, so it goes out exactly
when the change is committed, and once: its idempotency key is the application number, the event and the
channel (a retry or a crash after the commit finds the same row). It goes on the brand's message channels
(policy ``[contact] messages``), each to the customer's own address for it, in the customer's language.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simexit.domain.policy import Policy, brand_display_name
from simexit.services.context import Simexit
from simexit.services.execution import outbox
from simexit.store import applications_repo
from simexit.store.database import Connection

TEMPLATES = {"received": "application_received", "approved": "application_approved",
             "rejected": "application_rejected", "needs_attention": "application_needs_attention"}


def recipients(policy: Policy, *, msisdn: str, contact_phone: str | None, email: str | None) -> dict[str, str]:
    """Where each of the brand's message channels reaches this customer (a channel without an address is left
    out)."""
    targets = {"sms": contact_phone or msisdn, "email": email}
    return {kind: targets[kind] for kind in policy.contact.messages if targets.get(kind)}


def idempotency_key(application_no: str, event: str, kind: str, detail: str = "") -> str:
    return f"{application_no}:notice:{event}{':' + detail if detail else ''}:{kind}"


def notify(app: Simexit, conn: Connection, application_id: int, event: str, now: datetime, *,
           note: str | None = None, detail: str = "") -> dict[str, int]:
    """Write the ``event`` message to the outbox in the caller's transaction; returns the outbox id per channel."""
    row = applications_repo.message_facts(conn, application_id)
    policy = app.policy(row["brand"])
    locale = row["locale"] or policy.brand.locales[0]
    number = row["application_no"]
    base = app.public_base_url.rstrip("/")
    payload: dict[str, Any] = {
        "application_no": number, "msisdn": row["msisdn"], "brand_name": brand_display_name(policy, locale),
        "time_zone": policy.brand.time_zone, "review_due_at": row["review_due_at"].isoformat(),
        "effective_date": applications_repo.as_date(row["effective_date"]).isoformat(),
        "status_url": f"{base}/applications/{number}", "hotline": policy.contact.hotline or "",
    }
    if event == "rejected":
        payload.update(reasons=list(row["rejection_reasons"] or []), note=note or "", apply_url=f"{base}/lines")
    targets = recipients(policy, msisdn=row["msisdn"], contact_phone=row["contact_phone"], email=row["email"])
    if event == "received" and (row["identity_evidence"] or {}).get("via") == "public_cancellation":
        # The public cancellation entry already mailed its receipt (cancellation_received): not a second one.
        targets.pop("email", None)
    return {kind: outbox.enqueue(conn, kind=kind, recipient=recipient, template=TEMPLATES[event], payload=payload,
                                 locale=locale, application_id=application_id, now=now,
                                 idempotency_key=idempotency_key(number, event, kind, detail))
            for kind, recipient in targets.items()}
