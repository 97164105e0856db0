"""What a customer explicitly confirms before an application is submitted."""

from __future__ import annotations

from simexit.domain.display import day_texts, money_texts
from simexit.domain.errors import InvalidInput
from simexit.domain.quote import Quote


def required_consequences(quote: Quote) -> dict[str, dict[str, str]]:
    """Consequence code → the sentence shown (en, zh-CN, de), built from the quote's exact figures, each written
    as its language writes amounts and dates."""
    cur = quote.currency
    rel = quote.number_release_date
    release, erasure = (day_texts(rel) if rel else None), day_texts(quote.erasure_date)
    out = {
        "NO_REACTIVATION": {
            "en": "This number can never be reactivated. After a quarantine it may be given to someone else "
                  f"(not before {release['en']})." if release else
                  "This number can never be reactivated. It will not be given to anyone else.",
            "zh-CN": f"号码注销后不可恢复。冷冻期满后（不早于{release['zh-CN']}）该号码可能分配给他人。"
                     if release else "号码注销后不可恢复，也不会再分配给他人。",
            "de": "Diese Nummer kann nie wieder aktiviert werden. Nach einer Sperrfrist kann sie an eine andere "
                  f"Person vergeben werden (nicht vor dem {release['de']})." if release else
                  "Diese Nummer kann nie wieder aktiviert werden. Sie wird an niemanden sonst vergeben.",
        },
        "DATA_ERASURE": {
            "en": f"Your personal data will be deleted on {erasure['en']}, except records a law "
                  "requires us to keep longer.",
            "zh-CN": f"您的个人信息将于{erasure['zh-CN']}删除，法律要求保留的记录除外。",
            "de": f"Ihre personenbezogenen Daten werden am {erasure['de']} gelöscht, außer Unterlagen, die wir "
                  "gesetzlich länger aufbewahren müssen.",
        },
    }
    if quote.refund_minor > 0:
        amt, by = money_texts(quote.refund_minor, cur), day_texts(quote.refund_by)
        out["REFUND"] = {
            "en": f"{amt['en']} will be refunded to the destination you gave, by {by['en']}.",
            "zh-CN": f"{amt['zh-CN']}将于{by['zh-CN']}前退还至您指定的账户。",
            "de": f"{amt['de']} werden bis zum {by['de']} an das von Ihnen angegebene Ziel erstattet.",
        }
    fees = quote.early_termination_fee_minor + quote.cancellation_fee_minor + quote.parts_fees_minor
    if fees > 0:
        amt = money_texts(fees, cur)
        out["FEES"] = {"en": f"Fees of {amt['en']} apply.", "zh-CN": f"需支付费用{amt['zh-CN']}。",
                       "de": f"Es fallen Gebühren von {amt['de']} an."}
    if quote.amount_due_minor > 0:
        amt = money_texts(quote.amount_due_minor, cur)
        out["AMOUNT_DUE"] = {"en": f"You will still owe {amt['en']}.", "zh-CN": f"您仍需支付{amt['zh-CN']}。",
                             "de": f"Sie schulden danach noch {amt['de']}."}
    return out


def check_confirmed(quote: Quote, confirmed: list[str]) -> dict[str, dict[str, str]]:
    required = required_consequences(quote)
    missing = sorted(set(required) - set(confirmed))
    if missing:
        raise InvalidInput("CONSEQUENCES_NOT_CONFIRMED",
                           "the customer must confirm every consequence: " + ", ".join(missing),
                           missing=missing, required=required)
    return required
