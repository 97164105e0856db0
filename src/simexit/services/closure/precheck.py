"""The eligibility pre-check with an exact quote, below the door (``queries.precheck`` checks the caller)."""

from __future__ import annotations

from datetime import date, datetime

from simexit.domain.access import Scope
from simexit.domain.eligibility import evaluate
from simexit.domain.errors import NotFound
from simexit.domain.identifiers import mask_msisdn, read_msisdn
from simexit.domain.quote import compute_quote
from simexit.services.closure.views import PrecheckResult
from simexit.services.context import Simexit
from simexit.store.database import Connection

__all__ = ["PrecheckResult", "phone_regions", "precheck", "precheck_in", "resolve_msisdn"]


def phone_regions(app: Simexit, brand: str | None = None) -> list[str]:
    """Where a number typed without +country is read: the brand's region when the brand is known, else every
    region of the operator's brands (in the policies' order)."""
    if brand and brand in app.policies:
        return [app.policy(brand).brand.phone_region]
    return list(dict.fromkeys(p.brand.phone_region for p in app.policies.values()))


def resolve_msisdn(app: Simexit, raw: str, brand: str | None = None) -> str:
    """E.164 of a typed number: a national number is read in ``phone_regions(app, brand)`` (MSISDN_AMBIGUOUS
    when two fit); a number of a country none of the brands serves is MSISDN_COUNTRY_NOT_SERVED."""
    return read_msisdn(raw, phone_regions(app, brand), served=phone_regions(app))


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
