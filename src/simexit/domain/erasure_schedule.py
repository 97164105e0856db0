"""When each record set of a closed line or customer is erased, by the brand policy (pure rules).

- ``line_data`` (usage records, devices, bindings, eSIM profiles, IMSI of one closed line) and ``personal``
  (contact details, free text, everything not kept by a law) go on the erasure date: the termination date +
  ``retention.erase_after_days``. The termination date is the number's one permanent-disconnect date
  (domain/number_afterlife.py) — for an end-of-day closure that runs just after midnight, the effective date
  the customer confirmed, not the day after — or, for lines closed before it was recorded, the local day of
  the closing in the brand's time zone.
- Each record set in ``retention.keep`` (real_name, billing, consent, application) is kept until the
  termination date + its own days, then erased too. Until then the ``personal`` stage leaves it alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from simexit.domain.policy import Policy

KEEPABLE = ("real_name", "billing", "consent", "application")


@dataclass(frozen=True)
class Stage:
    record_set: str
    due_on: date
    rule: str  # which policy rule: never personal data

    def due(self, today: date) -> bool:
        return today >= self.due_on


def local_date(policy: Policy, at: datetime | date) -> date:
    """The brand-local day of ``at``; a ``date`` is already one (a number's permanent-disconnect date)."""
    if not isinstance(at, datetime):
        return at
    return at.astimezone(ZoneInfo(policy.brand.time_zone)).date()


def _rule(policy: Policy, record_set: str) -> str:
    k = next((k for k in policy.retention.keep if k.record_set == record_set), None)
    if k is None:
        return f"{policy.code}: retention.erase_after_days={policy.retention.erase_after_days}"
    return f"{policy.code}: retention.keep.{record_set}={k.days} ({k.law})"[:200]


def line_stage(policy: Policy, closed_at: datetime | date) -> Stage:
    due = local_date(policy, closed_at) + timedelta(days=policy.retention.erase_after_days)
    return Stage("line_data", due, _rule(policy, "line_data"))


def customer_stages(policy: Policy, terminated_at: datetime | date) -> list[Stage]:
    """The ``personal`` stage and one stage per kept record set (never earlier than ``personal``)."""
    end = local_date(policy, terminated_at)
    personal = end + timedelta(days=policy.retention.erase_after_days)
    stages = [Stage("personal", personal, _rule(policy, "personal"))]
    for k in policy.retention.keep:
        stages.append(Stage(k.record_set, max(personal, end + timedelta(days=k.days)), _rule(policy, k.record_set)))
    return stages


def kept_until(policy: Policy, terminated_at: datetime | date, today: date) -> set[str]:
    """The record sets a law still keeps on ``today``."""
    return {s.record_set for s in customer_stages(policy, terminated_at)[1:] if not s.due(today)}
