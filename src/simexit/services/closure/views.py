"""What the doors receive from closure's commands and queries: frozen dataclasses with ``to_dict()`` (the JSON
the API answers and the CLI prints with ``--json``). A view reads like the dict it replaced (``view["status"]``),
so templates and scripts keep working.

Timeline notes depend on who reads them: what simexit itself wrote (an outside system's error, with its
identifiers) is internal. A customer sees a plain message in their language instead; staff see the note with
long numbers (IMSI, ICCID, phone numbers) masked; only simexit's own processes and operators see it whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from simexit.domain.consequences import required_consequences
from simexit.domain.eligibility import Finding, has_blocker
from simexit.domain.facts import LineFacts
from simexit.domain.families import required_choices
from simexit.domain.policy import Policy
from simexit.domain.quote import Quote


class View:
    """Dict-style reading of a frozen view (``view["status"]``, ``"status" in view``)."""

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every view defines its own
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.to_dict()

    def get(self, key: str, default: Any = None) -> Any:
        return self.to_dict().get(key, default)

    def keys(self) -> Any:
        return self.to_dict().keys()


# What a customer reads instead of an internal note, per timeline event. Events without an entry show no note.
PLAIN_NOTES: dict[str, dict[str, str]] = {
    "needs_attention": {
        "en": "We hit a technical problem while closing your line. Our team is on it; you need do nothing.",
        "zh-CN": "注销号码时遇到技术问题，我们正在处理，您无需任何操作。",
        "de": "Beim Abschalten Ihres Anschlusses gab es ein technisches Problem. Wir kümmern uns darum; Sie müssen "
              "nichts tun.",
    },
}
_LONG_NUMBER = re.compile(r"\d{6,}")


def mask_technical(note: str | None) -> str | None:
    """A technical note for staff: every run of 6 or more digits masked but its last 4."""
    if note is None:
        return None
    return _LONG_NUMBER.sub(lambda m: "•" * (len(m.group()) - 4) + m.group()[-4:], note)


def plain_note(event: str, locale: str | None) -> str | None:
    texts = PLAIN_NOTES.get(event)
    if texts is None:
        return None
    return texts.get(locale or "en") or texts["en"]


@dataclass(frozen=True)
class TimelineEntry(View):
    at: str
    event: str
    from_status: str | None
    to_status: str | None
    actor_type: str | None
    actor_id: str | None
    actor_role: str | None
    channel: str | None
    note: str | None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> TimelineEntry:
        return cls(**{f.name: row[f.name] for f in fields(cls)})

    @property
    def internal(self) -> bool:
        """Written by simexit itself (the worker, timers): may carry an outside system's error text."""
        return self.actor_type == "system"

    def for_customer(self, locale: str | None) -> TimelineEntry:
        return replace(self, note=plain_note(self.event, locale)) if self.internal else self

    def for_staff(self) -> TimelineEntry:
        return replace(self, note=mask_technical(self.note)) if self.internal else self

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class ApplicationView(View):
    """One application as its reader may see it (``fields`` in the order of the API's answer)."""

    application_no: str
    status: str
    brand: str
    msisdn: str
    kind: str
    channel: str
    staff_ref: str | None
    identity_method: str
    reason_code: str | None
    reason_text: str | None
    submitted_at: str
    review_due_at: str
    effective_date: str
    needs_person: bool
    decided_at: str | None
    decided_by: str | None
    rejection_reasons: tuple[dict[str, Any], ...]
    refund_method: str | None
    quote: Mapping[str, Any]
    findings: tuple[Mapping[str, Any], ...]
    batch_id: str | None
    timeline: tuple[TimelineEntry, ...]

    def for_customer(self, locale: str | None) -> ApplicationView:
        return replace(self, timeline=tuple(e.for_customer(locale) for e in self.timeline))

    def for_staff(self) -> ApplicationView:
        return replace(self, timeline=tuple(e.for_staff() for e in self.timeline))

    @property
    def execution_outcome(self) -> str | None:
        """Issue 17: ``partial`` when a part of a family closure could not be done (TMF622 productOrder state
        ``partial``), ``done`` when the closure completed whole, None before."""
        if any(e.event == "execution_partial" for e in self.timeline):
            return "partial"
        return "done" if self.status == "completed" else None

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["execution_outcome"] = self.execution_outcome
        out["rejection_reasons"] = list(self.rejection_reasons)
        out["findings"] = list(self.findings)
        out["timeline"] = [e.to_dict() for e in self.timeline]
        return out


@dataclass(frozen=True)
class StaffApplicationView(View):
    """An application as a member of staff sees it in the console: personal data masked, the identity
    evidence and the customer's masked facts added."""

    application: ApplicationView  # msisdn already masked
    overdue: bool
    identity_evidence: Mapping[str, Any]
    consequences_confirmed: tuple[str, ...]
    customer: Mapping[str, Any]
    line: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {**self.application.to_dict(), "overdue": self.overdue, "identity_evidence": self.identity_evidence,
                "consequences_confirmed": list(self.consequences_confirmed), "customer": dict(self.customer),
                "line": dict(self.line)}

    def __getattr__(self, name: str) -> Any:  # templates read view.timeline, view.status...
        d = self.to_dict()
        if name in d:
            return d[name]
        raise AttributeError(name)


@dataclass(frozen=True)
class StatusView(View):
    """The public status look-up's answer: seven fields, no timeline, no notes, no number."""

    application_no: str
    status: str
    brand: str
    submitted_at: str
    updated_at: str
    review_due_at: str
    effective_date: str

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class ApplyResult(View):
    application_no: str
    status: str
    replayed: bool  # True when an open application already existed and is returned again

    def to_dict(self) -> dict[str, Any]:
        return {"application_no": self.application_no, "status": self.status, "replayed": self.replayed}


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
            "family_choices_required": required_choices(f),  # issue 17: what the customer must choose
        }
