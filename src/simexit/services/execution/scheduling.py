"""Use cases of durable execution: schedule the closing saga at approval, run one claimed step, flag an
application that keeps failing, a supervisor's retry, and the device's eSIM delete notification."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from simexit.domain.errors import Conflict, InvalidInput
from simexit.domain.saga import STEPS, backoff, execution_starts_at, idempotency_key, next_step
from simexit.domain.state_machine import Action, ActorType, Status, transition
from simexit.integrations.errors import IntegrationError
from simexit.integrations.wiring import Integrations
from simexit.services.context import Simexit
from simexit.services.execution.closing_steps import STEP_ACTIONS, StepRun
from simexit.store import applications_repo, closing_repo
from simexit.store.tables import applications, esim_profiles
from simexit.store.tables_worker import saga_steps
from simexit.store.work_queue import (
    LeaseLost,
    add_step,
    add_steps,
    add_timers,
    failed_step,
    finish,
    reopen_step,
    step_values,
    timer_values,
)

log = logging.getLogger("simexit.execution")


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
    rows = conn.execute(select(applications.c.id, applications.c.application_no, applications.c.brand_id,
                               applications.c.effective_date)
                        .where(applications.c.id.in_(list(application_ids))).order_by(applications.c.id)).all()
    steps: list[dict[str, Any]] = []
    due: list[dict[str, Any]] = []
    for row in rows:
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
    return step_values(application_id=application_id, step=STEPS[0], seq=0,
                       key=idempotency_key(application_no, STEPS[0]), due_at=now, now=now)


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


def run_step(app: Simexit, integrations: Integrations, step: RowMapping, worker_id: str, *,
             max_attempts: int, backoff_base: float, backoff_max: float) -> str:
    """Run one claimed step; returns ``done``, ``retry``, ``failed`` or ``lease_lost``."""
    external, record = STEP_ACTIONS[step["step"]]
    with app.db.read() as conn:
        case = closing_repo.load_case(conn, step["application_id"])
    run = StepRun(app, integrations, case, step["step"], app.clock.now(), attempt=step["attempts"] + 1)
    if case.status not in (Status.APPROVED, Status.EXECUTING):
        # Withdrawn before execution started (or otherwise no longer ours): the saga stops here.
        try:
            with app.db.write() as conn:
                finish(conn, saga_steps, step["id"], worker_id, state="done", finished_at=run.now,
                       done_by=worker_id, result={"stopped": case.status})
        except LeaseLost:
            return "lease_lost"
        return "stopped"
    try:
        data = external(run)
    except IntegrationError as exc:
        return _failed(app, step, worker_id, exc, max_attempts, backoff_base, backoff_max)
    try:
        with app.db.write() as conn:
            run.now = app.clock.now()
            finish(conn, saga_steps, step["id"], worker_id, state="done", result=None, finished_at=run.now,
                   done_by=worker_id, attempts=step["attempts"] + 1, last_error=None)
            result = record(conn, run, data)
            conn.execute(saga_steps.update().where(saga_steps.c.id == step["id"]).values(result=result))
            nxt = next_step(step["step"])
            if nxt:
                add_step(conn, application_id=case.application_id, step=nxt, seq=step["seq"] + 1,
                         key=idempotency_key(case.application_no, nxt), due_at=run.now, now=run.now)
    except LeaseLost:
        log.warning("step %s of %s: lease lost, another worker took it over", step["step"], case.application_no)
        return "lease_lost"
    return "done"


def _failed(app: Simexit, step: RowMapping, worker_id: str, exc: IntegrationError, max_attempts: int,
            base: float, cap: float) -> str:
    attempts = step["attempts"] + 1
    error = f"{exc.system}: {exc.code}: {exc.message}"
    give_up = not exc.retryable or attempts >= max_attempts
    now = app.clock.now()
    try:
        with app.db.write() as conn:
            if give_up:
                finish(conn, saga_steps, step["id"], worker_id, state="failed", attempts=attempts, last_error=error)
                t = transition(Status.EXECUTING, Action.FLAG_TROUBLE, actor_type=ActorType.SYSTEM, at=now,
                               actor_id="simexit-worker", actor_role="system", note=error)
                applications_repo.apply_transition(conn, step["application_id"], t, event="needs_attention",
                                                   data={"step": step["step"], "code": exc.code,
                                                         "system": exc.system, "attempts": attempts})
            else:
                finish(conn, saga_steps, step["id"], worker_id, state="pending", attempts=attempts,
                       last_error=error, due_at=now + backoff(attempts, base, cap))
    except LeaseLost:
        return "lease_lost"
    log.info("step %s failed (attempt %d): %s", step["step"], attempts, error)
    return "failed" if give_up else "retry"


def retry_application(app: Simexit, application_no: str, staff: str, note: str | None = None) -> dict[str, Any]:
    """A supervisor puts an application in needs_attention back to work: its failed step runs again now."""
    from simexit.services.closure.applications import _number

    number = _number(application_no)
    with app.db.write() as conn:
        row = applications_repo.get_by_number(conn, number, for_update=True)
        now = app.clock.now()
        t = transition(row["status"], Action.RETRY, actor_type=ActorType.STAFF, at=now, actor_id=staff,
                       actor_role="supervisor", note=note)
        step = failed_step(conn, row["id"])
        if step is None:
            raise Conflict("NO_FAILED_STEP", "the application has no failed step to retry")
        applications_repo.apply_transition(conn, row["id"], t, event="retried", data={"step": step["step"]})
        reopen_step(conn, step["id"], now)
        return {"application_no": number, "status": Status.EXECUTING.value, "step": step["step"],
                "last_error": step["last_error"]}


def record_profile_deleted(app: Simexit, iccid: str) -> None:
    """The device deleted the profile (SM-DP+ delete notification, #3): its ICCID may be reused again."""
    with app.db.write() as conn:
        profile_deleted(conn, iccid, app.clock.now())


def profile_deleted(conn: Connection, iccid: str, now: datetime) -> bool:
    """In the caller's transaction: the profile is gone from the device, so its ICCID leaves DeletePending
    (the one path for both the CLI/worker side and the ES2+ callback). Returns whether the state changed."""
    state = conn.execute(select(esim_profiles.c.state).where(esim_profiles.c.iccid == iccid)).scalar()
    if state is None:
        raise InvalidInput("ICCID_UNKNOWN", "no eSIM profile with this ICCID")
    if state == "Deleted":
        return False
    closing_repo.set_profile_state(conn, iccid, "Deleted", now)
    return True


def execution_view(app: Simexit, application_no: str) -> list[dict[str, Any]]:
    from simexit.store.work_queue import steps_of

    with app.db.read() as conn:
        row = applications_repo.get_by_number(conn, application_no)
        return [{"step": s["step"], "state": s["state"], "attempts": s["attempts"], "last_error": s["last_error"],
                 "finished_at": s["finished_at"].isoformat() if s["finished_at"] else None}
                for s in steps_of(conn, row["id"])]


