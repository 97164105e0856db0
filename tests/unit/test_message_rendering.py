import pytest

from simexit.domain.display import format_money, mask_account, message_locale
from simexit.integrations.errors import IntegrationError
from simexit.integrations.messaging.base import OutgoingMessage
from simexit.integrations.messaging.rendering import TEMPLATES, render
from simexit.integrations.messaging.smtp import build_email, message_id
from simexit.integrations.payments.base import RefundOrder
from simexit.integrations.payments.webhook import order_body
from simexit.integrations.webhook_signature import signature, signed_headers, verify
from simexit.services.execution.refunds import masked_destination, payout_csv
from simexit.services.numbers.disconnects import parse_month, rnd_csv

SAMPLES = {
    "otp_code": {"brand_name": "畅流量", "code": "482913", "minutes_valid": 5},
    "application_received": {"brand_name": "畅流量", "msisdn": "+8613900001234", "application_no": "SX-0000-0000-0",
                             "review_due_at": "2026-11-25T10:00:00+00:00", "time_zone": "Asia/Shanghai",
                             "effective_date": "2026-11-23"},
    "application_approved": {"brand_name": "畅流量", "msisdn": "+8613900001234", "application_no": "SX-0000-0000-0",
                             "effective_date": "2026-11-23"},
    "application_rejected": {"brand_name": "畅流量", "msisdn": "+8613900001234", "application_no": "SX-0000-0000-0",
                             "reasons": ["ARREARS_UNPAID", "SERVICES_STILL_BOUND"], "note": "WeChat Pay still bound"},
    "application_needs_attention": {"brand_name": "畅流量", "msisdn": "+8613900001234",
                                    "application_no": "SX-0000-0000-0", "status_url": "https://simexit.example/a",
                                    "hotline": "400-100-2626"},
    "closure_confirmation": {"brand_name": "畅流量", "msisdn": "+8613900001234", "application_no": "SX-0000-0000-0",
                             "closed_at": "2026-11-23T02:00:00+00:00", "time_zone": "Asia/Shanghai",
                             "currency": "CNY", "balance_minor": 123450, "fees_minor": 1000, "refund_minor": 122450,
                             "refund_by": "2026-11-30", "amount_due_minor": 0, "erasure_date": "2028-11-23",
                             "receipt_url": "https://simexit.example/receipts/SX-0000-0000-0?t=abc"},
    "sla_escalation": {"brand_name": "畅流量", "application_no": "SX-0000-0000-0", "status": "pending_review",
                       "review_due_at": "2026-11-25T10:00:00+00:00", "time_zone": "Asia/Shanghai"},
    "cancellation_received": {"brand_name": "hansanet", "request_no": "KR-0000-0000-0", "kind": "ordinary",
                              "received_at": "2026-11-23T09:15:00+00:00",
                              "received_at_local": "2026-11-23 10:15:00 CET", "end_date_wanted": "2026-12-31",
                              "email": "a***@example.com", "msisdn": "+49176****5001"},
    "cancellation_code": {"brand_name": "hansanet", "code": "482913", "request_no": "KR-0000-0000-0"},
    "export_ready": {"export_name": "closures-2026-11.csv", "download_url": "https://simexit.example/x",
                     "expires_at": "2026-11-30T00:00:00+00:00"},
}


