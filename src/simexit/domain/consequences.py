"""What a customer explicitly confirms before an application is submitted."""

from __future__ import annotations

from simexit.domain.errors import InvalidInput
from simexit.domain.money import Money
from simexit.domain.quote import Quote


def required_consequences(quote: Quote) -> dict[str, dict[str, str]]:
    """Consequence code → the sentence shown (en, zh-CN), built from the quote's exact figures."""
    cur = quote.currency
    release = quote.number_release_date
    out = {
        "NO_REACTIVATION": {
            "en": "This number can never be reactivated. After a quarantine it may be given to someone else "
                  f"(not before {release.isoformat()})." if release else
                  "This number can never be reactivated. It will not be given to anyone else.",
            "zh-CN": f"号码注销后不可恢复。冷冻期满后（不早于{release.isoformat()}）该号码可能分配给他人。"
                     if release else "号码注销后不可恢复，也不会再分配给他人。",
        },
        "DATA_ERASURE": {
            "en": f"Your personal data will be deleted on {quote.erasure_date.isoformat()}, except records a law "
                  "requires us to keep longer.",
            "zh-CN": f"您的个人信息将于{quote.erasure_date.isoformat()}删除，法律要求保留的记录除外。",
        },
    }
    if quote.refund_minor > 0:
        amt = Money(quote.refund_minor, cur).format()
        out["REFUND"] = {
            "en": f"{amt} will be refunded to the destination you gave, by {quote.refund_by.isoformat()}.",
            "zh-CN": f"{amt}将于{quote.refund_by.isoformat()}前退还至您指定的账户。",
        }
    fees = quote.early_termination_fee_minor + quote.cancellation_fee_minor
    if fees > 0:
        amt = Money(fees, cur).format()
        out["FEES"] = {"en": f"Fees of {amt} apply.", "zh-CN": f"需支付费用{amt}。"}
    if quote.amount_due_minor > 0:
        amt = Money(quote.amount_due_minor, cur).format()
        out["AMOUNT_DUE"] = {"en": f"You will still owe {amt}.", "zh-CN": f"您仍需支付{amt}。"}
    return out


def check_confirmed(quote: Quote, confirmed: list[str]) -> dict[str, dict[str, str]]:
    required = required_consequences(quote)
    missing = sorted(set(required) - set(confirmed))
    if missing:
        raise InvalidInput("CONSEQUENCES_NOT_CONFIRMED",
                           "the customer must confirm every consequence: " + ", ".join(missing),
                           missing=missing, required=required)
    return required
