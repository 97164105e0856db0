"""Use case: the eligibility pre-check with an exact quote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from simexit.domain.access import Scope
from simexit.domain.consequences import required_consequences
from simexit.domain.eligibility import Finding, evaluate, has_blocker
from simexit.domain.errors import NotFound
from simexit.domain.facts import LineFacts
from simexit.domain.identifiers import mask_msisdn, normalize_msisdn
from simexit.domain.policy import Policy
from simexit.domain.quote import Quote, compute_quote
from simexit.services.context import Simexit


@dataclass(frozen=True)
class PrecheckResult:
    facts: LineFacts
    policy: Policy
    findings: list[Finding]
    quote: Quote
    checked_at: datetime

    @property
    def eligible(self) -> bool:
        return not has_blocker(self.findings)

    def to_dict(self) -> dict[str, Any]:
        f = self.facts
        return {
            "msisdn": f.msisdn, "brand": f.brand, "kind": f.kind, "payment": f.payment, "status": f.status,
            "eligible": self.eligible, "checked_at": self.checked_at.isoformat(),
            "findings": [x.to_dict() for x in self.findings],
            "quote": self.quote.to_dict(),
            "consequences": required_consequences(self.quote),
            "refund_methods": list(self.policy.refund.methods),
            "channels": list(self.policy.brand.channels),
        }


def resolve_msisdn(app: Simexit, raw: str) -> str:
    """E.164 of a typed number; numbers without +country are read in the first brand's region."""
    region = next(iter(app.policies.values())).brand.phone_region if not raw.strip().startswith("+") else None
    return normalize_msisdn(raw, region)


def precheck_in(app: Simexit, conn: Connection, msisdn: str, *, now: datetime,
                requested_effective: date | None = None) -> PrecheckResult:
    facts = app.facts_source(conn).line_facts(msisdn)
    policy = app.policy(facts.brand)
    quote = compute_quote(facts, policy, now, app.calendar(conn, policy), requested_effective)
    return PrecheckResult(facts, policy, evaluate(facts, policy, quote, now), quote, now)


def precheck(app: Simexit, msisdn: str, requested_effective: date | None = None, *,
             scope: Scope | None = None) -> PrecheckResult:
    number = resolve_msisdn(app, msisdn)
    with app.db.lookup() as conn:
        result = precheck_in(app, conn, number, now=app.clock.now(), requested_effective=requested_effective)
    if scope is not None and not scope.permits(brand=result.facts.brand, customer_id=result.facts.customer_id):
        raise NotFound("LINE_NOT_FOUND", f"no line with number {mask_msisdn(number)}")
    return result
