"""The certificate of cancellation (注销证明): printable HTML in zh-CN, English or German, and the link to it that the
confirmation message carries (a keyed token, so that knowing an application number is not enough)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from simexit.domain.application_number import normalize_application_number
from simexit.domain.display import format_day, format_moment, format_money, message_locale
from simexit.domain.errors import Conflict, NotFound
from simexit.domain.identifiers import mask_msisdn
from simexit.services.context import Simexit
from simexit.store import applications_repo as repo
from simexit.store import closing_repo, numbers_repo, refunds_repo

TEMPLATES = Path(__file__).parent / "templates"

LABELS: dict[str, dict[str, str]] = {
    "en": {"title": "Certificate of cancellation", "application_no": "Application number", "brand": "Provider",
           "line": "Line", "submitted_at": "Requested on", "effective_date": "End of contract",
           "closed_at": "Line closed on", "disconnected_on": "Number permanently disconnected on",
           "balance": "Remaining balance", "outstanding": "Unpaid bills",
           "etf": "Early-termination fee", "cancellation_fee": "Cancellation fee", "refund_fee": "Refund fee",
           "refund": "Refund", "amount_due": "Still to pay", "refund_method": "Refund to",
           "refund_by": "Refund paid by", "payment_ref": "Payout reference", "erasure_date": "Personal data erased on",
           "issued_at": "Issued on", "statement": "This certifies that the line above was permanently closed at "
           "the customer's request. It cannot be reactivated.", "verify": "Verification code", "print": "Print"},
    "zh-CN": {"title": "注销证明", "application_no": "申请编号", "brand": "运营商", "line": "号码",
              "submitted_at": "申请时间", "effective_date": "合约终止日期", "closed_at": "注销时间",
              "disconnected_on": "号码永久停用日期",
              "balance": "剩余余额", "outstanding": "未缴账单", "etf": "提前解约违约金",
              "cancellation_fee": "销户手续费",
              "refund_fee": "退款手续费", "refund": "退款金额", "amount_due": "尚需缴纳", "refund_method": "退款方式",
              "refund_by": "退款到账截止", "payment_ref": "退款流水号", "erasure_date": "个人信息删除日期",
              "issued_at": "出具时间", "statement": "兹证明上述号码已应用户申请永久注销，无法恢复使用。",
              "verify": "校验码", "print": "打印"},
    "de": {"title": "Kündigungsbestätigung", "application_no": "Antragsnummer", "brand": "Anbieter",
           "line": "Anschluss", "submitted_at": "Beantragt am", "effective_date": "Vertragsende",
           "closed_at": "Anschluss abgeschaltet am", "balance": "Restguthaben", "outstanding": "Offene Rechnungen",
           "etf": "Gebühr für vorzeitige Beendigung", "cancellation_fee": "Kündigungsgebühr",
           "refund_fee": "Erstattungsgebühr", "refund": "Erstattung", "amount_due": "Noch zu zahlen",
           "refund_method": "Erstattung an", "refund_by": "Erstattung bis", "payment_ref": "Auszahlungsreferenz",
           "erasure_date": "Personenbezogene Daten gelöscht am", "issued_at": "Ausgestellt am",
           "statement": "Hiermit wird bestätigt, dass der oben genannte Anschluss auf Wunsch der Kundin oder des "
           "Kunden endgültig abgeschaltet wurde. Er kann nicht wieder aktiviert werden.",
           "verify": "Prüfcode", "print": "Drucken"},
}

# How the refund is paid, in the certificate's language (never the method's code).
REFUND_METHODS: dict[str, dict[str, str]] = {
    "en": {"original_payment": "the original payment method", "bank_transfer": "bank transfer",
           "alipay": "Alipay", "wechat_pay": "WeChat Pay", "store_cash": "cash at a store",
           "account_credit": "credit on another account"},
    "zh-CN": {"original_payment": "原支付方式", "bank_transfer": "银行转账", "alipay": "支付宝",
              "wechat_pay": "微信支付", "store_cash": "营业厅现金", "account_credit": "转入其他账户"},
    "de": {"original_payment": "das ursprüngliche Zahlungsmittel", "bank_transfer": "Banküberweisung",
           "alipay": "Alipay", "wechat_pay": "WeChat Pay", "store_cash": "Barauszahlung im Shop",
           "account_credit": "Gutschrift auf ein anderes Kundenkonto"},
}


def refund_method_text(method: str | None, masked: str | None, loc: str) -> str:
    """``Bank transfer ****1234``; the original payment method has no destination worth repeating."""
    if not method:
        return ""
    name = REFUND_METHODS.get(loc, REFUND_METHODS["en"]).get(method, REFUND_METHODS["en"].get(method, ""))
    name = name[:1].upper() + name[1:] if loc != "zh-CN" else name
    shown = (masked or "").strip()
    return f"{name} {shown}" if shown and shown != method and "*" in shown else name


def receipt_token(app: Simexit, application_no: str) -> str:
    """20 hex characters of HMAC(secret_key, "receipt:" + number): needed with the number to open a receipt."""
    return hmac.new(app.secret_key.encode(), f"receipt:{application_no}".encode(), hashlib.sha256).hexdigest()[:20]


def check_receipt_token(app: Simexit, application_no: str, token: str) -> bool:
    return hmac.compare_digest(receipt_token(app, application_no).encode(), (token or "").encode())


def receipt_url(app: Simexit, base_url: str, application_no: str) -> str:
    return f"{base_url.rstrip('/')}/receipts/{application_no}?t={receipt_token(app, application_no)}"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def receipt_facts(app: Simexit, application_no: str) -> dict[str, Any]:
    """What the certificate states, read in one transaction; refused before the line is closed."""
    number = normalize_application_number(application_no)
    if number is None:
        raise NotFound("APPLICATION_NOT_FOUND", "no such application")
    with app.db.read() as conn:
        row = repo.get_by_number(conn, number)
        if row["status"] != "completed":
            raise Conflict("RECEIPT_NOT_AVAILABLE", f"{number} is {row['status']}: a certificate of cancellation "
                           "exists once the closure is completed", status=row["status"])
        closed_at = closing_repo.line_closed_at(conn, row["line_id"])
        refund = refunds_repo.refund_of(conn, row["id"])
        held = numbers_repo.holding_of_line(conn, row["line_id"])
    # the number's one permanent-disconnect date (domain/number_afterlife.py) and the dates counted from it
    return {"row": row, "closed_at": closed_at, "refund": refund,
            "disconnected_on": held["disconnected_on"] if held is not None else None}


def render_receipt(app: Simexit, application_no: str, locale: str) -> str:
    facts = receipt_facts(app, application_no)
    row, q, refund = facts["row"], facts["row"]["quote"], facts["refund"]
    loc = message_locale(locale)
    policy = app.policy(row["brand"])
    tz = policy.brand.time_zone
    cur = q["currency"]

    def money(minor: int) -> str:
        return format_money(int(minor), cur, loc)

    refund_minor = refund["amount_minor"] if refund else q["refund_minor"]
    amounts = [("balance", q["balance_minor"]), ("outstanding", q["outstanding_minor"]),
               ("etf", q["early_termination_fee_minor"]), ("cancellation_fee", q["cancellation_fee_minor"]),
               ("refund_fee", q["refund_fee_minor"]), ("refund", refund_minor), ("amount_due", q["amount_due_minor"])]
    return _environment().get_template("receipt.html").render(
        lang=loc, t=LABELS[loc],
        application_no=row["application_no"],
        brand=(policy.brand.name_zh or policy.brand.name) if loc == "zh-CN" else policy.brand.name,
        line=mask_msisdn(row["msisdn"]),
        submitted_at=format_moment(row["submitted_at"], loc, tz),
        effective_date=format_day(row["effective_date"], loc),
        closed_at=format_moment(facts["closed_at"], loc, tz) if facts["closed_at"] else "",
        amounts=[(k, money(v)) for k, v in amounts if v or k in ("balance", "refund")],
        refund_method=refund_method_text(refund["method"], refund["destination_masked"], loc) if refund else
        refund_method_text(row["refund_method"], None, loc),
        refund_by=format_day(q["refund_by"], loc) if refund_minor else "",
        payment_ref=refund["payment_ref"] if refund and refund["payment_ref"] else "",
        disconnected_on=format_day(facts["disconnected_on"], loc) if facts["disconnected_on"] else "",
        erasure_date=format_day(facts["disconnected_on"] + timedelta(days=policy.retention.erase_after_days)
                                if facts["disconnected_on"] else q["erasure_date"], loc),
        issued_at=format_moment(app.clock.now(), loc, tz),
        verify=receipt_token(app, row["application_no"]),
    )
