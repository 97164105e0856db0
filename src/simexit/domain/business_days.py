"""Business days of a jurisdiction: the ``holidays`` calendar (China's adjusted working days,
调休, included) corrected by an overrides table that operations staff maintain.

A year for which China has published no adjusted-working-day schedule yet is only estimated by
``holidays``; counting business days in such a year emits ``CalendarNotPublished`` (a warning),
so that the operator adds overrides or updates the package.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from simexit.domain.errors import InvalidInput


class CalendarNotPublished(UserWarning):
    """The official calendar for a year is not published yet; business days are estimates."""


@lru_cache(maxsize=64)
def _calendar(country: str, subdiv: str | None) -> holidays.HolidayBase:
    try:
        return holidays.country_holidays(country, subdiv=subdiv)
    except NotImplementedError:
        raise InvalidInput("JURISDICTION_UNKNOWN", f"no holiday calendar for {country!r}/{subdiv!r}") from None


@lru_cache(maxsize=256)
def _cn_schedule_published(year: int) -> bool:
    cal = holidays.country_holidays("CN", years=year)
    return any(d.year == year for d in getattr(cal, "weekend_workdays", ()))


@dataclass(frozen=True)
class BusinessCalendar:
    country: str
    subdiv: str | None = None
    overrides: Mapping[date, bool] = field(default_factory=dict)

    def _check_year(self, year: int) -> None:
        if (self.country == "CN" and not _cn_schedule_published(year)
                and not any(d.year == year for d in self.overrides)):
            warnings.warn(
                f"China's adjusted working days (调休) for {year} are not published in the calendar; "
                "business days in that year are estimates until overrides are added",
                CalendarNotPublished,
                stacklevel=3,
            )

    def estimated_years(self, first: date, last: date) -> tuple[int, ...]:
        """The years from ``first`` to ``last`` whose official calendar is not published (no overrides either):
        business days there are estimates (shown as a warning in the pre-check, the API and the portal)."""
        if self.country != "CN":
            return ()
        return tuple(y for y in range(first.year, last.year + 1)
                     if not _cn_schedule_published(y) and not any(d.year == y for d in self.overrides))

    def is_business_day(self, d: date) -> bool:
        if d in self.overrides:
            return self.overrides[d]
        return _calendar(self.country, self.subdiv).is_working_day(d)

    def add_business_days(self, start: date, n: int) -> date:
        """The n-th business day after ``start`` (n ≥ 0; n = 0 gives start if it is one, else the next)."""
        if n < 0:
            raise InvalidInput("BUSINESS_DAYS_NEGATIVE", "business days to add must be ≥ 0")
        self._check_year(start.year)
        d = start
        if n == 0:
            while not self.is_business_day(d):
                d += timedelta(days=1)
            return d
        counted = 0
        while counted < n:
            d += timedelta(days=1)
            if d.year != start.year:
                self._check_year(d.year)
            if self.is_business_day(d):
                counted += 1
        return d

    def count_business_days(self, start: date, end: date) -> int:
        """Business days in (start, end]."""
        count, d = 0, start
        while d < end:
            d += timedelta(days=1)
            if self.is_business_day(d):
                count += 1
        return count


def due_at(calendar: BusinessCalendar, submitted: datetime, n: int, tz: str) -> datetime:
    """End (23:59:59 local) of the n-th business day after the submission day, as UTC."""
    if submitted.tzinfo is None:
        raise InvalidInput("TIMESTAMP_NAIVE", "timestamps must carry a time zone")
    zone = ZoneInfo(tz)
    local_day = submitted.astimezone(zone).date()
    day = calendar.add_business_days(local_day, n)
    return datetime.combine(day, time(23, 59, 59), zone).astimezone(UTC)
