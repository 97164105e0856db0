"""Reports for operations and compliance, as tables the console can chart and the CLI writes as CSV.

Each report is ``{"name", "from", "to", "columns", "rows"}`` over a window of UTC days (both inclusive):

- ``applications``: submitted applications by brand, channel, reason and outcome (current status).
- ``sla``: per brand, applications decided within ``review_due_at`` or late, still open past it, and the
  compliance share of the decided ones.
- ``refunds``: refunds from the applications' quotes, ``paid`` (completed applications) and ``pending``
  (approved, executing, needs attention), per brand and currency, in minor units. The worker records actual
  payouts later; until then this is what the quotes promise.
- ``erasures``: erasures done (from the erasure record) and due (from the schedule), by day, brand and
  record set.

Reports are for staff who may see them (``Permission.VIEW_REPORTS``), with the rows of their brands only, and
for simexit itself (``simexit report``). The SQL is in ``store/reports_repo.py``.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from simexit.domain.errors import InvalidInput
from simexit.domain.roles import Permission
from simexit.services.access.caller import Caller, StaffIdentity, System, require_staff
from simexit.services.context import Simexit
from simexit.services.privacy.erasure import plan
from simexit.store import reports_repo as repo

REPORTS = ("applications", "sla", "refunds", "erasures")
PAID, PENDING = ("completed",), ("approved", "executing", "needs_attention")


def _window(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise InvalidInput("REPORT_WINDOW_INVALID", "--to is before --from")
    return datetime.combine(start, time(), UTC), datetime.combine(end + timedelta(days=1), time(), UTC)


def _applications(app: Simexit, lo: datetime, hi: datetime) -> tuple[list[str], list[list[Any]]]:
    with app.db.read() as conn:
        rows = [[r.code, r.channel, r.reason_code or "", r.status, r.n]
                for r in repo.applications_by_outcome(conn, lo, hi)]
    return ["brand", "channel", "reason", "outcome", "applications"], rows


def _sla(app: Simexit, lo: datetime, hi: datetime) -> tuple[list[str], list[list[Any]]]:
    now = app.clock.now()
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # decided, within, late, open overdue
    with app.db.read() as conn:
        for r in repo.review_times(conn, lo, hi):
            s = stats[r.code]
            if r.decided_at is not None:
                s[0] += 1
                s[1 if r.decided_at <= r.review_due_at else 2] += 1
            elif r.status in ("submitted", "pending_review") and r.review_due_at < now:
                s[3] += 1
    rows = [[b, d, w, late, od, round(100 * w / d, 1) if d else ""] for b, (d, w, late, od) in sorted(stats.items())]
    return ["brand", "decided", "within_sla", "late", "open_overdue", "compliance_pct"], rows


def _refunds(app: Simexit, lo: datetime, hi: datetime) -> tuple[list[str], list[list[Any]]]:
    sums: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    with app.db.read() as conn:
        for r in repo.quotes(conn, lo, hi, PAID + PENDING):
            amount = int((r.quote or {}).get("refund_minor") or 0)
            if amount <= 0:
                continue
            s = sums[(r.code, (r.quote or {}).get("currency", ""), "paid" if r.status in PAID else "pending")]
            s[0] += 1
            s[1] += amount
    rows = [[b, cur, state, n, amt] for (b, cur, state), (n, amt) in sorted(sums.items())]
    return ["brand", "currency", "state", "refunds", "amount_minor"], rows


def _erasures(app: Simexit, start: date, end: date, lo: datetime, hi: datetime) -> tuple[list[str], list[list[Any]]]:
    agg: dict[tuple[str, str, str, str], list[Any]] = defaultdict(lambda: [set(), 0])
    with app.db.read() as conn:
        for r in repo.erasures_done(conn, lo, hi):
            a = agg[(r.at.date().isoformat(), r.code, r.record_set, "done")]
            a[0].add((r.subject_type, r.subject_id))
            a[1] += r.count
    for p in plan(app):
        if p.stage.due_on <= end:  # due in the window, or overdue before it and not done yet
            day = max(p.stage.due_on, start).isoformat()
            agg[(day, p.brand, p.stage.record_set, "due")][0].add((p.subject_type, p.subject_id))
    rows = [[d, b, rs, st, len(subjects), n if st == "done" else ""]
            for (d, b, rs, st), (subjects, n) in sorted(agg.items())]
    return ["day", "brand", "record_set", "state", "subjects", "rows_erased"], rows


@dataclass(frozen=True)
class Report:
    name: str
    start: date
    end: date
    columns: list[str]
    rows: list[list[Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "from": self.start.isoformat(), "to": self.end.isoformat(),
                "columns": self.columns, "rows": self.rows}


def build_report(app: Simexit, caller: Caller, name: str, start: date, end: date) -> Report:
    """A report over the UTC days ``start``..``end``; staff see the rows of their brands only."""
    who = None if isinstance(caller, System) else require_staff(caller, Permission.VIEW_REPORTS)
    lo, hi = _window(start, end)
    if name == "applications":
        columns, rows = _applications(app, lo, hi)
    elif name == "sla":
        columns, rows = _sla(app, lo, hi)
    elif name == "refunds":
        columns, rows = _refunds(app, lo, hi)
    elif name == "erasures":
        columns, rows = _erasures(app, start, end, lo, hi)
    else:
        raise InvalidInput("REPORT_UNKNOWN", f"no report {name!r}", allowed=list(REPORTS))
    if isinstance(who, StaffIdentity):
        b = columns.index("brand")
        rows = [r for r in rows if who.sees_brand(r[b])]
    return Report(name, start, end, columns, rows)


def to_csv(report: Report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(report.columns)
    w.writerows(report.rows)
    return buf.getvalue()


def work_waiting_for_a_person(app: Simexit) -> tuple[dict[str, int], dict[str, int]]:
    """For /metrics: applications in needs_attention per brand, and dead outbox messages per kind."""
    from simexit.store import operations_repo

    with app.db.read() as conn:
        return operations_repo.needs_attention_by_brand(conn), operations_repo.dead_messages_by_kind(conn)
