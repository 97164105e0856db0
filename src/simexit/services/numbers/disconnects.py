"""Permanent disconnects, reassigned-numbers style (FCC RND): the monthly export of each number's permanent
disconnect date, and the query "was this number permanently disconnected on or after DATE?".

A line's disconnect date is the day of ``lines.closed_at`` in its brand's time zone. Lines are the record:
a number with no line here (never ours, or its records removed) answers ``no_data``.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from simexit.domain.errors import InvalidInput
from simexit.domain.identifiers import normalize_msisdn
from simexit.services.context import Simexit
from simexit.store import numbers_repo

Answer = Literal["yes", "no", "no_data"]
RND_COLUMNS = ("number", "permanent_disconnect_date")


def parse_month(value: str) -> tuple[date, date]:
    """``"2026-11"`` → (first day, first day of the next month)."""
    try:
        first = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise InvalidInput("MONTH_INVALID", f"a month is YYYY-MM, not {value!r}") from None
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, nxt


def _local_day(app: Simexit, brand_code: str, at: datetime) -> date:
    return at.astimezone(ZoneInfo(app.policy(brand_code).brand.time_zone)).date()


def permanent_disconnects(app: Simexit, month: str) -> list[dict[str, Any]]:
    """Every number whose line was closed in ``month`` (brand-local dates), ordered by date then number."""
    first, nxt = parse_month(month)
    # a day of margin on each side covers every time zone; the exact filter is on the local date below
    lo = datetime.combine(first - timedelta(days=1), time(0), tzinfo=UTC)
    hi = datetime.combine(nxt + timedelta(days=1), time(0), tzinfo=UTC)
    with app.db.read() as conn:
        rows = numbers_repo.closed_lines_between(conn, lo, hi)
    out = []
    for r in rows:
        day = _local_day(app, r.code, r.closed_at)
        if first <= day < nxt:
            out.append({"number": r.msisdn, "permanent_disconnect_date": day.isoformat(), "brand": r.code})
    return sorted(out, key=lambda x: (x["permanent_disconnect_date"], x["number"]))


def rnd_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=RND_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()

def was_disconnected(app: Simexit, msisdn: str, since: date) -> Answer:
    """``yes``: permanently disconnected on or after ``since``; ``no``: held without a disconnect since then;
    ``no_data``: not a number we have records of for that whole period."""
    number = normalize_msisdn(msisdn)
    with app.db.read() as conn:
        line = numbers_repo.line_of_number(conn, number)
    if line is None:  # never ours, or its records were already removed
        return "no_data"
    if line.status == "closed" and line.closed_at is not None:
        return "yes" if _local_day(app, line.code, line.closed_at) >= since else "no"
    if line.activated_at is not None and _local_day(app, line.code, line.activated_at) > since:
        return "no_data"  # the current holder got it after `since`; what happened before is not in our records
    return "no"
