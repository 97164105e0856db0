"""A number's life after its closure (pure rules, no I/O): its one permanent-disconnect date, from which every
later date counts, and the states it goes through.

- **The permanent-disconnect date** is fixed once, when the line is closed: the later of the quoted effective
  date and the brand-local day the closure was decided. A closure at the end of a day (chosen date, end of the
  billing period) runs just after local midnight but still belongs to the effective date; a person who
  approves after the quoted effective date closes the line that day, and the dates count from it. The
  timeline, the relying-party notices, the RND export and query, the CAMARA check, the certificate and the
  erasure plan all read this one date.
- **States** (``numbers.quarantine_days`` of the brand policy, ``-1`` = never reissued)::

      assigned ─closure─▶ quarantined ─quarantine end─▶ available          (a number of our own range)
                          quarantined (never ends)                          (quarantine_days = -1)
      assigned ─closure─▶ returning ──quarantine end──▶ returned           (ported in: back to its range holder)

  A ported-in number is never reissued here; its range holder gets a notice when it is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

NEVER = -1
STATES = ("quarantined", "available", "returning", "returned")


def local_day(at: datetime, time_zone: str) -> date:
    return at.astimezone(ZoneInfo(time_zone)).date()


def permanent_disconnect_date(effective_date: date, decided_at: datetime | None, time_zone: str) -> date:
    """The one disconnect date of a closure: the effective date, or the day of a later decision."""
    if decided_at is None:
        return effective_date
    return max(effective_date, local_day(decided_at, time_zone))


def quarantine_end(disconnected_on: date, quarantine_days: int) -> date | None:
    """The first day the number may be reissued (or returned), ``None`` for a quarantine that never ends."""
    if quarantine_days == NEVER:
        return None
    return disconnected_on + timedelta(days=quarantine_days)


def state_after_closure(ported_in_from: str | None) -> str:
    return "returning" if ported_in_from else "quarantined"


def state_after_quarantine(ported_in_from: str | None) -> str:
    return "returned" if ported_in_from else "available"


@dataclass(frozen=True, slots=True)
class AfterlifeDates:
    """Every date after the closure, from the one disconnect date."""

    disconnected_on: date
    quarantine_until: date | None  # None: never reissued
    erasure_on: date

    def to_dict(self) -> dict[str, str | None]:
        return {"disconnected_on": self.disconnected_on.isoformat(),
                "quarantine_until": self.quarantine_until.isoformat() if self.quarantine_until else None,
                "erasure_on": self.erasure_on.isoformat()}


def afterlife_dates(disconnected_on: date, quarantine_days: int, erase_after_days: int) -> AfterlifeDates:
    return AfterlifeDates(disconnected_on, quarantine_end(disconnected_on, quarantine_days),
                          disconnected_on + timedelta(days=erase_after_days))


def held_on(held_from: date | None, disconnected_on: date | None, day: date) -> bool:
    """Whether a holding (from its first day to its disconnect date, inclusive) covers ``day``."""
    return (held_from is None or held_from <= day) and (disconnected_on is None or day <= disconnected_on)


def rnd_report_month(today: date) -> tuple[date, date] | None:
    """The FCC RND monthly report due by the 15th of ``today``'s month: permanent disconnects from the 11th of
    the previous month through the 10th of this one, as (first day, last day); ``None`` before the 11th (the
    period is not over yet). A report is due once per month (JURISDICTIONS.md: on the 15th, through the 10th)."""
    if today.day <= 10:
        return None
    last = today.replace(day=10)
    prev_month_end = today.replace(day=1) - timedelta(days=1)
    first = prev_month_end.replace(day=11)
    return first, last
