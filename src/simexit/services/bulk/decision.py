"""One line of a bulk closure: its new application and timeline events, or why not — decided in memory by the
same rules as a single application (quote, eligibility, consequences, identity, refund)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from simexit.domain import intake
from simexit.domain.application_number import new_application_number
from simexit.domain.business_days import BusinessCalendar
from simexit.domain.eligibility import evaluate
from simexit.domain.facts import LineFacts
from simexit.domain.families import check_choices, with_parts
from simexit.domain.identity import IdentityMethod
from simexit.domain.policy import Policy
from simexit.domain.quote import compute_quote
from simexit.domain.state_machine import ActorType
from simexit.services.bulk.input import BulkRow
from simexit.services.context import Simexit
from simexit.store.database import Connection


@dataclass
class BulkOptions:
    """What holds for every row of a batch: who takes the applications, how identity was checked, what was
    confirmed (``confirm=None``: every consequence shown), and how refunds are paid."""

    channel: str
    identity_method: str
    staff_ref: str | None = None
    staff_role: str | None = None
    confirm: list[str] | None = None
    refund_method: str | None = None
    refund_destination: dict[str, str] | None = None
    brands: list[str] | None = None  # staff's brands: a line of another brand is refused as not found

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        if out["brands"] is None:
            del out["brands"]  # batches started before brand scoping keep their options
        return out

    def permits(self, brand: str) -> bool:
        return self.brands is None or "*" in self.brands or brand in self.brands


class _RememberingCalendar:
    """A brand's business calendar for one run, remembering its answers: in a batch most lines ask the same
    question (the n-th business day after today, after the same end date)."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self._calendar = calendar
        self._added: dict[tuple[date, int], date] = {}

    def add_business_days(self, start: date, n: int) -> date:
        key = (start, n)
        if key not in self._added:
            self._added[key] = self._calendar.add_business_days(start, n)
        return self._added[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._calendar, name)


def remembering_calendar(app: Simexit, conn: Connection, policy: Policy, cache: dict[str, Any]) -> BusinessCalendar:
    code = policy.brand.code
    if code not in cache:
        cache[code] = _RememberingCalendar(app.calendar(conn, policy))
    return cache[code]


def decide(app: Simexit, conn: Connection, batch_id: str, opts: BulkOptions, method: IdentityMethod,
           row: BulkRow, f: LineFacts, now: datetime, calendars: dict[str, BusinessCalendar]
           ) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """The new application of one line with its events, or a DomainError saying why not: the one intake
    decision of domain/intake.py, as for a single application (pure but for the calendar, read once per brand)."""
    policy = app.policy(f.brand)
    intake.check_channel(policy, opts.channel)
    quote = compute_quote(f, policy, now, remembering_calendar(app, conn, policy, calendars), row.effective_date)
    if not f.family.empty:  # issue 17: a batch cannot choose for a family's other parts (FAMILY_CHOICE_REQUIRED)
        quote = with_parts(quote, f, policy, check_choices(f, None))
    findings = evaluate(f, policy, quote, now)
    refund_method = opts.refund_method
    if refund_method is None and quote.refund_minor > 0:
        refund_method = intake.default_refund_method(policy)
    data: dict[str, Any] = {"batch_id": batch_id, "row": row.row_no}
    if row.reason_code:
        data["reason_code"] = row.reason_code
    decision = intake.decide(f, policy, quote, findings, intake.Intake(
        channel=opts.channel, identity_method=method,
        actor_type=ActorType.STAFF if opts.staff_ref else ActorType.CUSTOMER,
        actor_id=opts.staff_ref or f"customer:{f.customer_id}", actor_role=opts.staff_role,
        confirmed=opts.confirm,  # None: the batch confirmed every consequence shown
        refund_method=refund_method, refund_destination=opts.refund_destination, reason_code=row.reason_code,
        reason_text=row.note, requested_effective_date=row.effective_date, staff_ref=opts.staff_ref,
        submitted_data=data), now)
    app_row = decision.row(application_no=new_application_number(), brand_id=app.brand_id(f.brand),
                           identity_evidence={"method": method.value, "recorded_via": "bulk", "batch_id": batch_id},
                           batch_id=batch_id)
    return app_row, list(decision.events), decision.status.value
