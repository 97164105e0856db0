"""Families of lines in the rules (issue 17): what the pre-check shows about a main line's secondary lines (副卡),
a bundle's other products (融合套餐) with the equipment to return, and shared data groups; the customer's
choices; and the quote's parts — one application, one quote for every part, executed part by part.

Pure rules, no I/O. ``family_findings`` is called by ``domain.eligibility.evaluate``; ``check_choices`` and
``with_parts`` by the pre-check (``services.closure.precheck``) once the customer has chosen.

Choices (``FamilyChoices``):
- each secondary line: ``"close"`` (closed too) or the MSISDN of another main line of the customer to move to;
- a bundle: ``"whole"`` (every product of the bundle ends, its equipment is returned) or ``"mobile_only"``
  (only this mobile line ends; the bundle's other products stay).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from simexit.domain.errors import InvalidInput
from simexit.domain.facts import Equipment, LineFacts
from simexit.domain.money import Money
from simexit.domain.policy import Policy, Severity

BUNDLE_CHOICES = ("whole", "mobile_only")
CLOSE = "close"


@dataclass(frozen=True, slots=True)
class FamilyChoices:
    secondary: Mapping[str, str] = field(default_factory=dict)  # secondary MSISDN → "close" | main MSISDN
    bundle: str | None = None  # whole | mobile_only

    def to_dict(self) -> dict[str, Any]:
        return {"secondary": dict(self.secondary), "bundle": self.bundle}

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> FamilyChoices:
        data = data or {}
        sec = data.get("secondary") or {}
        if not isinstance(sec, Mapping):
            raise InvalidInput("FAMILY_CHOICE_INVALID", "secondary: a map of secondary line → 'close' or a main line")
        return cls({str(k): str(v) for k, v in sec.items()}, data.get("bundle") or None)


@dataclass(frozen=True, slots=True)
class FamilyFinding:
    code: str
    severity: Severity
    message: dict[str, str]
    fix: dict[str, str] | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QuotePart:
    """One part of a family closure: what happens to it, what it costs, what must be returned by when."""

    part: str  # line | secondary | bundle_product
    action: str  # close | move | keep | choose (no choice yet)
    name: str
    product_id: str | None = None
    msisdn: str | None = None
    move_to: str | None = None
    early_termination_fee_minor: int = 0
    equipment: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"part": self.part, "action": self.action, "name": self.name, "product_id": self.product_id,
                "msisdn": self.msisdn, "move_to": self.move_to,
                "early_termination_fee_minor": self.early_termination_fee_minor, "equipment": list(self.equipment)}


def _equipment(items: tuple[Equipment, ...], effective: date) -> tuple[dict[str, Any], ...]:
    return tuple({"equipment_id": e.equipment_id, "name": e.name, "serial": e.serial, "return_to": e.return_to,
                  "return_by": (effective + timedelta(days=e.return_within_days)).isoformat(),
                  "non_return_fee_minor": e.non_return_fee_minor} for e in items)


def required_choices(facts: LineFacts) -> dict[str, Any]:
    """What the customer must choose before applying (empty: nothing)."""
    fam = facts.family
    out: dict[str, Any] = {}
    if fam.secondary_lines:
        out["secondary"] = {s.msisdn: [CLOSE, *fam.other_main_lines] for s in fam.secondary_lines}
    if fam.bundle_products:
        out["bundle"] = list(BUNDLE_CHOICES)
    return out


def check_choices(facts: LineFacts, choices: FamilyChoices | None) -> FamilyChoices:
    """The choices, complete and possible for this line's family; else FAMILY_CHOICE_REQUIRED / _INVALID."""
    choices = choices or FamilyChoices()
    required = required_choices(facts)
    missing = [m for m in required.get("secondary", {}) if m not in choices.secondary]
    if "bundle" in required and choices.bundle is None:
        missing.append("bundle")
    if missing:
        raise InvalidInput("FAMILY_CHOICE_REQUIRED", "choose what happens to the other parts of the family: "
                           + ", ".join(missing), missing=missing, required=required)
    for msisdn, choice in choices.secondary.items():
        allowed = required.get("secondary", {}).get(msisdn)
        if allowed is None or choice not in allowed:
            raise InvalidInput("FAMILY_CHOICE_INVALID", f"{choice!r} is not a choice for secondary line {msisdn}",
                               line=msisdn, allowed=allowed or [])
    if choices.bundle is not None and choices.bundle not in required.get("bundle", ()):
        raise InvalidInput("FAMILY_CHOICE_INVALID", f"{choices.bundle!r} is not a choice for this line's bundle",
                           allowed=required.get("bundle", []))
    return choices


