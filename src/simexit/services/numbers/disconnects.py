"""Permanent disconnects, reassigned-numbers style (FCC RND): the monthly export of each number's permanent
disconnect date, and the query "was this number permanently disconnected on or after DATE?".

A number's disconnect date is the one permanent-disconnect date recorded when its line was closed
(``number_holdings``, domain/number_afterlife.py); for lines closed before that record existed, the day of
``lines.closed_at`` in the brand's time zone. The holdings and the lines are the record of who held the number
when: a number with neither (never ours, or its records removed) answers ``no_data``. The CAMARA Number
Recycling check (services/numbers/recycling.py) reads the same record.
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
        held = numbers_repo.holdings_disconnected_between(conn, first, nxt - timedelta(days=1))
        older = numbers_repo.closed_lines_without_holding(conn, lo, hi)
    out = [{"number": r.msisdn, "permanent_disconnect_date": r.disconnected_on.isoformat(), "brand": r.code}
           for r in held]
    for r in older:
        day = _local_day(app, r.code, r.closed_at)
        if first <= day < nxt:
            out.append({"number": r.msisdn, "permanent_disconnect_date": day.isoformat(), "brand": r.code})
    return sorted(out, key=lambda x: (x["permanent_disconnect_date"], x["number"]))


def record_of(app: Simexit, msisdn: str) -> list[tuple[date | None, date | None, str]]:
    """Who held the number when, as simexit knows it: (first day or None if unknown, disconnect date or None
    while held, how it ended: ``closure``, ``port_out`` or ``held``), oldest first. Empty: not a number simexit
    has records of."""
    with app.db.read() as conn:
        holdings = numbers_repo.holdings_of_number(conn, msisdn)
        line = numbers_repo.line_of_number(conn, msisdn)
        recorded = {h["line_id"] for h in holdings}
        line_id = numbers_repo.line_id_of_number(conn, msisdn) if line is not None else None
    out: list[tuple[date | None, date | None, str]] = [(h["held_from"], h["disconnected_on"], h["reason"])
                                                       for h in holdings]
    if line is not None and line_id not in recorded:
        start = _local_day(app, line.code, line.activated_at) if line.activated_at else None
        end = _local_day(app, line.code, line.closed_at) if line.status == "closed" and line.closed_at else None
        out.append((start, end, "closure" if end else "held"))
    return sorted(out, key=lambda h: (h[0] or date.min, h[1] or date.max))


def rnd_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=RND_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()

def was_disconnected(app: Simexit, msisdn: str, since: date) -> Answer:
    """``yes``: permanently disconnected on or after ``since``; ``no``: held without a disconnect since then;
    ``no_data``: not a number we have records of for that whole period."""
    record = record_of(app, normalize_msisdn(msisdn))
    if not record:  # never ours, or its records were already removed
        return "no_data"
    if any(end is not None and end >= since and how == "closure" for _, end, how in record):
        return "yes"
    first = record[0][0]
    if first is not None and first > since:
        return "no_data"  # the first holder we know got it after `since`; what happened before is not ours
    return "no"
