"""Refunds: recording the payout ordered for an application, and the daily payout file for finance (CSV)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from simexit.domain.display import mask_account
from simexit.domain.errors import InvalidInput, NotFound
from simexit.domain.money import check_currency
from simexit.services.context import Simexit
from simexit.store import refunds_repo

if TYPE_CHECKING:
    from simexit.store.database import Connection

PAYOUT_COLUMNS = ("application_no", "amount_minor", "currency", "method", "destination", "reference", "date",
                  "state", "payment_ref")


def masked_destination(method: str, destination: dict[str, str] | None) -> str:
    """``bank_transfer`` → ``****1234`` of the IBAN/account; wallets → last 4 of the account; else the method."""
    d = destination or {}
    account = d.get("iban_or_account") or d.get("account")
    return mask_account(account) if account else method


def record_refund(conn: Connection, *, application_id: int, application_no: str, amount_minor: int, currency: str,
                  method: str, destination: dict[str, str] | None, reference: str, now: datetime,
                  paid: str | None = None) -> int:
    """Record, in the caller's transaction, the refund ordered for an application (once: a repeat returns the
    existing row's id). The closing saga records it after the ``RefundGateway`` paid it, with the payment's
    reference as ``paid``: the row is made paid (an existing one is marked paid)."""
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise InvalidInput("REFUND_AMOUNT_INVALID", "a refund is a positive integer in minor units")
    check_currency(currency)
    made = refunds_repo.insert_refund(conn, dict(
        application_id=application_id, application_no=application_no, amount_minor=amount_minor, currency=currency,
        method=method, destination=destination, destination_masked=masked_destination(method, destination),
        reference=reference, state="paid" if paid is not None else "ordered", payment_ref=paid,
        paid_at=now if paid is not None else None, recorded_at=now))
    if made is not None:
        return made
    if paid is not None:
        mark_refund_paid(conn, application_no, paid, now)
    existing = refunds_repo.refund_id_of(conn, application_id)
    assert existing is not None  # the insert met its unique key
    return existing


def mark_refund_paid(conn: Connection, application_no: str, payment_ref: str, now: datetime) -> None:
    if refunds_repo.mark_paid(conn, application_no, payment_ref, now) != 1:
        raise NotFound("REFUND_NOT_FOUND", f"no refund recorded for {application_no}")


def payout_rows(app: Simexit, day: date) -> list[dict[str, Any]]:
    """The refunds recorded on ``day`` (UTC), in the order they were recorded; destinations masked."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    with app.db.read() as conn:
        rows = refunds_repo.recorded_between(conn, start, start + timedelta(days=1))
    return [{"application_no": r["application_no"], "amount_minor": r["amount_minor"], "currency": r["currency"],
             "method": r["method"], "destination": r["destination_masked"], "reference": r["reference"],
             "date": r["recorded_at"].date().isoformat(), "state": r["state"], "payment_ref": r["payment_ref"] or ""}
            for r in rows]


def payout_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=PAYOUT_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
