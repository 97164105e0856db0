"""Every message of the portal and the console is translated, and the compiled catalogs are current."""

from __future__ import annotations

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from simexit.web.i18n import TRANSLATIONS_DIR


def test_every_message_has_a_chinese_translation_and_the_mo_matches():
    po_path = TRANSLATIONS_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"
    with open(TRANSLATIONS_DIR / "messages.pot", "rb") as a, open(po_path, "rb") as b, \
            open(po_path.with_suffix(".mo"), "rb") as c:
        pot, po, mo = read_po(a), read_po(b, locale="zh_CN"), read_mo(c)
    for m in pot:
        if not m.id:
            continue
        tr = po.get(m.id)
        assert tr is not None and not tr.fuzzy and all(tr.string if isinstance(tr.string, tuple) else [tr.string]), m.id
        compiled = mo.get(m.id)
        assert compiled is not None, f"run scripts/translations: {m.id}"
        plural = isinstance(tr.string, tuple)
        assert (tuple(compiled.string) if plural else compiled.string) == tr.string, f"run scripts/translations: {m.id}"
