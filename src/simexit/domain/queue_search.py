"""What a member of staff typed into the review queue's search box: an application number, a line number as the
queue shows it (masked, ``+86139****0042``, or just its last digits), or part of the customer's name. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from simexit.domain.application_number import normalize_application_number

MASKS = "*•·xX＊"
_MASKED = re.compile(rf"^(\+?\d*)[{re.escape(MASKS)}]+(\d+)$")
_DIGITS = re.compile(r"^\+?\d{3,16}$")
MAX_LENGTH = 80


@dataclass(frozen=True)
class QueueSearch:
    """One search: ``application_no`` (canonical), or ``msisdn_head``/``msisdn_tail`` (a masked number; the head
    may be empty), or ``name`` (a part of the customer's name, case-insensitive)."""

    application_no: str | None = None
    msisdn_head: str | None = None
    msisdn_tail: str | None = None
    name: str | None = None

    def to_codes(self) -> dict[str, str]:
        """What kind of search it was, for the audit log (no personal data)."""
        kind = ("application_no" if self.application_no else "msisdn" if self.msisdn_tail is not None
                else "name" if self.name else "none")
        return {"search": kind}


def parse(text: str | None) -> QueueSearch | None:
    """The search meant by ``text`` (spaces and dashes inside numbers forgiven); None for an empty box."""
    raw = " ".join((text or "").split())[:MAX_LENGTH]
    if not raw:
        return None
    number = normalize_application_number(raw)
    if number is not None:
        return QueueSearch(application_no=number)
    compact = re.sub(r"[\s\-()]", "", raw)
    m = _MASKED.match(compact)
    if m:
        return QueueSearch(msisdn_head=m.group(1), msisdn_tail=m.group(2))
    if _DIGITS.match(compact):
        if compact.startswith("+"):
            return QueueSearch(msisdn_head=compact, msisdn_tail="")  # a whole number in international form
        # the last digits, as on a receipt, or a national number (its trunk 0 dropped): the number's end
        return QueueSearch(msisdn_head="", msisdn_tail=compact.lstrip("0") if len(compact) > 8 else compact)
    return QueueSearch(name=raw)
