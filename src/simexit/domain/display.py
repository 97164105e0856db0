"""Showing money and dates to a person, in their locale (Babel). Pure: no I/O.

Amounts stay integers in minor units everywhere else; they become text only here.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.numbers import format_currency

from simexit.domain.money import MINOR_UNITS, check_currency

SUPPORTED_LOCALES = ("zh-CN", "en", "de")


def message_locale(locale: str | None) -> str:
    """The template locale for a customer's locale: zh-CN for any Chinese, de for any German, English otherwise."""
    tag = (locale or "").lower()
    if tag.startswith("zh"):
        return "zh-CN"
    if tag.startswith("de"):
        return "de"
    return "en"


def babel_locale(locale: str | None) -> str:
    return {"zh-CN": "zh_CN", "de": "de_DE"}.get(message_locale(locale), "en_US")


def money_texts(minor: int, currency: str) -> dict[str, str]:
    """The amount as each supported locale writes it (for rule texts built in every language)."""
    return {loc: format_money(minor, currency, loc) for loc in SUPPORTED_LOCALES}


def day_texts(value: date | str | None) -> dict[str, str]:
    return {loc: format_day(value, loc) for loc in SUPPORTED_LOCALES}


def format_money(minor: int, currency: str, locale: str | None) -> str:
    """``format_money(123450, "CNY", "zh-CN")`` → ``¥1,234.50``; exact, from integer minor units."""
    check_currency(currency)
    amount = Decimal(minor).scaleb(-MINOR_UNITS[currency])
    return format_currency(amount, currency, locale=babel_locale(locale))


def format_day(value: date | str | None, locale: str | None) -> str:
    if value is None or value == "":
        return ""
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return _format_date(d, "long", locale=babel_locale(locale))


def format_moment(value: datetime | str | None, locale: str | None, time_zone: str = "UTC") -> str:
    if value is None or value == "":
        return ""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return _format_datetime(dt, "medium", tzinfo=ZoneInfo(time_zone), locale=babel_locale(locale)) + (
        "" if time_zone == "UTC" else f" ({time_zone})")


def mask_account(value: str | None) -> str:
    """A payout destination (IBAN, account, wallet id) shown as its last 4 characters only."""
    s = "".join((value or "").split())
    if len(s) <= 4:
        return "*" * len(s)
    return "****" + s[-4:]