def parts(facts: LineFacts, effective: date, choices: FamilyChoices | None) -> tuple[QuotePart, ...]:
    """Every part of the closure, this line first; an unchosen part says ``choose``. No family: no parts."""
    fam = facts.family
    if fam.empty:
        return ()
    choices = choices or FamilyChoices()
    out = [QuotePart("line", "close", fam.bundle_name or facts.msisdn, fam.product_id, facts.msisdn,
                     early_termination_fee_minor=0, equipment=_equipment(fam.equipment, effective))]
    for s in fam.secondary_lines:
        choice = choices.secondary.get(s.msisdn)
        action = "choose" if choice is None else CLOSE if choice == CLOSE else "move"
        out.append(QuotePart("secondary", action, s.msisdn, s.product_id, s.msisdn,
                             move_to=choice if action == "move" else None))
    whole = choices.bundle == "whole"
    for p in fam.bundle_products:
        action = "choose" if choices.bundle is None else CLOSE if whole else "keep"
        out.append(QuotePart("bundle_product", action, p.name, p.product_id, p.msisdn,
                             early_termination_fee_minor=p.early_termination_fee_minor if whole else 0,
                             equipment=_equipment(p.equipment, effective) if whole else ()))
    return tuple(out)


def settle(balance_minor: int, charges_minor: int, policy: Policy) -> tuple[int, int, int, int]:
    """(refund fee, refund, below the payout minimum, amount due) of a balance after the charges — the rule of
    ``domain.quote.compute_quote``, applied again when the family's parts add charges."""
    net = max(0, balance_minor) - charges_minor
    if net <= 0:
        return 0, 0, 0, -net + max(0, -balance_minor)
    refund_fee = min(policy.refund.fee_minor, net)
    payable = net - refund_fee
    if payable < policy.refund.minimum_minor:
        return refund_fee, 0, payable, max(0, -balance_minor)
    return refund_fee, payable, 0, max(0, -balance_minor)


