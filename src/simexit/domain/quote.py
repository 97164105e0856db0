"""The cancellation quote: every amount and date the customer is told before confirming.

All amounts are integers in the brand currency's minor units; all dates are in the brand's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from simexit.domain.business_days import BusinessCalendar, due_at
from simexit.domain.errors import InvalidInput
from simexit.domain.facts import LineFacts
from simexit.domain.money import prorate_rounded
from simexit.domain.policy import Policy


@dataclass(frozen=True, slots=True)
class KeptRecord:
    record_set: str
    until: date
    law: str


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    balance_minor: int
    outstanding_minor: int
    early_termination_fee_minor: int
    cancellation_fee_minor: int
    refund_fee_minor: int
    refund_minor: int  # what will be paid out
    refund_below_minimum_minor: int  # credit left that is under the brand's payout minimum
    amount_due_minor: int  # what the customer still owes after the balance is used
    effective_date: date
    review_due_at: datetime
    refund_by: date
    refund_request_deadline: date
    erasure_date: date
    number_release_date: date | None  # None: the brand never reissues a closed number (quarantine_days = -1)
    kept_records: tuple[KeptRecord, ...]
    # how a prorated early-termination fee was counted (fees.prorate_basis / prorate_rounding), else None
    early_termination_basis: str | None = None
    # years whose official business-day calendar is not published (China's 调休): dates in them are estimates
    calendar_estimated_years: tuple[int, ...] = ()
    # A family closure (issue 17, ``domain.families``): every part and the fees of the parts besides this line.
    parts: tuple = ()  # tuple[domain.families.QuotePart, ...]
    parts_fees_minor: int = 0

    def to_dict(self) -> dict[str, object]:
        # Field by field rather than dataclasses.asdict, whose deep copy cost more than the quote itself.
        d: dict[str, object] = {}
        for f in _QUOTE_FIELDS:
            v = getattr(self, f)
            d[f] = v.isoformat() if isinstance(v, datetime | date) else v
        d["calendar_estimated_years"] = list(self.calendar_estimated_years)
        d["kept_records"] = [
            {"record_set": k.record_set, "until": k.until.isoformat(), "law": k.law} for k in self.kept_records
        ]
        d["parts"] = [p.to_dict() for p in self.parts]
        return d


_QUOTE_FIELDS = tuple(f.name for f in fields(Quote))


def local_today(policy: Policy, now: datetime) -> date:
    return now.astimezone(ZoneInfo(policy.brand.time_zone)).date()


def effective_date(policy: Policy, now: datetime, requested: date | None) -> date:
    today = local_today(policy, now)
    c = policy.closure
    if c.effective == "end_of_billing_period":
        nxt = today.replace(day=c.billing_cycle_day)
        if nxt <= today:
            nxt = (nxt.replace(day=1) + timedelta(days=32)).replace(day=c.billing_cycle_day)
        earliest = nxt - timedelta(days=1)
    else:
        earliest = today
    if requested is None:
        return earliest
    if requested < earliest:
        raise InvalidInput("EFFECTIVE_DATE_TOO_EARLY", f"the earliest end date is {earliest.isoformat()}",
                           earliest=earliest.isoformat())
    latest = today + timedelta(days=c.max_notice_days)
    if requested > latest:
        raise InvalidInput("EFFECTIVE_DATE_TOO_LATE", f"the latest end date is {latest.isoformat()}",
                           latest=latest.isoformat())
    return requested


def early_termination_fee(facts: LineFacts, policy: Policy, effective: date) -> int:
    if facts.contract_end is None or facts.contract_end <= effective:
        return 0
    rule = policy.fees.early_termination
    if rule == "waived":
        return 0
    if rule == "line_fee" or facts.contract_start is None:
        return facts.early_termination_fee_minor
    fees = policy.fees
    if fees.prorate_basis == "months":
        whole, remaining = (_months(facts.contract_start, facts.contract_end),
                            _months(effective, facts.contract_end))
    else:
        whole = (facts.contract_end - facts.contract_start).days
        remaining = (facts.contract_end - effective).days
    return prorate_rounded(facts.early_termination_fee_minor, remaining, whole, fees.prorate_rounding)


def _months(start: date, end: date) -> int:
    """Months from ``start`` to ``end``, a month begun counting whole."""
    n = (end.year - start.year) * 12 + end.month - start.month
    return n + (1 if end.day > start.day else 0)


def etf_basis(facts: LineFacts, policy: Policy) -> str | None:
    """What the quote says about a prorated fee: ``prorated:<basis>:<rounding>``."""
    if policy.fees.early_termination != "prorated" or facts.contract_start is None:
        return None
    return f"prorated:{policy.fees.prorate_basis}:{policy.fees.prorate_rounding}"


def compute_quote(facts: LineFacts, policy: Policy, now: datetime, calendar: BusinessCalendar,
                  requested_effective: date | None = None) -> Quote:
    if facts.currency != policy.brand.currency:
        raise InvalidInput("CURRENCY_MISMATCH", f"account in {facts.currency}, brand in {policy.brand.currency}")
    eff = effective_date(policy, now, requested_effective)
    review = due_at(calendar, now, policy.review.sla_business_days, policy.brand.time_zone)
    refund_by = calendar.add_business_days(eff, policy.refund.payout_business_days)
    outstanding = sum(b.amount_minor for b in facts.unpaid_bills)
    etf = early_termination_fee(facts, policy, eff)
    fee = policy.fees.cancellation_fee_minor
    balance = max(0, facts.balance_minor)
    net = balance - outstanding - etf - fee
    refund_fee = refund = below_min = amount_due = 0
    if net > 0:
        refund_fee = min(policy.refund.fee_minor, net)
        payable = net - refund_fee
        if payable < policy.refund.minimum_minor:
            below_min = payable
        else:
            refund = payable
    else:
        amount_due = -net
    # A negative ledger balance is a debt too.
    amount_due += max(0, -facts.balance_minor)
    keep = tuple(
        KeptRecord(k.record_set, eff + timedelta(days=k.days), k.law) for k in policy.retention.keep
    )
    return Quote(
        currency=policy.brand.currency,
        balance_minor=facts.balance_minor,
        outstanding_minor=outstanding,
        early_termination_fee_minor=etf,
        cancellation_fee_minor=fee,
        refund_fee_minor=refund_fee,
        refund_minor=refund,
        refund_below_minimum_minor=below_min,
        amount_due_minor=amount_due,
        effective_date=eff,
        review_due_at=review,
        refund_by=refund_by,
        refund_request_deadline=eff + timedelta(days=policy.refund.request_window_days),
        erasure_date=eff + timedelta(days=policy.retention.erase_after_days),
        number_release_date=(None if policy.numbers.quarantine_days < 0
                             else eff + timedelta(days=policy.numbers.quarantine_days)),
        kept_records=keep,
        early_termination_basis=etf_basis(facts, policy) if etf else None,
        calendar_estimated_years=calendar.estimated_years(local_today(policy, now), max(review.date(), refund_by)),
    )
