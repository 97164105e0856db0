"""Queries and writes of applications and their timeline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from simexit.domain.errors import Conflict, NotFound
from simexit.domain.state_machine import Transition
from simexit.store import audit_repo
from simexit.store.audit_data import code_only
from simexit.store.built import once
from simexit.store.locking import for_update as locked
from simexit.store.tables import OPEN_STATUSES, application_events, applications, brands, customers, lines

# Built once: statements whose values come as parameters skip SQLAlchemy's per-call cache-key walk over literal
# values (it was the largest CPU cost of an apply).
_INSERT_APPLICATION = insert(applications).returning(applications.c.id)
_INSERT_EVENT = insert(application_events)
_NUMBER = select(applications.c.application_no).where(applications.c.id == bindparam("id"))


# The numbers of the applications a transaction inserted or read are kept in the connection's info until it
# ends, so that auditing their events needs no SELECT of the number. (Not longer: after a rollback SQLite may
# give a rolled-back id to another application.)
NUMBERS = "simexit_application_numbers"  # transaction-scoped (store/database.py)


def _remember(conn: Connection, application_id: int, application_no: str) -> None:
    conn.info.setdefault(NUMBERS, {})[application_id] = application_no


def remember_number(conn: Connection, application_id: int, application_no: str) -> None:
    """The caller read this application's number already (the worker's closing case): its events need no
    SELECT of it in this transaction."""
    _remember(conn, application_id, application_no)


def _number_of(conn: Connection, application_id: int) -> str:
    number = conn.info.get(NUMBERS, {}).get(application_id)
    if number is None:
        number = conn.execute(_NUMBER, {"id": application_id}).scalar_one()
        _remember(conn, application_id, number)
    return number


def insert_application(conn: Connection, values: dict[str, Any]) -> int:
    app_id = conn.execute(_INSERT_APPLICATION, values).scalar_one()
    _remember(conn, app_id, values["application_no"])
    return app_id


def event_values(t: Transition | None = None, *, event: str, at: datetime | None = None,
                 actor_type: str | None = None, actor_id: str | None = None, actor_role: str | None = None,
                 channel: str | None = None, note: str | None = None,
                 data: dict[str, Any] | None = None) -> dict[str, Any]:
    """One timeline row: a transition's, or an event's that changes no status."""
    if t is not None:
        return dict(event=event, data=data, at=t.at, from_status=t.from_status.value, to_status=t.to_status.value,
                    actor_type=t.actor_type.value, actor_id=t.actor_id, actor_role=t.actor_role, channel=t.channel,
                    note=t.note)
    return dict(event=event, data=data, at=at, from_status=None, to_status=None, actor_type=actor_type,
                actor_id=actor_id, actor_role=actor_role, channel=channel, note=note)


def insert_events(conn: Connection, application_id: int, events: list[dict[str, Any]]) -> None:
    """Write timeline rows (``event_values``) in one statement, each audited in the same transaction (no
    personal data: codes only)."""
    number = _number_of(conn, application_id)
    conn.execute(_INSERT_EVENT, [{"application_id": application_id, **v} for v in events])
    audit_events(conn, ((number, v) for v in events))


def audit_events(conn: Connection, numbered: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Audit timeline rows (``event_values``) of the applications numbered, in the caller's transaction (written
    at its commit, no personal data: codes only). Bulk closure writes its timelines itself and calls this."""
    for number, v in numbered:
        audit_repo.append(conn, at=v["at"], actor=v["actor_id"] or v["actor_type"],
                          role=v["actor_role"] or v["actor_type"], action=f"application.{v['event']}",
                          subject_type="application", subject_ref=number,
                          data={"from": v["from_status"], "to": v["to_status"], "channel": v["channel"],
                                "note": v["note"] is not None, **code_only(v["data"])})


def append_event(conn: Connection, application_id: int, t: Transition | None = None, *, event: str,
                 at: datetime | None = None, actor_type: str | None = None, actor_id: str | None = None,
                 actor_role: str | None = None, channel: str | None = None, note: str | None = None,
                 data: dict[str, Any] | None = None) -> None:
    insert_events(conn, application_id, [event_values(
        t, event=event, at=at, actor_type=actor_type, actor_id=actor_id, actor_role=actor_role, channel=channel,
        note=note, data=data)])


def apply_transition(conn: Connection, application_id: int, t: Transition, *, event: str,
                     extra: dict[str, Any] | None = None, data: dict[str, Any] | None = None) -> None:
    """Move the application only if it is still in ``t.from_status`` (optimistic check), then log it."""
    values = {"status": t.to_status.value, "updated_at": t.at, **(extra or {})}
    columns = tuple(sorted(values))
    stmt = once(("apply_transition", columns), lambda: update(applications).where(
        applications.c.id == bindparam("p_id"), applications.c.status == bindparam("p_from"))
        .values({c: bindparam(c) for c in columns}))
    res = conn.execute(stmt, {**values, "p_id": application_id, "p_from": t.from_status.value})
    if res.rowcount != 1:
        raise Conflict("APPLICATION_CHANGED", "the application changed meanwhile; reload and try again")
    append_event(conn, application_id, t, event=event, data=data)


