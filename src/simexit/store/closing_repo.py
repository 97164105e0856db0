"""Reads and writes of the closing saga: the step context, bills, the balance ledger, profiles, numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, func, insert, select, update

from simexit.store.built import update_by_id
from simexit.store.locking import skip_locked
from simexit.store.tables import (
    accounts,
    application_events,
    applications,
    balance_ledger,
    bills,
    brands,
    customers,
    esim_profiles,
    lines,
    numbers,
)


@dataclass(frozen=True)
class ClosingCase:
    application_id: int
    application_no: str
    status: str
    brand: str
    line_id: int
    msisdn: str
    imsi: str | None
    iccid: str
    kind: str
    account_id: int
    currency: str
    customer_id: int
    email: str | None
    contact_phone: str | None
    locale: str
    effective_date: date
    quote: dict[str, Any]
    refund_method: str | None
    refund_destination: dict[str, str] | None
    profiles: tuple[tuple[str, str | None, str], ...]  # iccid, eid, state
    balance_minor: int
    other_open_lines: int
    decided_at: datetime | None = None  # when the closure was approved (the disconnect date counts from it)
    ported_in_from: str | None = None  # a ported-in number's range holder
    line_brand_id: int | None = None  # the line's brand and activation: the holding that ends with the closure
    activated_at: datetime | None = None


_LEDGER_SUM = (select(func.coalesce(func.sum(balance_ledger.c.amount_minor), 0))
               .where(balance_ledger.c.account_id == bindparam("account_id")))
# Built once (a statement built per call cost more than running it: the worker loads a case for every step), and
# one statement (issue 16: it was four per step): the balance and the account's other open lines as correlated
# subqueries, the line's eSIM profiles outer-joined (one row per profile, none for a SIM line).
_OTHERS = (select(func.count()).select_from(_other := lines.alias("other_lines"))
           .where(_other.c.account_id == lines.c.account_id, _other.c.id != lines.c.id, _other.c.status != "closed")
           .scalar_subquery())
_BALANCE = (select(func.coalesce(func.sum(balance_ledger.c.amount_minor), 0))
            .where(balance_ledger.c.account_id == accounts.c.id).scalar_subquery())
_CASE = (select(applications.c.id, applications.c.application_no, applications.c.status,
                applications.c.effective_date, applications.c.quote, applications.c.refund_method,
                applications.c.refund_destination, brands.c.code.label("brand"), lines.c.id.label("line_id"),
                lines.c.msisdn, lines.c.imsi, lines.c.iccid, lines.c.kind, accounts.c.id.label("account_id"),
                accounts.c.currency, customers.c.id.label("customer_id"), customers.c.email,
                customers.c.contact_phone, customers.c.locale, applications.c.decided_at,
                numbers.c.ported_in_from, lines.c.brand_id.label("line_brand_id"), lines.c.activated_at,
                _BALANCE.label("balance_minor"), _OTHERS.label("other_open_lines"),
                esim_profiles.c.iccid.label("profile_iccid"), esim_profiles.c.eid.label("profile_eid"),
                esim_profiles.c.state.label("profile_state"))
         .join(brands, brands.c.id == applications.c.brand_id)
         .join(lines, lines.c.id == applications.c.line_id)
         .join(accounts, accounts.c.id == lines.c.account_id)
         .join(customers, customers.c.id == applications.c.customer_id)
         .outerjoin(numbers, numbers.c.msisdn == lines.c.msisdn)
         .outerjoin(esim_profiles, esim_profiles.c.line_id == lines.c.id)
         .where(applications.c.id == bindparam("application_id"))
         .order_by(esim_profiles.c.id))


_ADD_LEDGER_ENTRY = insert(balance_ledger)
_LAST_BILL_END = select(func.max(bills.c.period_end)).where(bills.c.line_id == bindparam("line_id"))
_ADD_BILL = insert(bills).returning(bills.c.id)
_UNPAID_BILLS = (select(bills.c.id, bills.c.amount_minor)
                 .where(bills.c.account_id == bindparam("account_id"), bills.c.paid_at.is_(None))
                 .order_by(bills.c.due_date, bills.c.id))
_CLOSE_ACCOUNT = (update(accounts).where(accounts.c.id == bindparam("p_id"), accounts.c.status == "open")
                  .values(status="closed", closed_at=bindparam("closed_at")))


def load_case(conn: Connection, application_id: int) -> ClosingCase:
    rows = conn.execute(_CASE, {"application_id": application_id}).mappings().all()
    if not rows:
        raise LookupError(f"no application {application_id}")
    r = rows[0]
    return ClosingCase(
        application_id=r["id"], application_no=r["application_no"], status=r["status"], brand=r["brand"],
        line_id=r["line_id"], msisdn=r["msisdn"], imsi=r["imsi"], iccid=r["iccid"], kind=r["kind"],
        account_id=r["account_id"], currency=r["currency"], customer_id=r["customer_id"], email=r["email"],
        contact_phone=r["contact_phone"], locale=r["locale"], effective_date=r["effective_date"],
        quote=r["quote"], refund_method=r["refund_method"], refund_destination=r["refund_destination"],
        profiles=tuple((p["profile_iccid"], p["profile_eid"], p["profile_state"]) for p in rows
                       if p["profile_iccid"] is not None),
        balance_minor=int(r["balance_minor"]), other_open_lines=int(r["other_open_lines"]),
        decided_at=r["decided_at"], ported_in_from=r["ported_in_from"], line_brand_id=r["line_brand_id"],
        activated_at=r["activated_at"])


def ledger_sum(conn: Connection, account_id: int) -> int:
    return int(conn.execute(_LEDGER_SUM, {"account_id": account_id}).scalar_one())


def add_ledger_entry(conn: Connection, account_id: int, amount_minor: int, currency: str, kind: str,
                     reference: str, at: datetime) -> None:
    conn.execute(_ADD_LEDGER_ENTRY, dict(account_id=account_id, amount_minor=amount_minor, currency=currency,
                                         kind=kind, reference=reference, at=at))


def add_final_bill(conn: Connection, case: ClosingCase, amount_minor: int, now: datetime) -> int:
    last_end = conn.execute(_LAST_BILL_END, {"line_id": case.line_id}).scalar()
    start = case.effective_date
    if last_end is not None and last_end < case.effective_date:
        start = last_end + timedelta(days=1)
    return conn.execute(_ADD_BILL, dict(
        account_id=case.account_id, line_id=case.line_id, period_start=start, period_end=case.effective_date,
        amount_minor=amount_minor, currency=case.currency, due_date=case.effective_date,
        paid_at=now if amount_minor == 0 else None)).scalar_one()


def unpaid_bills(conn: Connection, account_id: int) -> list[Any]:
    return list(conn.execute(_UNPAID_BILLS, {"account_id": account_id}))


def mark_bill_paid(conn: Connection, bill_id: int, at: datetime) -> None:
    conn.execute(update_by_id(bills, ("paid_at",)), {"p_id": bill_id, "paid_at": at})


_SET_PROFILE_STATE = (update(esim_profiles).where(esim_profiles.c.iccid == bindparam("p_iccid"))
                      .values(state=bindparam("p_state"), updated_at=bindparam("p_at")))


def set_profile_state(conn: Connection, iccid: str, state: str, at: datetime) -> int:
    return conn.execute(_SET_PROFILE_STATE, {"p_iccid": iccid, "p_state": state, "p_at": at}).rowcount


def set_line_status(conn: Connection, line_id: int, status: str, at: datetime | None = None) -> None:
    values: dict[str, Any] = {"status": status}
    if status == "closed":
        values["closed_at"] = at
    conn.execute(update_by_id(lines, tuple(sorted(values))), {**values, "p_id": line_id})


def line_closed_at(conn: Connection, line_id: int) -> datetime | None:
    return conn.execute(select(lines.c.closed_at).where(lines.c.id == line_id)).scalar()


def close_account(conn: Connection, account_id: int, at: datetime) -> None:
    conn.execute(_CLOSE_ACCOUNT, {"p_id": account_id, "closed_at": at})


def quarantine_number(conn: Connection, msisdn: str, until: date, at: datetime) -> None:
    conn.execute(update(numbers).where(numbers.c.msisdn == msisdn)
                 .values(state="quarantined", quarantined_until=until, updated_at=at))


def release_number(conn: Connection, msisdn: str, at: datetime) -> int:
    return conn.execute(update(numbers).where(numbers.c.msisdn == msisdn, numbers.c.state == "quarantined")
                        .values(state="available", quarantined_until=None, line_id=None, updated_at=at)).rowcount


def applications_date(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def scheduling_facts(conn: Connection, application_ids: list[int]) -> list[Any]:
    """(id, application_no, brand_id, effective_date) of each application, in id order."""
    return list(conn.execute(select(applications.c.id, applications.c.application_no, applications.c.brand_id,
                                    applications.c.effective_date)
                             .where(applications.c.id.in_(application_ids)).order_by(applications.c.id)))


def status_and_number(conn: Connection, application_id: int) -> Any:
    return conn.execute(select(applications.c.status, applications.c.application_no)
                        .where(applications.c.id == application_id)).one()


def profile_state(conn: Connection, iccid: str) -> str | None:
    return conn.execute(select(esim_profiles.c.state).where(esim_profiles.c.iccid == iccid)).scalar()


def overdue_reviews(conn: Connection, now: datetime, limit: int) -> list[RowMapping]:
    """Applications pending review past their review_due_at that no sweep escalated yet, oldest due first;
    on PostgreSQL locked (skipping those another worker's sweep holds)."""
    flagged = select(application_events.c.application_id).where(application_events.c.event == "sla_escalated")
    q = (select(applications.c.id, applications.c.application_no, applications.c.review_due_at,
                brands.c.code.label("brand"))
         .join(brands, brands.c.id == applications.c.brand_id)
         .where(applications.c.status == "pending_review", applications.c.review_due_at < now,
                applications.c.id.not_in(flagged))
         .order_by(applications.c.review_due_at).limit(limit))
    return list(conn.execute(skip_locked(conn, q, of=applications)).mappings())
