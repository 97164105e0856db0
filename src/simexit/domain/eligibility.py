"""The eligibility pre-check: every blocker, warning and piece of information about closing a line,
each with a stable code, a message and how to fix it in zh-CN, English and German, and its data.
Amounts and dates inside the texts are written as each language writes them (domain.display).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from simexit.domain.display import day_texts, money_texts
from simexit.domain.facts import LineFacts
from simexit.domain.families import family_findings
from simexit.domain.money import Money
from simexit.domain.policy import Policy, Severity
from simexit.domain.quote import Quote

INSTALLED_STATES = frozenset({"Downloaded", "Installed", "Enabled", "Disabled"})

# Short instructions for removing an eSIM profile from a device, shown with ESIM_INSTALLED.
DEVICE_INSTRUCTIONS = {
    "en": "iPhone: Settings → Mobile Service → choose the line → Delete eSIM. "
          "Android: Settings → Network & internet → SIMs → choose the line → Erase eSIM.",
    "zh-CN": "iPhone：设置 → 蜂窝网络 → 选择该号码 → 删除eSIM。"
             "安卓：设置 → 网络和互联网 → SIM卡 → 选择该号码 → 清除eSIM。",
    "de": "iPhone: Einstellungen → Mobilfunk → Leitung wählen → eSIM löschen. "
          "Android: Einstellungen → Netzwerk & Internet → SIMs → Leitung wählen → eSIM löschen.",
}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    message: dict[str, str]
    fix: dict[str, str] | None = None
    data: dict[str, Any] = field(default_factory=dict)
    requires_review: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "severity": self.severity.value, "message": self.message, "fix": self.fix,
            "data": self.data, "requires_review": self.requires_review,
        }


def has_blocker(findings: list[Finding]) -> bool:
    return any(f.severity == Severity.BLOCKER for f in findings)


def evaluate(facts: LineFacts, policy: Policy, quote: Quote, now: datetime) -> list[Finding]:
    """All findings for closing this line under this policy, blockers first."""
    cur = policy.brand.currency
    out: list[Finding] = []
    checks = policy.checks

    if facts.status not in ("active", "suspended"):
        out.append(Finding(
            "LINE_NOT_ACTIVE", Severity.BLOCKER,
            {"en": f"This line is {facts.status} and cannot be closed again.",
             "zh-CN": f"该号码状态为“{_status_zh(facts.status)}”，无法办理注销。",
             "de": f"Dieser Anschluss ist {_status_de(facts.status)} und kann nicht noch einmal gekündigt werden."},
            None, {"status": facts.status},
        ))

    if not facts.identity_verified:
        out.append(Finding(
            "IDENTITY_UNVERIFIED", Severity.BLOCKER,
            {"en": "The real-name registration of this line is not verified.",
             "zh-CN": "该号码的实名登记尚未核验。",
             "de": "Die Identität des Anschlussinhabers ist noch nicht bestätigt."},
            {"en": "Verify your identity with the ID document the line is registered to (online, or at a store).",
             "zh-CN": "请使用办理该号码时登记的证件完成实名核验（线上或到营业厅）。",
             "de": "Bestätigen Sie Ihre Identität mit dem Ausweis, auf den der Anschluss registriert ist (online oder "
                   "im Shop)."},
        ))

    in_the_red = -facts.balance_minor if facts.balance_minor < 0 and policy.negative_balance_is_arrears else 0
    if facts.unpaid_bills or in_the_red:
        total = Money(sum(b.amount_minor for b in facts.unpaid_bills) + in_the_red, cur)
        n = len(facts.unpaid_bills) + (1 if in_the_red else 0)
        block = checks.ARREARS == Severity.BLOCKER
        amt = money_texts(total.minor, cur)
        out.append(Finding(
            "ARREARS", checks.ARREARS,
            {"en": f"{n} unpaid bill(s), {amt['en']} in total."
                   + ("" if block else " They will be collected separately; they do not stop the cancellation."),
             "zh-CN": f"有{n}笔未缴账单，共{amt['zh-CN']}。" + ("" if block else "欠费将另行收取，不影响注销。"),
             "de": (f"{n} offene Rechnung(en), insgesamt {amt['de']}."
                    + ("" if block else " Sie werden gesondert eingezogen und verhindern die Kündigung nicht."))},
            {"en": "Pay the open bills (app, website or store); payments show here within minutes.",
             "zh-CN": "请先缴清欠费（APP、网上营业厅或营业厅），缴费后几分钟内即可刷新。",
             "de": "Begleichen Sie die offenen Rechnungen (App, Website oder Shop); Zahlungen erscheinen hier "
                   "innerhalb weniger Minuten."},
            {"amount_minor": total.minor, "currency": cur, "bills": [
                {"bill_id": b.bill_id, "amount_minor": b.amount_minor, "due_date": b.due_date.isoformat()}
                for b in facts.unpaid_bills], "negative_balance_minor": in_the_red},
        ))

    if facts.contract_end is not None and facts.contract_end > quote.effective_date:
        fee = Money(quote.early_termination_fee_minor, cur)
        end = facts.contract_end.isoformat()
        d, amt = day_texts(facts.contract_end), money_texts(fee.minor, cur)
        out.append(Finding(
            "CONTRACT_ACTIVE", checks.CONTRACT_ACTIVE,
            {"en": f"The contract term runs until {d['en']}. Ending it now costs an early-termination fee of "
                   f"{amt['en']}.",
             "zh-CN": f"合约期至{d['zh-CN']}。提前解约需支付违约金{amt['zh-CN']}。",
             "de": f"Die Vertragslaufzeit endet am {d['de']}. Eine Kündigung jetzt kostet eine Gebühr für die "
                   f"vorzeitige Beendigung von {amt['de']}."},
            {"en": f"Apply on or after {d['en']} to pay no fee, or accept the fee.",
             "zh-CN": f"可在{d['zh-CN']}之后申请以免除违约金，或同意支付违约金。",
             "de": f"Kündigen Sie ab dem {d['de']}, dann fällt keine Gebühr an, oder akzeptieren Sie die Gebühr."},
            {"contract_end": end, "early_termination_fee_minor": fee.minor, "currency": cur},
        ))

    if facts.services:
        names = [s.service for s in facts.services]
        out.append(Finding(
            "SERVICES_BOUND", checks.SERVICES_BOUND,
            {"en": f"{len(names)} service(s) still use this number to sign in or pay: {', '.join(names)}.",
             "zh-CN": f"仍有{len(names)}个第三方服务绑定该号码：{'、'.join(names)}。",
             "de": f"{len(names)} Dienst(e) nutzen diese Nummer noch zur Anmeldung oder Zahlung: "
                   f"{', '.join(names)}."},
            {"en": "In each listed app, change the phone number or unbind it, so that nobody who gets this number "
                   "later can reach your accounts.",
             "zh-CN": "请在上述每个应用中更换绑定手机号或解除绑定，以免号码再次分配后他人访问您的账户。",
             "de": "Ändern Sie in jeder genannten App die Telefonnummer oder entfernen Sie sie, damit niemand, der "
                   "diese Nummer später erhält, auf Ihre Konten zugreifen kann."},
            # unbind_url: where the policy has one (numbers.unbind_links; CN 二次号 practice), shown per service
            {"services": [{"service": s.service, "since": s.since.isoformat() if s.since else None,
                           "unbind_url": policy.numbers.unbind_links.get(s.service)} for s in facts.services]},
        ))

    if facts.devices:
        out.append(Finding(
            "DEVICES_BOUND", checks.DEVICES_BOUND,
            {"en": f"{len(facts.devices)} device(s) are still bound to this line: "
                   + ", ".join(d.name for d in facts.devices) + ".",
             "zh-CN": f"仍有{len(facts.devices)}台设备关联该号码：" + "、".join(d.name for d in facts.devices) + "。",
             "de": f"{len(facts.devices)} Gerät(e) sind noch mit diesem Anschluss verbunden: "
                   + ", ".join(d.name for d in facts.devices) + "."},
            {"en": "Unbind each device in the app (My devices → Unbind). " + DEVICE_INSTRUCTIONS["en"],
             "zh-CN": "请在APP中逐一解除设备关联（我的设备 → 解除绑定）。" + DEVICE_INSTRUCTIONS["zh-CN"],
             "de": "Trennen Sie jedes Gerät in der App (Meine Geräte → Trennen). " + DEVICE_INSTRUCTIONS["de"]},
            {"devices": [{"device_id": d.device_id, "name": d.name, "imei_last4": d.imei_last4}
                         for d in facts.devices]},
        ))

    installed = [p for p in facts.esim_profiles if p.state in INSTALLED_STATES]
    if installed:
        out.append(Finding(
            "ESIM_INSTALLED", checks.ESIM_INSTALLED,
            {"en": f"The eSIM profile is still on {len(installed)} device(s). We release it at the eSIM server; "
                   "please also delete it from the device.",
             "zh-CN": f"eSIM配置文件仍安装在{len(installed)}台设备上。我们会在eSIM服务器释放该配置文件，"
                      "也请您在设备上删除。",
             "de": f"Das eSIM-Profil ist noch auf {len(installed)} Gerät(en) installiert. Wir geben es am "
                   "eSIM-Server frei; bitte löschen Sie es auch auf dem Gerät."},
            dict(DEVICE_INSTRUCTIONS),
            {"profiles": [{"iccid_last4": p.iccid[-4:], "state": p.state} for p in installed]},
        ))

    if facts.port_out_pending:
        out.append(Finding(
            "PORT_OUT_PENDING", checks.PORT_OUT_PENDING,
            {"en": "A transfer of this number to another operator is in progress.",
             "zh-CN": "该号码正在办理携号转网。",
             "de": "Die Mitnahme dieser Nummer zu einem anderen Anbieter läuft."},
            {"en": "Wait until the transfer completes (the line then closes here by itself) or cancel the transfer.",
             "zh-CN": "请等待携号转网完成（完成后本网号码自动注销），或撤销携号转网申请。",
             "de": "Warten Sie, bis die Mitnahme abgeschlossen ist (der Anschluss endet dann hier von selbst), oder "
                   "widerrufen Sie die Mitnahme."},
        ))

    if facts.open_application is not None:
        out.append(Finding(
            "APPLICATION_OPEN", Severity.WARNING,
            {"en": f"An application to close this line is already open: {facts.open_application.application_no} "
                   f"({_status_en(facts.open_application.status)}). Applying again returns the same application.",
             "zh-CN": f"该号码已有进行中的注销申请：{facts.open_application.application_no}。"
                      "重复提交将返回同一申请。",
             "de": f"Für diesen Anschluss läuft bereits ein Kündigungsantrag: "
                   f"{facts.open_application.application_no}. Ein neuer Antrag führt zum selben Antrag."},
            {"en": "Follow it with its application number, or withdraw it first.",
             "zh-CN": "可凭申请编号查询进度，或先撤回该申请。",
             "de": "Verfolgen Sie ihn mit seiner Antragsnummer oder ziehen Sie ihn zuerst zurück."},
            {"application_no": facts.open_application.application_no, "status": facts.open_application.status},
        ))

    changed = facts.last_sim_change_at
    if changed is not None and now - changed < timedelta(days=checks.recent_sim_change_days):
        out.append(Finding(
            "RECENT_SIM_CHANGE", Severity.WARNING,
            {"en": "The SIM card or eSIM of this line was changed recently. A person will review the "
                   "application to protect you from fraud.",
             "zh-CN": "该号码近期更换过SIM卡或eSIM。为防范诈骗，申请将由人工审核。",
             "de": "Die SIM-Karte oder eSIM dieses Anschlusses wurde kürzlich getauscht. Zu Ihrem Schutz vor "
                   "Betrug prüft eine Person den Antrag."},
            None, {"changed_at": changed.isoformat()}, requires_review=True,
        ))

    if quote.balance_minor > 0:
        bal, ref = Money(quote.balance_minor, cur), Money(quote.refund_minor, cur)
        below = quote.refund_below_minimum_minor
        used = quote.balance_minor - quote.refund_minor - below
        b, r = money_texts(bal.minor, cur), money_texts(ref.minor, cur)
        en = [f"Remaining balance {b['en']}."]
        zh = [f"剩余余额{b['zh-CN']}。"]
        de = [f"Restguthaben {b['de']}."]
        if used > 0:
            u = money_texts(min(used, quote.balance_minor), cur)
            en.append(f"{u['en']} of it pays fees and open bills.")
            zh.append(f"其中{u['zh-CN']}用于抵扣费用和欠费。")
            de.append(f"Davon werden {u['de']} mit Gebühren und offenen Rechnungen verrechnet.")
        if quote.refund_minor > 0:
            by = day_texts(quote.refund_by)
            en.append(f"{r['en']} will be refunded by {by['en']}.")
            zh.append(f"将于{by['zh-CN']}前退还{r['zh-CN']}。")
            de.append(f"{r['de']} werden bis zum {by['de']} erstattet.")
        if below:
            w = money_texts(below, cur)
            en.append(f"{w['en']} is below the minimum payout and is not paid out.")
            zh.append(f"{w['zh-CN']}低于最低退款金额，不予退还。")
            de.append(f"{w['de']} liegen unter dem Mindestbetrag für eine Auszahlung und werden nicht ausgezahlt.")
        out.append(Finding(
            "BALANCE_REFUNDABLE", Severity.INFO, {"en": " ".join(en), "zh-CN": "".join(zh), "de": " ".join(de)},
            None, {"balance_minor": bal.minor, "refund_minor": ref.minor, "below_minimum_minor": below,
                   "currency": cur},
        ))

    if quote.cancellation_fee_minor > 0:
        fee = Money(quote.cancellation_fee_minor, cur)
        out.append(Finding(
            "CANCELLATION_FEE", Severity.INFO,
            {"en": f"This brand charges a cancellation fee of {money_texts(fee.minor, cur)['en']}, taken from the "
                   "balance.",
             "zh-CN": f"注销需收取手续费{money_texts(fee.minor, cur)['zh-CN']}，从余额中扣除。",
             "de": f"Dieser Anbieter berechnet eine Kündigungsgebühr von {money_texts(fee.minor, cur)['de']}, die "
                   "vom Guthaben abgezogen wird."},
            None, {"amount_minor": fee.minor, "currency": cur},
        ))

    if quote.calendar_estimated_years:
        years = ", ".join(str(y) for y in quote.calendar_estimated_years)
        out.append(Finding(
            "CALENDAR_NOT_PUBLISHED", Severity.WARNING,
            {"en": f"The official working-day calendar for {years} is not published yet: the review and refund "
                   "dates counted in business days are estimates and may move by a few days.",
             "zh-CN": f"{years}年的法定调休安排尚未公布：按工作日计算的审核和退款日期为估算，可能相差几天。",
             "de": f"Der amtliche Arbeitstagekalender für {years} ist noch nicht veröffentlicht: die in "
                   "Werktagen berechneten Prüf- und Erstattungstermine sind geschätzt und können sich um einige "
                   "Tage verschieben."},
            None, {"years": list(quote.calendar_estimated_years)},
        ))

    # Families of lines (issue 17): secondary lines, a bundle's other products, shared data groups.
    out.extend(Finding(f.code, f.severity, f.message, f.fix, f.data)
               for f in family_findings(facts, quote.effective_date, cur))

    order = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(out, key=lambda f: order[f.severity])


def needs_person(findings: list[Finding]) -> bool:
    return any(f.requires_review for f in findings)


def _status_zh(status: str) -> str:
    return {"closed": "已注销", "closing": "注销中", "suspended": "停机", "active": "正常"}.get(status, status)


def _status_en(status: str) -> str:
    return {"submitted": "submitted", "pending_review": "waiting for review", "approved": "approved",
            "executing": "being closed", "needs_attention": "being looked at by our team"}.get(status, status)


def _status_de(status: str) -> str:
    return {"closed": "bereits gekündigt", "closing": "in Kündigung", "suspended": "gesperrt",
            "active": "aktiv"}.get(status, status)
