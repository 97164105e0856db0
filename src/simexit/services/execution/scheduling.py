"""Scheduling the closing saga at approval (in the approval's transaction), and its first step when a
``closure_due`` timer fires. Each step gets its outside idempotency key when it is created (``step_key``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from simexit.domain.errors import InvalidInput
from simexit.domain.outside_keys import outside_key
from simexit.domain.saga import STEPS, execution_starts_at
from simexit.services.context import Simexit
from simexit.store import closing_repo
from simexit.store.work_queue import add_steps, add_timers, step_values, timer_values

if TYPE_CHECKING:
    from simexit.store.database import Connection


def step_key(application_no: str) -> str:
    """The key a step sends outside on every try: ``SX-XXXX-XXXX-C:<16 random characters>`` (31 characters),
    unique across simexit instances sharing a provider (an application number alone has 40 random bits)."""
    return outside_key(application_no)


def schedule_execution(app: Simexit, conn: Connection, application_id: int, now: datetime, *,
                       known: tuple[str, int, date] | None = None) -> None:
    """Called in the approval's transaction: the first step now, or a timer until the effective date ends.
    ``known``: the application's (number, brand id, effective date) when the caller has them (no SELECT)."""
    if known is None:
        schedule_executions(app, conn, [application_id], now)
    else:
        _schedule(app, conn, application_id, *known, now)


def schedule_executions(app: Simexit, conn: Connection, application_ids: Sequence[int], now: datetime) -> None:
    """``schedule_execution`` for many approved applications (bulk paths), with one SELECT for all of them."""
    if not application_ids:
        return
    steps: list[dict[str, Any]] = []
    due: list[dict[str, Any]] = []
    for row in closing_repo.scheduling_facts(conn, list(application_ids)):
        starts = _starts(app, row.brand_id, row.effective_date, now)
        if starts <= now:
            steps.append(_first_step(row.id, row.application_no, now))
        else:
            due.append(_closure_timer(row.id, row.application_no, starts, now))
    add_steps(conn, steps)  # one statement each for the whole page, not one per application
    add_timers(conn, due)


def _starts(app: Simexit, brand_id: int, effective_date: date, now: datetime) -> datetime:
    policy = app.policy(app.brand_code(brand_id))
    return execution_starts_at(policy.closure.effective, effective_date, policy.brand.time_zone, now)


def _first_step(application_id: int, application_no: str, now: datetime) -> dict[str, Any]:
    return step_values(application_id=application_id, step=STEPS[0], seq=0, key=step_key(application_no),
                       due_at=now, now=now)


def _closure_timer(application_id: int, application_no: str, starts: datetime, now: datetime) -> dict[str, Any]:
    return timer_values(kind="closure_due", subject=str(application_id), due_at=starts, now=now,
                        data={"application_no": application_no})


def _schedule(app: Simexit, conn: Connection, application_id: int, application_no: str, brand_id: int,
              effective_date: date, now: datetime) -> None:
    starts = _starts(app, brand_id, effective_date, now)
    if starts <= now:
        add_steps(conn, [_first_step(application_id, application_no, now)])
    else:
        add_timers(conn, [_closure_timer(application_id, application_no, starts, now)])


def start_saga(conn: Connection, application_id: int, application_no: str, now: datetime) -> None:
    add_steps(conn, [_first_step(application_id, application_no, now)])


def profile_deleted(conn: Connection, iccid: str, now: datetime) -> bool:
    """In the caller's transaction: the profile is gone from the device, so its ICCID leaves DeletePending
    (the one path for both the CLI/worker side and the ES2+ callback). Returns whether the state changed."""
    state = closing_repo.profile_state(conn, iccid)
    if state is None:
        raise InvalidInput("ICCID_UNKNOWN", "no eSIM profile with this ICCID")
    if state == "Deleted":
        return False
    closing_repo.set_profile_state(conn, iccid, "Deleted", now)
    return True
