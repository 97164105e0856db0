"""The FCC Reassigned Numbers Database report: each month, by the 15th, the numbers of US brands permanently
disconnected since the last report, up to the 10th (JURISDICTIONS.md; reassigned.us FAQ: incremental monthly
files, disconnects after the cutoff go in the next month's file, nothing is ever removed).

The file (``rnd_report_file``): one record per line, ``<10-digit NANP number>,<permanent disconnect date
YYYYMMDD>``, no header, records in date then number order, LF line ends; a month without disconnects gives an
empty file (the administrator's upload form is where "nothing to report" is confirmed). Each report made is
kept (``rnd_reports``) with its period; the next one starts the day after the last one's cutoff.

Made by the ``rnd_report`` timer (re-armed for the 11th of each month, local time of the first US brand) and
by ``simexit rnd report``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from simexit.domain.number_afterlife import rnd_report_month
from simexit.services.access.caller import Caller, require_system
from simexit.services.context import Simexit
from simexit.store import numbers_repo

if TYPE_CHECKING:
    from simexit.store.database import Connection

RECORD = re.compile(r"^[2-9]\d{2}[2-9]\d{6},\d{8}$")
DEFAULT_TZ = "America/New_York"


@dataclass(frozen=True)
class RndReport:
    period_first: date
    period_last: date
    rows: int
    content: str
    made: bool  # False: the report of this period had already been made (the stored one is returned)

    def to_dict(self) -> dict[str, Any]:
        return {"period_first": self.period_first.isoformat(), "period_last": self.period_last.isoformat(),
                "rows": self.rows, "made": self.made}


def _us_brands(app: Simexit) -> set[str]:
    return {c for c in app.policies if app.policy(c).brand.jurisdiction == "US"}


def _tz(app: Simexit) -> str:
    us = sorted(_us_brands(app))
    return app.policy(us[0]).brand.time_zone if us else DEFAULT_TZ


def rnd_report_file(rows: list[tuple[str, date]]) -> str:
    out = []
    for number, day in sorted(rows, key=lambda r: (r[1], r[0])):
        digits = number[2:] if number.startswith("+1") else None
        if digits is None or len(digits) != 10:
            continue  # the RND takes NANP geographic numbers only
        out.append(f"{digits},{day:%Y%m%d}")
    return "".join(line + "\n" for line in out)


def _period(conn: Connection, today: date) -> tuple[date, date] | None:
    month = rnd_report_month(today)
    if month is None:
        return None
    first, last = month
    previous = numbers_repo.last_rnd_report(conn)
    if previous is not None and previous["period_last"] >= first:
        first = previous["period_last"] + timedelta(days=1)
    return first, last


def make_report(app: Simexit, conn: Connection, today: date, made_by: str) -> RndReport | None:
    """In the caller's transaction: this month's report (stored), or the one already made; None before the
    11th (the period has not ended)."""
    month = rnd_report_month(today)
    if month is None:
        return None
    existing = numbers_repo.rnd_report_ending(conn, month[1])
    if existing is not None:
        return RndReport(existing["period_first"], existing["period_last"], existing["rows"], existing["content"],
                         False)
    period = _period(conn, today)
    assert period is not None
    first, last = period
    us = _us_brands(app)
    rows = [(r.msisdn, r.disconnected_on) for r in numbers_repo.holdings_disconnected_between(conn, first, last)
            if r.code in us]
    content = rnd_report_file(rows)
    n = content.count("\n")
    numbers_repo.add_rnd_report(conn, dict(period_first=first, period_last=last, rows=n, content=content,
                                           made_at=app.clock.now(), made_by=made_by))
    return RndReport(first, last, n, content, True)


def report(app: Simexit, caller: Caller, today: date | None = None) -> RndReport | None:
    """``simexit rnd report``: simexit's operators."""
    require_system(caller)
    day = today or app.clock.now().astimezone(ZoneInfo(_tz(app))).date()
    with app.db.write() as conn:
        return make_report(app, conn, day, "cli")


def next_run(app: Simexit, now: datetime) -> datetime:
    """The 11th of the next month at 01:00 (local time of the US brands), or of this month if still ahead."""
    tz = ZoneInfo(_tz(app))
    local = now.astimezone(tz)
    at = datetime.combine(local.date().replace(day=11), time(1), tzinfo=tz)
    if at <= now:
        at = datetime.combine((local.date().replace(day=28) + timedelta(days=4)).replace(day=11), time(1), tzinfo=tz)
    return at


def timer(app: Simexit, conn: Connection, t: Mapping[str, Any], now: datetime) -> datetime | None:
    """The ``rnd_report`` timer: make the month's report, then wait for the next month's."""
    make_report(app, conn, now.astimezone(ZoneInfo(_tz(app))).date(), "timer")
    return next_run(app, now)