def family_findings(facts: LineFacts, effective: date, currency: str) -> list[FamilyFinding]:
    """The findings about the line's family, each with how to fix it (``domain.eligibility`` makes them
    ``Finding``s)."""
    fam = facts.family
    out: list[FamilyFinding] = []
    if fam.secondary_lines:
        nums = [s.msisdn for s in fam.secondary_lines]
        where = ", ".join(fam.other_main_lines)
        move_en = f"move it to another of your main lines ({where}) or " if fam.other_main_lines else ""
        move_zh = f"转到您的其他主卡（{where}），或" if fam.other_main_lines else ""
        move_de = f"auf eine andere Ihrer Hauptkarten ({where}) übertragen oder " if fam.other_main_lines else ""
        out.append(FamilyFinding(
            "SECONDARY_LINES", Severity.WARNING,
            {"en": f"{len(nums)} secondary line(s) depend on this main line: {', '.join(nums)}.",
             "zh-CN": f"该主卡下有{len(nums)}张副卡：{'、'.join(nums)}。",
             "de": f"{len(nums)} Zusatzkarte(n) hängen an dieser Hauptkarte: {', '.join(nums)}."},
            {"en": f"Choose for each secondary line: {move_en}close it too.",
             "zh-CN": f"请为每张副卡选择：{move_zh}一并注销。",
             "de": f"Wählen Sie für jede Zusatzkarte: {move_de}ebenfalls kündigen."},
            {"secondary_lines": nums, "move_to": list(fam.other_main_lines), "choice": "secondary"},
        ))
    if fam.main_msisdn:
        out.append(FamilyFinding(
            "SECONDARY_OF_MAIN", Severity.INFO,
            {"en": f"This is a secondary line of {fam.main_msisdn}; the main line stays open.",
             "zh-CN": f"该号码是{fam.main_msisdn}的副卡；主卡不受影响。",
             "de": f"Dies ist eine Zusatzkarte von {fam.main_msisdn}; die Hauptkarte bleibt bestehen."},
            None, {"main_msisdn": fam.main_msisdn},
        ))
    if fam.bundle_products:
        names = [p.name for p in fam.bundle_products]
        fee = Money(sum(p.early_termination_fee_minor for p in fam.bundle_products), currency)
        kit = [e for p in fam.bundle_products for e in _equipment(p.equipment, effective)]
        ret_en = "".join(f" Return the {e['name']} to {e['return_to']} by {e['return_by']}." for e in kit)
        ret_zh = "".join(f"请于{e['return_by']}前将{e['name']}交还至{e['return_to']}。" for e in kit)
        ret_de = "".join(f" Geben Sie {e['name']} bis {e['return_by']} zurück: {e['return_to']}." for e in kit)
        bundle = fam.bundle_name or fam.bundle_id or ""
        out.append(FamilyFinding(
            "BUNDLE_PRODUCTS", Severity.WARNING,
            {"en": f"This line is part of the bundle {bundle} with: {', '.join(names)}.",
             "zh-CN": f"该号码属于融合套餐{bundle}，套餐内还有：{'、'.join(names)}。",
             "de": f"Diese Karte gehört zum Paket {bundle} mit: {', '.join(names)}."},
            {"en": f"Choose: close the whole bundle (early-termination fees {fee.format()}).{ret_en} "
                   "Or close only the mobile line; the other products stay at their own price.",
             "zh-CN": f"请选择：注销整个融合套餐（提前解约费{fee.format()}）。{ret_zh}"
                      "或仅注销手机号码，其他产品保留并按单独资费计费。",
             "de": f"Wählen Sie: das ganze Paket kündigen (Gebühren {fee.format()}).{ret_de} "
                   "Oder nur die Mobilfunkkarte kündigen; die anderen Produkte bleiben zu ihrem eigenen Preis."},
            {"bundle_id": fam.bundle_id, "bundle_name": fam.bundle_name, "choice": "bundle",
             "products": [{"product_id": p.product_id, "kind": p.kind, "name": p.name,
                           "early_termination_fee_minor": p.early_termination_fee_minor} for p in fam.bundle_products],
             "equipment": kit, "currency": currency},
        ))
    if fam.equipment:
        kit = list(_equipment(fam.equipment, effective))
        out.append(FamilyFinding(
            "EQUIPMENT_TO_RETURN", Severity.INFO,
            {"en": "Equipment to return: " + "; ".join(f"{e['name']} to {e['return_to']} by {e['return_by']}"
                                                       for e in kit) + ".",
             "zh-CN": "需交还的设备：" + "；".join(f"{e['name']}，于{e['return_by']}前交还至{e['return_to']}"
                                             for e in kit) + "。",
             "de": "Zurückzugebende Geräte: " + "; ".join(f"{e['name']} bis {e['return_by']} an {e['return_to']}"
                                                         for e in kit) + "."},
            None, {"equipment": kit},
        ))
    for g in fam.shared_data_groups:
        members = ", ".join(g.members)
        out.append(FamilyFinding(
            "SHARED_DATA_GROUP", Severity.WARNING if g.owner else Severity.INFO,
            {"en": (f"This line owns the shared data group {g.name}; {members} lose the shared data."
                    if g.owner else f"This line shares data in the group {g.name}; it leaves the group."),
             "zh-CN": (f"该号码是流量共享群组{g.name}的主号，{members}将失去共享流量。"
                       if g.owner else f"该号码在流量共享群组{g.name}中，注销后退出该群组。"),
             "de": (f"Diese Karte besitzt die Datengruppe {g.name}; {members} verlieren das geteilte Datenvolumen."
                    if g.owner else f"Diese Karte teilt Daten in der Gruppe {g.name}; sie verlässt die Gruppe.")},
            ({"en": "Make another line of the group its owner first (app → Shared data), or tell its members.",
              "zh-CN": "请先在APP中将群组转给其他成员（APP → 流量共享），或告知群组成员。",
              "de": "Machen Sie zuerst eine andere Karte zur Inhaberin der Gruppe (App → Geteilte Daten) oder "
                    "informieren Sie die Mitglieder."} if g.owner else None),
            {"group_id": g.group_id, "name": g.name, "members": list(g.members), "owner": g.owner},
        ))
    return out


def with_parts(quote: Any, facts: LineFacts, policy: Policy, choices: FamilyChoices | None) -> Any:
    """The quote of the whole family closure: its parts, their fees added to what is charged."""
    ps = parts(facts, quote.effective_date, choices)
    if not ps:
        return quote
    extra = sum(p.early_termination_fee_minor for p in ps)
    charges = quote.outstanding_minor + quote.early_termination_fee_minor + quote.cancellation_fee_minor + extra
    refund_fee, refund, below, due = settle(quote.balance_minor, charges, policy)
    return replace(quote, parts=ps, parts_fees_minor=extra, refund_fee_minor=refund_fee, refund_minor=refund,
                   refund_below_minimum_minor=below, amount_due_minor=due)
