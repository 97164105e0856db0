"""Use case: erase personal data on schedule (the worker's "erasure_due" timer and ``simexit erasure run``).

For every closed line and every customer whose lines are all closed, the brand policy's stages
(simexit.domain.erasure_schedule) that are due on the brand's local date are carried out, each in its own
transaction: the data is deleted or irreversibly masked, an ``erasures`` record per table says what was
erased, when and under which rule (counts only, no personal data), and an audit entry is appended. A stage
already recorded is never run twice, so the job can run as often as wanted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from simexit.domain.erasure_schedule import KEEPABLE, customer_stages, line_stage, local_date
from simexit.domain.saga import local_midnight
from simexit.services.context import Simexit
from simexit.services.privacy import audit
from simexit.services.privacy.views import ErasureReport, PlannedErasure
from simexit.store import erasure_repo as repo

if TYPE_CHECKING:
    from simexit.store.database import Connection

__all__ = ["ErasureReport", "PlannedErasure", "erase_due", "erasure_due_on", "handle_erasure_due", "plan"]


def plan(app: Simexit) -> list[PlannedErasure]:
    """Every stage not yet carried out, with its due date (the reports list the due ones)."""
    with app.db.read() as conn:
        return _plan(app, conn)


def _plan(app: Simexit, conn: Connection) -> list[PlannedErasure]:
    out: list[PlannedErasure] = []
    for r in repo.closed_lines(conn):
        brand = app.brand_code(r.brand_id)
        out.append(PlannedErasure("line", r.id, brand, line_stage(app.policy(brand), r.disconnected_on or r.closed_at)))
    done = repo.done_sets(conn, "customer")
    for r in repo.terminated_customers(conn):
        brand = app.brand_code(r.brand_id)
        for s in customer_stages(app.policy(brand), _termination(r)):
            if s.record_set not in done.get(r.customer_id, set()):
                out.append(PlannedErasure("customer", r.customer_id, brand, s))
    return out


def _termination(r: Any) -> date | datetime:
    """The customer's termination day: the last permanent-disconnect date of their lines (their closing time
    for lines closed before that date was recorded)."""
    return r.disconnected_on if r.disconnected_on is not None else r.terminated_at


def _erase(conn: Connection, p: PlannedErasure, kept: set[str], now: Any) -> repo.Counts:
    rs, cid = p.stage.record_set, p.subject_id
    if p.subject_type == "line":
        return repo.erase_line_data(conn, cid)
    erasers: dict[str, Callable[[Connection, int], repo.Counts]] = {
        "real_name": repo.erase_real_name, "billing": repo.erase_billing, "consent": repo.erase_consent,
        "application": repo.erase_application}
    if rs in erasers:
        return erasers[rs](conn, cid)
    counts = repo.erase_contact(conn, cid, now)
    for other in KEEPABLE:  # what no law keeps goes with the personal stage
        if other not in kept:
            for table, (action, n) in erasers[other](conn, cid).items():
                prev = counts.get(table, (action, 0))[1]
                counts[table] = (action, prev + n)
    return counts


def erase_due(app: Simexit) -> ErasureReport:
    """Carry out every stage due today (brand time zone); one transaction per subject and stage."""
    now = app.clock.now()
    report = ErasureReport()
    for p in plan(app):
        policy = app.policy(p.brand)
        if not p.stage.due(local_date(policy, now)):
            report.still_kept += 1
            continue
        with app.db.write() as conn:
            _carry_out(app, conn, p, now, report)
    return report


def _carry_out(app: Simexit, conn: Connection, p: PlannedErasure, now: datetime, report: ErasureReport) -> None:
    if repo.is_done(conn, p.subject_type, p.subject_id, p.stage.record_set):
        return  # another run did it meanwhile
    kept = {k.record_set for k in app.policy(p.brand).retention.keep}
    counts = _erase(conn, p, kept, now)
    repo.record(conn, at=now, brand_id=app.brand_id(p.brand), subject_type=p.subject_type,
                subject_id=p.subject_id, record_set=p.stage.record_set, rule=p.stage.rule,
                due_on=p.stage.due_on, counts=counts)
    audit.record(conn, at=now, actor="simexit", role="system", action="erasure.done",
                 subject_type=p.subject_type, subject_ref=p.subject_id,
                 data={"record_set": p.stage.record_set, "due_on": p.stage.due_on.isoformat(),
                       **{f"{t}.{a}": n for t, (a, n) in counts.items()}})
    report.done.append({**p.to_dict(), "tables": {t: {"action": a, "rows": n} for t, (a, n) in counts.items()}})


def handle_erasure_due(app: Simexit, conn: Connection, timer: Any, now: datetime) -> datetime | None:
    """The worker's ``erasure_due`` timer handler (listed in ``services/privacy/tasks.py``), run in the
    timer's transaction: carries out every stage due today, then keeps the timer pending until the next stage
    of this application's line or customer (a record set a law keeps longer), or ends it when none is left."""
    report = ErasureReport()
    line_id, customer_id = repo.subjects_of_application(conn, int(timer["subject"]))
    later: list[datetime] = []
    for p in _plan(app, conn):
        policy = app.policy(p.brand)
        if p.stage.due(local_date(policy, now)):
            _carry_out(app, conn, p, now, report)
        elif (p.subject_type, p.subject_id) in (("line", line_id), ("customer", customer_id)):
            later.append(local_midnight(p.stage.due_on, policy.brand.time_zone))
    return min(later) if later else None


def erasure_due_on(app: Simexit, day: date) -> list[PlannedErasure]:
    return [p for p in plan(app) if p.stage.due_on <= day]
