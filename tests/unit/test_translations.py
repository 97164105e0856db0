"""Every message of the portal and the console is translated, and the compiled catalogs are current."""

from __future__ import annotations

import re

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from simexit.web.i18n import TRANSLATIONS_DIR


@pytest.mark.parametrize("locale", ["zh_CN", "de"])
def test_every_message_has_a_translation_and_the_mo_matches(locale):
    po_path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    with open(TRANSLATIONS_DIR / "messages.pot", "rb") as a, open(po_path, "rb") as b, \
            open(po_path.with_suffix(".mo"), "rb") as c:
        pot, po, mo = read_po(a), read_po(b, locale=locale), read_mo(c)
    for m in pot:
        if not m.id:
            continue
        tr = po.get(m.id)
        assert tr is not None and not tr.fuzzy and all(tr.string if isinstance(tr.string, tuple) else [tr.string]), m.id
        compiled = mo.get(m.id)
        assert compiled is not None, f"run scripts/translations: {m.id}"
        plural = isinstance(tr.string, tuple)
        assert (tuple(compiled.string) if plural else compiled.string) == tr.string, f"run scripts/translations: {m.id}"


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.mark.parametrize("locale", ["zh_CN", "de"])
def test_translations_keep_every_placeholder(locale):
    with open(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        po = read_po(fh, locale=locale)
    for m in po:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set(_PLACEHOLDER.findall(ids[-1]))
        for s in strings:
            assert set(_PLACEHOLDER.findall(s)) == wanted, (locale, m.id, s)