def get_by_number(conn: Connection, application_no: str, *, for_update: bool = False) -> RowMapping:
    q = (select(applications, brands.c.code.label("brand"), lines.c.msisdn, lines.c.kind.label("line_kind"))
         .join(brands, brands.c.id == applications.c.brand_id)
         .join(lines, lines.c.id == applications.c.line_id)
         .where(applications.c.application_no == application_no))
    if for_update:
        q = locked(conn, q, of=applications)
    row = conn.execute(q).mappings().first()
    if row is None:
        raise NotFound("APPLICATION_NOT_FOUND", f"no application {application_no}")
    _remember(conn, row["id"], row["application_no"])
    return row


def open_application_for_line(conn: Connection, line_id: int) -> str | None:
    return conn.execute(
        select(applications.c.application_no)
        .where(applications.c.line_id == line_id, applications.c.status.in_(OPEN_STATUSES))
    ).scalar_one_or_none()


def timeline(conn: Connection, application_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(application_events).where(application_events.c.application_id == application_id)
        .order_by(application_events.c.id)
    ).mappings().all()
    return [
        {"at": r["at"].isoformat(), "event": r["event"], "from_status": r["from_status"],
         "to_status": r["to_status"], "actor_type": r["actor_type"], "actor_id": r["actor_id"],
         "actor_role": r["actor_role"], "channel": r["channel"], "note": r["note"]}
        for r in rows
    ]


def list_pending_auto(conn: Connection, brand_ids: list[int], limit: int = 500) -> list[RowMapping]:
    return conn.execute(
        select(applications.c.id, applications.c.application_no, applications.c.status)
        .where(applications.c.status == "pending_review", applications.c.needs_person.is_(False),
               applications.c.brand_id.in_(brand_ids))
        .order_by(applications.c.id).limit(limit)
    ).mappings().all()


def as_date(v: date | str | None) -> date | None:
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(v)


# Raised by insert_application when the line already has an open application (the unique partial index) or the
# random number was taken: the caller looks again.
StoreConflict = IntegrityError


def id_of(conn: Connection, application_no: str) -> int:
    return conn.execute(select(applications.c.id).where(applications.c.application_no == application_no)
                        ).scalar_one()


def customer_id_record(conn: Connection, customer_id: int) -> RowMapping:
    """The customer's ID type and the keyed hash of their ID number (to check a typed ID number against)."""
    return conn.execute(select(customers.c.id_type, customers.c.id_hash).where(customers.c.id == customer_id)
                        ).mappings().one()


def customer_locale(conn: Connection, customer_id: int) -> str | None:
    return conn.execute(select(customers.c.locale).where(customers.c.id == customer_id)).scalar_one_or_none()


def staff_facts(conn: Connection, customer_id: int, line_id: int) -> tuple[RowMapping, RowMapping]:
    """The customer's and the line's facts a member of staff sees beside an application (masked by the caller)."""
    cust = conn.execute(select(customers.c.name, customers.c.id_type, customers.c.id_last4, customers.c.email,
                               customers.c.identity_verified, customers.c.locale)
                        .where(customers.c.id == customer_id)).mappings().one()
    line = conn.execute(select(lines.c.iccid, lines.c.plan, lines.c.payment, lines.c.status)
                        .where(lines.c.id == line_id)).mappings().one()
    return cust, line


# Built once (store/built.py): every apply and every decision reads it (py-spy: building it and walking it for
# its cache key were a third of its cost in an HTTP apply).
_MESSAGE_FACTS = (select(applications.c.application_no, applications.c.status, applications.c.review_due_at,
                         applications.c.effective_date, applications.c.rejection_reasons,
                         applications.c.identity_evidence, brands.c.code.label("brand"), lines.c.msisdn,
                         customers.c.email, customers.c.contact_phone, customers.c.locale)
                  .join(brands, brands.c.id == applications.c.brand_id)
                  .join(lines, lines.c.id == applications.c.line_id)
                  .join(customers, customers.c.id == applications.c.customer_id)
                  .where(applications.c.id == bindparam("application_id")))


def message_facts(conn: Connection, application_id: int) -> RowMapping:
    """What a decision message to the customer needs: the application, its line, and the customer's addresses."""
    return conn.execute(_MESSAGE_FACTS, {"application_id": application_id}).mappings().one()


def last_application_for_line(conn: Connection, line_id: int) -> RowMapping | None:
    """The line's newest application (number and status), open or not."""
    return conn.execute(select(applications.c.application_no, applications.c.status)
                        .where(applications.c.line_id == line_id)
                        .order_by(applications.c.submitted_at.desc(), applications.c.id.desc()).limit(1)
                        ).mappings().first()