@pytest.mark.parametrize("locale", ["zh-CN", "en", "de"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_in_every_language(template, locale):
    r = render(template, locale, SAMPLES[template])
    assert r.subject and "\n" not in r.subject
    assert r.text.strip() and r.sms.strip()
    assert r.html.startswith("<!doctype html>") and f'lang="{locale}"' in r.html
    assert "+8613900001234" not in r.text + r.html + r.sms + r.subject  # the number is masked everywhere


def test_otp_says_staff_never_ask_for_the_code():
    assert "绝不会" in render("otp_code", "zh-CN", SAMPLES["otp_code"]).sms
    en = render("otp_code", "en", SAMPLES["otp_code"])
    assert "never ask" in en.text and "never ask" in en.sms and "never ask" in en.html and "482913" in en.sms


def test_closure_amounts_are_exact_per_locale():
    zh = render("closure_confirmation", "zh-CN", SAMPLES["closure_confirmation"])
    en = render("closure_confirmation", "en", SAMPLES["closure_confirmation"])
    assert "剩余余额：¥1,234.50" in zh.text and "退款：¥1,224.50" in zh.text and "2026年11月30日" in zh.text
    assert "Remaining balance: CN¥1,234.50" in en.text and "Fees: CN¥10.00" in en.text
    assert "10:00:00" in zh.text  # 02:00 UTC shown in Asia/Shanghai
    assert 'href="https://simexit.example/receipts/SX-0000-0000-0?t=abc"' in en.html


def test_rejection_reasons_are_spelled_out():
    r = render("application_rejected", "en", SAMPLES["application_rejected"])
    assert "There are unpaid bills" in r.text and "Third-party services are still bound" in r.text
    assert "WeChat Pay still bound" in r.html
    zh = render("application_rejected", "zh-CN", {**SAMPLES["application_rejected"], "note": ""})
    assert "该号码存在欠费" in zh.text and "工作人员备注" not in zh.text


def test_html_escapes_payload():
    r = render("application_rejected", "en", {**SAMPLES["application_rejected"], "note": "<script>x</script>"})
    assert "<script>" not in r.html and "&lt;script&gt;" in r.html


def test_missing_payload_field_and_unknown_template_are_not_retryable():
    with pytest.raises(IntegrationError) as e:
        render("closure_confirmation", "en", {"brand_name": "x"})
    assert e.value.code == "PAYLOAD_INCOMPLETE" and not e.value.retryable
    with pytest.raises(IntegrationError) as e:
        render("nope", "en", {})
    assert e.value.code == "TEMPLATE_UNKNOWN"


def test_money_and_locale_helpers():
    assert format_money(123450, "CNY", "zh-CN") == "¥1,234.50"
    assert format_money(123450, "EUR", "en") == "€1,234.50"
    assert format_money(5, "JPY", "en") == "¥5"
    assert format_money(-99, "USD", "en") == "-$0.99"
    assert message_locale("zh-Hans") == "zh-CN" and message_locale("de") == "de"
    assert message_locale("fr") == "en" and message_locale(None) == "en"
    assert mask_account("DE89 3704 0044 0532 0130 00") == "****3000" and mask_account("12") == "**"
    assert masked_destination("alipay", {"account": "user@example.com"}) == "****.com"
    assert masked_destination("original_payment", None) == "original_payment"


def test_message_id_is_derived_from_the_idempotency_key():
    assert message_id("SX-1:confirm:email", "x.org") == message_id("SX-1:confirm:email", "x.org")
    assert message_id("SX-1:confirm:email", "x.org") != message_id("SX-2:confirm:email", "x.org")
    msg = build_email(OutgoingMessage("email", "a@example.com", "otp_code", "en", SAMPLES["otp_code"], "k1"),
                      "Shop <no-reply@shop.example>")
    assert msg["Message-ID"] == message_id("k1", "shop.example")
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


def test_signature_round_trip_and_refusals():
    body = b'{"a":1}'
    h = signed_headers("s" * 32, 1_800_000_000, body)
    assert h["X-Simexit-Signature"] == signature("s" * 32, 1_800_000_000, body)
    assert verify("s" * 32, h["X-Simexit-Timestamp"], h["X-Simexit-Signature"], body, 1_800_000_100)
    assert not verify("t" * 32, h["X-Simexit-Timestamp"], h["X-Simexit-Signature"], body, 1_800_000_100)
    assert not verify("s" * 32, h["X-Simexit-Timestamp"], h["X-Simexit-Signature"], b'{"a":2}', 1_800_000_100)
    assert not verify("s" * 32, h["X-Simexit-Timestamp"], h["X-Simexit-Signature"], body, 1_800_000_400)  # stale
    assert not verify("s" * 32, None, h["X-Simexit-Signature"], body, 1_800_000_000)


def test_refund_body_is_stable_bytes():
    o = RefundOrder("SX-1", 1200, "CNY", "alipay", {"account": "a"}, "SX-1:refund")
    assert order_body(o) == order_body(RefundOrder("SX-1", 1200, "CNY", "alipay", {"account": "a"}, "SX-1:refund"))


def test_month_and_csv_shapes():
    assert [d.isoformat() for d in parse_month("2026-12")] == ["2026-12-01", "2027-01-01"]
    with pytest.raises(Exception, match="YYYY-MM"):
        parse_month("2026-13")
    assert rnd_csv([{"number": "+12025550100", "permanent_disconnect_date": "2026-11-02", "brand": "roamly"}]) == (
        "number,permanent_disconnect_date\n+12025550100,2026-11-02\n")
    assert payout_csv([]).startswith("application_no,amount_minor,currency,method,destination,reference,date")


@pytest.mark.parametrize("template", [t for t in TEMPLATES if t != "sla_escalation"])
def test_german_customers_read_german_messages(template):
    """Issue 14, item 9: a customer whose language is German gets the message in German, amounts as Germans
    write them."""
    r = render(template, "de-DE", SAMPLES[template])
    words = set((r.subject + " " + r.text + " " + r.sms).lower().replace(",", " ").replace(".", " ").split())
    assert not words & {"your", "the", "received", "request", "with", "is"}, (template, r.subject, r.text)
    if template == "closure_confirmation":
        assert "€" in r.text or "¥" in r.text
