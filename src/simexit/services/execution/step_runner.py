"""Running one claimed step of the closing saga: its external part (outside any transaction, with the step's
stored idempotency key), then its record part in the transaction that marks the step done and creates the
next one. A failure is retried with backoff; a step that keeps failing puts the application in
``needs_attention`` for a supervisor. The step's actions come from the worker's registry."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from simexit.domain.saga import backoff, next_step
from simexit.domain.state_machine import Action, ActorType, Status, transition
from simexit.integrations.errors import IntegrationError
from simexit.integrations.wiring import Integrations
from simexit.services.context import Simexit
from simexit.services.execution.closing_steps import FRESH_CASE, External, Record, StepRun, calls_outside
from simexit.services.execution.decision_messages import notify
from simexit.services.execution.scheduling import step_key
from simexit.store import applications_repo, closing_repo
from simexit.store.closing_repo import ClosingCase
from simexit.store.work_queue import ChainedRowsFailed, LeaseLost, done_step_values, finish, finish_done_step

if TYPE_CHECKING:
    from simexit.store.database import Connection

log = logging.getLogger("simexit.execution")
QUEUE = "saga_steps"
StepActions = Mapping[str, tuple[External, Record]]


def run_step(app: Simexit, integrations: Integrations, step: Mapping[str, Any], worker_id: str, *,
             actions: StepActions, max_attempts: int, backoff_base: float, backoff_max: float,
             still_held: Callable[[int], bool], lease_next: timedelta | None = None
             ) -> tuple[str, dict[str, Any] | None]:
    """Run one claimed step; returns ``done``, ``stopped``, ``retry``, ``failed`` or ``lease_lost``, and the next
    step when it was leased to ``worker_id`` as it was made (with ``lease_next``, for that long), for the caller
    to run next in the same thread without claiming it (``work_queue.finish_done_step``).

    ``still_held(step id)`` renews the lease and says whether the step is still ours; it is asked right before
    the external part, which is never made for a step another worker took over.

    A step handed on this way carries the closing case its step before it read (under ``"case"``), and runs with
    it instead of reading it again (issue 16: a read of 28 columns per step), as the chained steps do: what the
    closing steps read of it is fixed before execution starts (the quote, the line, the dates decided), and what a
    step changes, each record part reads from the database. The exception is a step in ``FRESH_CASE``, whose
    outside part reads what the steps before it changed; it reads the case anew."""
    external, record = actions[step["step"]]
    case = None if step["step"] in FRESH_CASE else step.get("case")
    if case is None:
        with app.db.lookup() as conn:  # one statement: no transaction around it on PostgreSQL (two round trips less)
            case = closing_repo.load_case(conn, step["application_id"])
    carried = step["result"] or {}  # what a supervisor's retry left for this try (work_queue.reopen_step)
    run = StepRun(app, integrations, case, step["step"], app.clock.now(), step["idempotency_key"],
                  attempt=step["attempts"] + 1, interrupted=bool(step.get("taken_over") or carried.get("interrupted")),
                  confirmed=carried.get("confirmed"))
    if case.status not in (Status.APPROVED, Status.EXECUTING):
        # Withdrawn before execution started (or otherwise no longer ours): the saga stops here.
        try:
            with app.db.write() as conn:
                finish(conn, QUEUE, step["id"], worker_id, state="done", finished_at=run.now,
                       done_by=worker_id, result={"stopped": case.status})
        except LeaseLost:
            return "lease_lost", None
        return "stopped", None
    if not still_held(step["id"]):
        return "lease_lost", None
    try:
        data = external(run)
    except IntegrationError as exc:
        return _failed(app, step, worker_id, exc, max_attempts, backoff_base, backoff_max), None
    held, stop_at = None, None
    while True:
        try:
            with app.db.write() as conn:
                run.now = app.clock.now()
                applications_repo.remember_number(conn, case.application_id, case.application_no)
                # The record part and the chained steps first, so that the step is marked done with its result,
                # and the rows after it are written, in one statement (PostgreSQL; it was four). The lease is
                # checked by that statement, before the commit: a step another worker took over is rolled back
                # with all its record part and the chained steps did. The lease keeper locks saga_steps rows
                # only, and this transaction updates no saga_steps row but its own step's, so the keeper cannot
                # wait on a row this one holds while this one waits on it; a lock cycle with some other
                # transaction would be broken by PostgreSQL's deadlock check, and the step tried again after its
                # lease.
                try:
                    result = record(conn, run, data)
                except Exception:
                    if not still_held(step["id"]):  # another worker took the step over: its failure is not ours
                        raise LeaseLost(f"{QUEUE} {step['id']}") from None
                    raise
                nxt, seq = next_step(step["step"]), step["seq"] + 1
                chained: list[dict[str, Any]] = []
                while nxt and nxt != stop_at and _chained(app, integrations, conn, actions, case, nxt, seq,
                                                          run.now, worker_id, chained):
                    nxt, seq = next_step(nxt), seq + 1
                # Due at once, and sorted (claims take the oldest due first) with the saga's own first step: with a
                # backlog of 10,000 closures a started closure finishes before new ones start, instead of every
                # closure advancing one step per pass over the whole backlog.
                following = None if not nxt else dict(
                    application_id=case.application_id, step=nxt, seq=seq, key=step_key(case.application_no),
                    due_at=min(run.now, step["due_at"]), now=run.now)
                try:  # the step done, the chained steps' rows and the next step: one statement on PostgreSQL
                    held = finish_done_step(
                        conn, step["id"], worker_id, dict(
                            state="done", result=result, finished_at=run.now, done_by=worker_id,
                            attempts=step["attempts"] + 1, last_error=None, last_error_code=None),
                        chained=chained, next_step=following,
                        hold_until=None if lease_next is None else run.now + lease_next)
                except ChainedRowsFailed as exc:
                    raise _ChainBroken(chained[0]["step"]) from exc
            if held is not None:
                held["case"] = case  # the next step, run next in this thread, reads the same case (``FRESH_CASE``)
            return "done", held
        except LeaseLost:
            log.warning("step %s of %s: lease lost, another worker took it over", step["step"],
                        case.application_no)
            return "lease_lost", None
        except _ChainBroken as broken:
            # Everything this transaction wrote is rolled back; it is written again without the broken step
            # and the ones after it, which is left to run on its own. ``stop_at`` only moves to an earlier
            # step, so this ends.
            log.exception("step %s of %s, chained after the one before it, failed; it runs on its own",
                          broken.step, case.application_no)
            stop_at = broken.step


class _ChainBroken(Exception):
    def __init__(self, step: str) -> None:
        super().__init__(step)
        self.step = step


def _chained(app: Simexit, integrations: Integrations, conn: Connection, actions: StepActions, case: ClosingCase,
             name: str, seq: int, now: datetime, worker_id: str, done: list[dict[str, Any]]) -> bool:
    """Run step ``name`` here, in the transaction of the step before it, when it calls no outside system: one
    claim, lease check and commit less, and just as durable (the two commit together, or neither does). Returns
    False, leaving the step to be claimed on its own, when it calls outside. Its row, done, is added to ``done``
    for the caller to write with the others' (``work_queue.finish_done_step``). When it fails, raises
    ``_ChainBroken``: the caller rolls the transaction back and writes it again without this step, which then
    runs on its own (and meets its failure there, where it is handled). No savepoint per chained step: two
    statements each, a seventh of a closure's statements, for a failure that is rare.

    ``case`` is the one the claimed step loaded: what a closing step reads from it does not change during the
    saga (the quote, the line, the dates decided), and what the steps change (ledger, bills, holdings) each
    record part reads from the database."""
    external, record = actions[name]
    if calls_outside(external, case):
        return False
    application_id = case.application_id
    run = StepRun(app, integrations, case, name, now, step_key(case.application_no))
    try:
        data = record(conn, run, external(run))
        done.append(done_step_values(application_id=application_id, step=name, seq=seq, key=run.key, now=now,
                                     worker_id=worker_id, result=data))
    except LeaseLost:
        raise
    except Exception as exc:
        raise _ChainBroken(name) from exc
    return True


def _failed(app: Simexit, step: Mapping[str, Any], worker_id: str, exc: IntegrationError, max_attempts: int,
            base: float, cap: float) -> str:
    attempts = step["attempts"] + 1
    error = f"{exc.system}: {exc.code}: {exc.message}"
    give_up = not exc.retryable or attempts >= max_attempts
    now = app.clock.now()
    try:
        with app.db.write() as conn:
            if give_up:
                finish(conn, QUEUE, step["id"], worker_id, state="failed", attempts=attempts, last_error=error,
                       last_error_code=exc.code)
                t = transition(Status.EXECUTING, Action.FLAG_TROUBLE, actor_type=ActorType.SYSTEM, at=now,
                               actor_id="simexit-worker", actor_role="system", note=error)
                applications_repo.apply_transition(conn, step["application_id"], t, event="needs_attention",
                                                   data={"step": step["step"], "code": exc.code,
                                                         "system": exc.system, "attempts": attempts})
                notify(app, conn, step["application_id"], "needs_attention", now, detail=step["step"])
            else:
                # The next try after the backoff, and never before the outside system's Retry-After.
                wait = max(backoff(attempts, base, cap), timedelta(seconds=exc.retry_after or 0))
                finish(conn, QUEUE, step["id"], worker_id, state="pending", attempts=attempts,
                       last_error=error, last_error_code=exc.code, due_at=now + wait)
    except LeaseLost:
        return "lease_lost"
    log.info("step %s failed (attempt %d): %s", step["step"], attempts, error)
    return "failed" if give_up else "retry"
