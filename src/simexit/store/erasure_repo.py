"""SQL of the erasure: who is due, and deleting or irreversibly masking each record set, table by table.

Each ``erase_*`` function returns ``{table: (action, rows)}`` for the erasure record (no personal data).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, case, delete, func, insert, or_, select, update

from simexit.store.tables import (
    accounts,
    application_events,
    applications,
    balance_ledger,
    bills,
    customers,
    devices,
    esim_profiles,
    lines,
    outbox,
    service_bindings,
    usage_records,
)
from simexit.store.tables_api import api_idempotency, esim_notifications
from simexit.store.tables_audit import erasures, exports
from simexit.store.tables_auth import customer_sessions
from simexit.store.tables_bulk import bulk_items
from simexit.store.tables_messaging import refunds
from simexit.store.tables_numbers import number_holdings
from simexit.store.tables_public import cancellation_requests

Counts = dict[str, tuple[str, int]]


def subjects_of_application(conn: Connection, application_id: int) -> tuple[int | None, int | None]:
    """The line and the customer an application closed."""
    r = conn.execute(select(lines.c.id, accounts.c.customer_id).join(accounts, accounts.c.id == lines.c.account_id)
                     .join(applications, applications.c.line_id == lines.c.id)
                     .where(applications.c.id == application_id)).first()
    return (r.id, r.customer_id) if r else (None, None)


def closed_lines(conn: Connection) -> list[Any]:
    """Closed lines whose line data is not erased yet."""
    done = select(erasures.c.subject_id).where(erasures.c.subject_type == "line",
                                               erasures.c.record_set == "line_data")
    # disconnected_on: the number's one permanent-disconnect date (domain/number_afterlife.py), when recorded
    return conn.execute(select(lines.c.id, lines.c.brand_id, lines.c.closed_at, number_holdings.c.disconnected_on)
                        .outerjoin(number_holdings, number_holdings.c.line_id == lines.c.id)
                        .where(lines.c.status == "closed", lines.c.closed_at.is_not(None), lines.c.id.not_in(done))
                        .order_by(lines.c.id)).all()


def terminated_customers(conn: Connection) -> list[Any]:
    """Customers all of whose lines are closed, with the last closing time (the termination)."""
    return conn.execute(
        select(accounts.c.customer_id, customers.c.brand_id, func.max(lines.c.closed_at).label("terminated_at"),
               func.max(number_holdings.c.disconnected_on).label("disconnected_on"))
        .join(lines, lines.c.account_id == accounts.c.id).join(customers, customers.c.id == accounts.c.customer_id)
        .outerjoin(number_holdings, number_holdings.c.line_id == lines.c.id)
        .group_by(accounts.c.customer_id, customers.c.brand_id)
        .having(func.count(lines.c.id) == func.count(lines.c.closed_at))
        .having(func.count(lines.c.id) == func.sum(case((lines.c.status == "closed", 1), else_=0)))
        .order_by(accounts.c.customer_id)).all()


def done_sets(conn: Connection, subject_type: str) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for r in conn.execute(select(erasures.c.subject_id, erasures.c.record_set)
                          .where(erasures.c.subject_type == subject_type).distinct()):
        out.setdefault(r.subject_id, set()).add(r.record_set)
    return out


def is_done(conn: Connection, subject_type: str, subject_id: int, record_set: str) -> bool:
    return conn.execute(select(erasures.c.id).where(
        erasures.c.subject_type == subject_type, erasures.c.subject_id == subject_id,
        erasures.c.record_set == record_set).limit(1)).first() is not None


def record(conn: Connection, *, at: datetime, brand_id: int, subject_type: str, subject_id: int, record_set: str,
           rule: str, due_on: date, counts: Counts) -> None:
    conn.execute(insert(erasures), [
        dict(at=at, brand_id=brand_id, subject_type=subject_type, subject_id=subject_id, record_set=record_set,
             rule=rule, due_on=due_on, table_name=table, action=action, count=n)
        for table, (action, n) in sorted(counts.items())])


def _line_ids(conn: Connection, customer_id: int) -> list[int]:
    return list(conn.execute(select(lines.c.id).join(accounts, accounts.c.id == lines.c.account_id)
                             .where(accounts.c.customer_id == customer_id)).scalars())


def _account_ids(conn: Connection, customer_id: int) -> list[int]:
    return list(conn.execute(select(accounts.c.id).where(accounts.c.customer_id == customer_id)).scalars())


def _application_ids(conn: Connection, customer_id: int) -> list[int]:
    return list(conn.execute(select(applications.c.id).where(applications.c.customer_id == customer_id)).scalars())


def erase_line_data(conn: Connection, line_id: int) -> Counts:
    counts: Counts = {}
    iccids = [*conn.execute(select(esim_profiles.c.iccid).where(esim_profiles.c.line_id == line_id)).scalars(),
              *conn.execute(select(lines.c.iccid).where(lines.c.id == line_id)).scalars()]
    counts[esim_notifications.name] = ("deleted", conn.execute(
        delete(esim_notifications).where(esim_notifications.c.iccid.in_(iccids))).rowcount)
    for t in (usage_records, devices, service_bindings, esim_profiles):
        counts[t.name] = ("deleted", conn.execute(delete(t).where(t.c.line_id == line_id)).rowcount)
    n = conn.execute(update(lines).where(lines.c.id == line_id, lines.c.imsi.is_not(None)).values(imsi=None)).rowcount
    counts["lines"] = ("masked", n)
    return counts


def erase_contact(conn: Connection, customer_id: int, now: datetime) -> Counts:
    """Contact details, outbox messages and export files: the ``personal`` part no law keeps."""
    cust = conn.execute(select(customers.c.email, customers.c.contact_phone).where(customers.c.id == customer_id)
                        ).one()
    line_ids = _line_ids(conn, customer_id)
    app_ids = _application_ids(conn, customer_id)
    msisdns = list(conn.execute(select(lines.c.msisdn).where(lines.c.id.in_(line_ids))).scalars())
    recipients = [r for r in (cust.email, cust.contact_phone, *msisdns) if r]
    counts: Counts = {}
    counts["customers"] = ("masked", conn.execute(update(customers).where(customers.c.id == customer_id).values(
        email=None, contact_phone=None, erased_at=now)).rowcount)
    counts["outbox"] = ("masked", conn.execute(update(outbox).where(or_(
        outbox.c.application_id.in_(app_ids), outbox.c.recipient.in_(recipients))).values(
        recipient="erased", payload={}, last_error=None)).rowcount)
    counts["customer_sessions"] = ("deleted", conn.execute(
        delete(customer_sessions).where(customer_sessions.c.customer_id == customer_id)).rowcount)
    counts["api_idempotency"] = ("deleted", conn.execute(
        delete(api_idempotency).where(api_idempotency.c.principal == f"c:{customer_id}")).rowcount)
    requests = conn.execute(select(cancellation_requests.c.id)
                            .where(cancellation_requests.c.msisdn.in_(msisdns))).scalars().all()
    for rid in requests:
        conn.execute(update(cancellation_requests).where(cancellation_requests.c.id == rid).values(
            customer_name="erased", email="erased", msisdn=f"x{rid}", reason=None))
    counts["cancellation_requests"] = ("masked", len(requests))
    counts["refunds"] = ("masked", conn.execute(update(refunds).where(refunds.c.application_id.in_(app_ids)).values(
        destination=None, destination_masked="erased")).rowcount)
    counts["bulk_items"] = ("masked", conn.execute(update(bulk_items).where(bulk_items.c.line_id.in_(line_ids)).values(
        line_ref=None, message=None)).rowcount)
    files = conn.execute(select(exports.c.id, exports.c.file_path).where(exports.c.customer_id == customer_id)).all()
    for f in files:
        if f.file_path:
            Path(f.file_path).unlink(missing_ok=True)
    counts["exports"] = ("masked", conn.execute(update(exports).where(exports.c.customer_id == customer_id).values(
        state="expired", file_path=None, download_token=None, counts=None)).rowcount)
    return counts


def erase_real_name(conn: Connection, customer_id: int) -> Counts:
    """The real-name record: name, ID hash and last 4, and the numbers held (masked, unique placeholders)."""
    line_ids = _line_ids(conn, customer_id)
    n_c = conn.execute(update(customers).where(customers.c.id == customer_id).values(
        name=None, id_hash=None, id_last4=None, id_tail_hash=None)).rowcount
    n_l = 0
    for lid in line_ids:
        n_l += conn.execute(update(lines).where(lines.c.id == lid).values(msisdn=f"x{lid}", iccid=f"x{lid}")).rowcount
    return {"customers": ("masked", n_c), "lines": ("masked", n_l)}


def erase_billing(conn: Connection, customer_id: int) -> Counts:
    acc = _account_ids(conn, customer_id)
    return {"bills": ("deleted", conn.execute(delete(bills).where(bills.c.account_id.in_(acc))).rowcount),
            "balance_ledger": ("deleted", conn.execute(
                delete(balance_ledger).where(balance_ledger.c.account_id.in_(acc))).rowcount)}


def erase_consent(conn: Connection, customer_id: int) -> Counts:
    """What the customer was shown and confirmed, and how their identity was checked."""
    n = conn.execute(update(applications).where(applications.c.customer_id == customer_id).values(
        identity_evidence={}, consequences={})).rowcount
    return {"applications": ("masked", n)}


def erase_application(conn: Connection, customer_id: int) -> Counts:
    """Free text and refund destinations of applications and their timelines; codes, dates and amounts stay
    for statistics (they no longer lead to a person)."""
    app_ids = _application_ids(conn, customer_id)
    n_a = conn.execute(update(applications).where(applications.c.id.in_(app_ids)).values(
        reason_text=None, refund_destination=None)).rowcount
    n_e = conn.execute(update(application_events).where(application_events.c.application_id.in_(app_ids)).values(
        note=None, data=None)).rowcount
    return {"applications": ("masked", n_a), "application_events": ("masked", n_e)}
