"""Languages of the portal and the console: zh-CN, English and German through Babel's gettext catalogs.

The locale comes from the ``lang`` cookie (set by the language switch), else from Accept-Language,
else the page's brand's first locale (``rendering.render``), else English. It is held in a ContextVar for
the request, so templates and labels translate without a shared global.
Amounts, dates and times are formatted by Babel for that locale (domain.display: one format per locale).
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.support import NullTranslations, Translations
from starlette.requests import Request

from simexit.domain import display

LOCALES = ("zh-CN", "en", "de")
LOCALE_NAMES = {"zh-CN": "中文", "en": "English", "de": "Deutsch"}
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
current_locale: ContextVar[str] = ContextVar("current_locale", default="en")
# True when the visitor chose the language (cookie) or their browser asked for one we have; else a brand's
# page may use the brand's own first locale.
locale_chosen: ContextVar[bool] = ContextVar("locale_chosen", default=False)


def babel_locale(loc: str) -> str:
    return loc.replace("-", "_")


@lru_cache(maxsize=8)
def translations(loc: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [babel_locale(loc)])


def gettext(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


_ = gettext


def _match(tag: str) -> str | None:
    t = tag.strip().lower()
    if t.startswith("zh"):
        return "zh-CN"
    if t.startswith("en"):
        return "en"
    if t.startswith("de"):
        return "de"
    return None


def pick_locale(request: Request) -> str:
    return choose_locale(request)[0]


def choose_locale(request: Request) -> tuple[str, bool]:
    """(locale, whether the visitor chose it): the cookie, else the best Accept-Language match, else English."""
    cookie = request.cookies.get("lang")
    if cookie in LOCALES:
        return cookie, True
    ranked = []
    for i, part in enumerate((request.headers.get("accept-language") or "").split(",")):
        tag, _sep, q = part.partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        loc = _match(tag)
        if loc:
            ranked.append((-weight, i, loc))
    return (min(ranked)[2], True) if ranked else ("en", False)


def localized(texts: dict[str, str] | None) -> str:
    """Pick the current language from a ``{"en": ..., "zh-CN": ...}`` dict (rule texts in domain/)."""
    if not texts:
        return ""
    return texts.get(current_locale.get()) or texts.get("en") or next(iter(texts.values()))


def money(minor: int, currency: str) -> str:
    """One way per locale to write an amount: the same as rule texts, messages and the certificate."""
    return display.format_money(int(minor), currency, current_locale.get())


def day(value: date | str | None) -> str:
    if value is None or value == "":
        return ""
    d = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return display.format_day(d, current_locale.get())


def moment(value: datetime | str | None, time_zone: str = "UTC") -> str:
    """Date and time in the brand's time zone, with the zone named."""
    if value is None:
        return ""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    loc = display.babel_locale(current_locale.get())
    return format_datetime(dt, "medium", tzinfo=ZoneInfo(time_zone), locale=loc) + " " + \
        dt.astimezone(ZoneInfo(time_zone)).strftime("%Z")
