"""A phone number typed on a page, as understood: a number without +country is read in the page's brand's region
(else in the regions of every brand); before anything is sent, the page shows the reading — or the readings, when
two countries fit — for the person to confirm. A number of a country no brand serves is refused with an example
of the form expected."""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale

from simexit.domain.errors import DomainError
from simexit.domain.identifiers import display_msisdn, example_number, region_of
from simexit.services.access.caller import Public
from simexit.services.closure import queries
from simexit.services.closure.precheck import phone_regions
from simexit.services.context import Simexit
from simexit.web import i18n
from simexit.web.i18n import _


@dataclass(frozen=True)
class Reading:
    e164: str
    shown: str  # +49 151 12340000
    country: str  # Germany / 德国 / Deutschland


@dataclass(frozen=True)
class PhoneCheck:
    number: str | None = None  # E.164, ready to use
    readings: tuple[Reading, ...] = ()  # to confirm first
    error: str | None = None


def country_name(region: str | None) -> str:
    if not region:
        return ""
    try:
        return Locale.parse(i18n.babel_locale(i18n.current_locale.get())).territories.get(region, region)
    except (ValueError, TypeError):
        return region


def reading(e164: str) -> Reading:
    return Reading(e164, display_msisdn(e164), country_name(region_of(e164)))


def check(app: Simexit, raw: str, brand: str | None, chosen: str | None = None,
          client_address: str = "") -> PhoneCheck:
    """The number to use, or the readings to confirm, or what is wrong (in the page's language)."""
    typed = (raw or "").strip()
    international = typed.startswith(("+", "00"))
    try:
        readings = [queries.read_number(app, Public(client_address), typed, brand)]
    except DomainError as e:
        if e.code == "MSISDN_AMBIGUOUS":
            readings = list(e.data.get("readings", []))
        elif e.code.startswith("MSISDN"):
            return PhoneCheck(error=_error(app, e.code, brand))
        else:
            raise
    if international or (chosen and chosen in readings):
        return PhoneCheck(number=chosen if chosen in readings else readings[0])
    return PhoneCheck(readings=tuple(reading(r) for r in readings))


def _error(app: Simexit, code: str, brand: str | None) -> str:
    regions = phone_regions(app, brand)
    examples = "; ".join(f"{country_name(r)}: {example_number(r)}" for r in regions)
    if code == "MSISDN_COUNTRY_NOT_SERVED":
        served = ", ".join(country_name(r) for r in phone_regions(app))
        return _("We only close lines with numbers from %(countries)s. Please type the number like this: "
                 "%(examples)s") % {"countries": served, "examples": examples}
    return _("That is not a phone number we can read. Please type it like this: %(examples)s") % {
        "examples": examples}
