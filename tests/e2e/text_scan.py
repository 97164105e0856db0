"""What a reader sees on a rendered page, and what must not be there: raw codes (ALL_CAPS_CODES, snake_case keys,
bare lowercase codes), message ids left untranslated, and English sentences on a zh-CN or de page.

Only what a person reads counts: text nodes and the ``title``, ``aria-label``, ``placeholder`` and ``alt``
attributes, outside ``<script>``/``<style>`` and outside elements marked as another language (``lang="de"`` on
the German cancellation button of a zh-CN page is the law, not a lapse)."""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser

from babel.messages.pofile import read_po

from simexit.web.i18n import TRANSLATIONS_DIR

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_READ_ATTRS = ("title", "aria-label", "placeholder", "alt")

RAW_CAPS = re.compile(r"\b[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+\b")
RAW_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
BARE_WORD = re.compile(r"^[a-z]{3,}$")  # a whole text that is one lowercase word: a code such as "completed"
# Words of English that are not also German (so "was", "an", "in", "so" are not here).
ENGLISH = {"the", "and", "your", "you", "of", "with", "this", "not", "be", "by", "for", "are", "will", "can",
           "has", "been", "please", "is", "to", "line", "closed", "refund", "application", "it", "we", "our",
           "or", "at", "no", "on", "from", "after", "before", "days", "number", "fee", "until", "cannot", "yet"}
ALLOWED_WORDS = {"simexit", "esim"}
# A word of Latin letters standing alone: not letters inside an identifier such as a digest "f67d3fee30be".
WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]+(?![A-Za-z0-9])")


class _Reader(HTMLParser):
    def __init__(self, page_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang = page_lang
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.texts: list[str] = []

    def _skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        other_lang = tag != "html" and a.get("lang") not in (None, self.page_lang)
        skip = tag in ("script", "style") or other_lang
        if not skip and not self._skipping():
            self.texts += [str(a[k]) for k in _READ_ATTRS if a.get(k)]
        if tag not in _VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skipping():
            self.texts.append(text)


def visible_texts(html: str, page_lang: str) -> list[str]:
    reader = _Reader(page_lang)
    reader.feed(html)
    reader.close()
    return reader.texts


@lru_cache(maxsize=4)
def untranslated_ids(locale: str) -> frozenset[str]:
    """The English message ids whose translation in ``locale`` differs from the id: seeing one is a lapse."""
    folder = {"zh-CN": "zh_CN", "de": "de"}[locale]
    with open(TRANSLATIONS_DIR / folder / "LC_MESSAGES" / "messages.po", "rb") as fh:
        po = read_po(fh, locale=folder)
    out = set()
    for m in po:
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for i in ids:
            if i and i not in strings:
                out.add(" ".join(i.split()))
    return frozenset(out)


def problems(html: str, locale: str, allowed: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Every text on the page that a reader in ``locale`` should not see, each with why."""
    page_lang = re.search(r'<html lang="([^"]+)"', html)
    found = []
    if page_lang is None or page_lang.group(1) != locale:
        found.append(f"page language is {page_lang.group(1) if page_lang else None}, not {locale}")
    ids = untranslated_ids(locale) if locale != "en" else frozenset()
    for text in visible_texts(html, locale):
        if text in allowed:
            continue
        for rx, why in ((RAW_CAPS, "raw code"), (RAW_SNAKE, "raw key")):
            found += [f"{why} {m!r} in {text!r}" for m in rx.findall(text) if m not in allowed]
        if BARE_WORD.match(text) and text not in ALLOWED_WORDS:
            found.append(f"bare code {text!r}")
        if locale == "en":
            continue
        if text in ids or any(len(i) >= 24 and i in text for i in ids):
            found.append(f"untranslated {text!r}")
            continue
        words = {w.lower() for w in WORD.findall(text)}
        if len(words & ENGLISH) >= 2:
            found.append(f"English {text!r}")
    return found
