"""Use case: erase personal data on schedule (the worker's "erasure_due" timer and ``simexit erasure run``).

For every closed line and every customer whose lines are all closed, the brand policy's stages
(simexit.domain.erasure_schedule) that are due on the brand's local date are carried out, each in its own
transaction: the data is deleted or irreversibly masked, an ``erasures`` record per table says what was
erased, when and under which rule (counts only, no personal data), and an audit entry is appended. A stage
already recorded is never run twice, so the job can run as often as wanted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection

from simexit.domain.erasure_schedule import KEEPABLE, Stage, customer_stages, line_stage, local_date
from simexit.services import audit
from simexit.services.context import Simexit
from simexit.store import erasure_repo as repo


@dataclass(frozen=True)
class PlannedErasure:
    subject_type: str  # line | customer
    subject_id: int
    brand: str
    stage: Stage

    def to_dict(self) -> dict[str, Any]:
        return {"subject_type": self.subject_type, "subject_id": self.subject_id, "brand": self.brand,
                "record_set": self.stage.record_set, "due_on": self.stage.due_on.isoformat(), "rule": self.stage.rule}


@dataclass
class ErasureReport:
    done: list[dict[str, Any]] = field(default_factory=list)
    still_kept: int = 0  # stages planned for a later date

    def to_dict(self) -> dict[str, Any]:
        return {"done": self.done, "still_kept": self.still_kept}


def plan(app: Simexit) -> list[PlannedErasure]:
    """Every stage not yet carried out, with its due date (the reports list the due ones)."""
    out: list[PlannedErasure] = []
    with app.db.read() as conn:
        for r in repo.closed_lines(conn):
            brand = app.brand_code(r.brand_id)
            out.append(PlannedErasure("line", r.id, brand, line_stage(app.policy(brand), r.closed_at)))
        done = repo.done_sets(conn, "customer")
        for r in repo.terminated_customers(conn):
            brand = app.brand_code(r.brand_id)
            for s in customer_stages(app.policy(brand), r.terminated_at):
                if s.record_set not in done.get(r.customer_id, set()):
                    out.append(PlannedErasure("customer", r.customer_id, brand, s))
    return out


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
        kept = {k.record_set for k in policy.retention.keep}
        with app.db.write() as conn:
            if repo.is_done(conn, p.subject_type, p.subject_id, p.stage.record_set):
                continue  # another run did it meanwhile
            counts = _erase(conn, p, kept, now)
            repo.record(conn, at=now, brand_id=app.brand_id(p.brand), subject_type=p.subject_type,
                        subject_id=p.subject_id, record_set=p.stage.record_set, rule=p.stage.rule,
                        due_on=p.stage.due_on, counts=counts)
            audit.record(conn, at=now, actor="simexit", role="system", action="erasure.done",
                         subject_type=p.subject_type, subject_ref=p.subject_id,
                         data={"record_set": p.stage.record_set, "due_on": p.stage.due_on.isoformat(),
                               **{f"{t}.{a}": n for t, (a, n) in counts.items()}})
        report.done.append({**p.to_dict(), "tables": {t: {"action": a, "rows": n} for t, (a, n) in counts.items()}})
    return report


def handle_erasure_due(app: Simexit, *_args: Any, **_kwargs: Any) -> dict[str, Any]:
    """Handler for the worker's "erasure_due" timer: register it with the worker's handler registry, e.g.
    ``registry["erasure_due"] = handle_erasure_due`` (it ignores the timer's payload and runs what is due)."""
    return erase_due(app).to_dict()


def erasure_due_on(app: Simexit, day: date) -> list[PlannedErasure]:
    return [p for p in plan(app) if p.stage.due_on <= day]
