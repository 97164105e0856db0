"""E-mail through a real SMTP server (the aiosmtpd mail sink), SMS through the SMS gateway simulator."""

import time

import httpx
import pytest

from simexit.integrations.errors import IntegrationError
from simexit.integrations.messaging.base import OutgoingMessage
from simexit.integrations.messaging.sms_http import HttpSmsSender
from simexit.integrations.messaging.smtp import SmtpSender, message_id
from simexit.simulators.mail_sink import MailSink, free_port
from simexit.simulators.sms_gateway import SmsGatewaySimulator
from tests.unit.test_message_rendering import SAMPLES


@pytest.fixture
def mail_sink():
    with MailSink() as sink:
        yield sink


@pytest.fixture
def sms_gateway():
    with SmsGatewaySimulator(api_key="k" * 20) as sim:
        yield sim


def email(template="closure_confirmation", locale="zh-CN", to="kunde@example.com", key="SX-0000-0000-0:confirm"):
    return OutgoingMessage("email", to, template, locale, SAMPLES[template], key)


def test_multipart_mail_in_both_languages_reaches_a_real_smtp_server(mail_sink):
    sender = SmtpSender(mail_sink.smtp_host, mail_sink.smtp_port, "畅流量 <no-reply@liuliang.example>")
    ids = [sender.send(email(locale="zh-CN", key="k-zh")), sender.send(email(locale="en", key="k-en"))]
    zh, en = mail_sink.inbox()
    assert ids == [message_id("k-zh", "liuliang.example"), message_id("k-en", "liuliang.example")]
    assert zh["content_type"] == en["content_type"] == "multipart/alternative"
    assert zh["subject"] == "您的号码 +86139****1234 已注销（SX-0000-0000-0）"
    assert "退款：¥1,224.50" in zh["text"] and "退款</th><td>¥1,224.50" in zh["html"]
    assert en["subject"].startswith("Your line +86139****1234 is closed")
    assert "Refund: CN¥1,224.50" in en["text"] and 'lang="en"' in en["html"]
    assert zh["envelope_to"] == ["kunde@example.com"] and zh["language"] == "zh-CN"
    assert "畅流量" in zh["from"] and zh["template"] == "closure_confirmation"
    # the sink's page and JSON show the same messages
    listed = httpx.get(f"{mail_sink.url}/messages").json()
    assert [m["message_id"] for m in listed] == ids
    assert "已注销" in httpx.get(f"{mail_sink.url}/").text
    assert "¥1,224.50" in httpx.get(f"{mail_sink.url}/messages/0").text


def test_a_resend_carries_the_same_message_id(mail_sink):
    sender = SmtpSender(mail_sink.smtp_host, mail_sink.smtp_port, "simexit <no-reply@simexit.example>")
    first = sender.send(email(template="otp_code", locale="en", key="otp-1"))
    again = sender.send(email(template="otp_code", locale="en", key="otp-1"))
    assert first == again
    assert [m["message_id"] for m in mail_sink.inbox()] == [first, first]
    assert "never ask you for this code" in mail_sink.inbox()[0]["text"]


def test_smtp_down_is_retryable():
    sender = SmtpSender("127.0.0.1", free_port(), "simexit <no-reply@simexit.example>", timeout_s=2)
    with pytest.raises(IntegrationError) as e:
        sender.send(email())
    assert e.value.code == "SMTP_UNREACHABLE" and e.value.retryable


def sms(key="SX-0000-0000-0:confirm:sms", to="+8613900001234"):
    return OutgoingMessage("sms", to, "closure_confirmation", "zh-CN", SAMPLES["closure_confirmation"], key)


def test_sms_is_sent_once_per_client_reference(sms_gateway):
    sender = HttpSmsSender(sms_gateway.url, "k" * 20, sender="LIULIANG")
    first = sender.send(sms())
    assert sender.send(sms()) == first
    [delivered] = sms_gateway.delivered()
    assert delivered["to"] == "+8613900001234" and delivered["client_reference"] == "SX-0000-0000-0:confirm:sms"
    assert delivered["text"].startswith("【畅流量】") and "¥1,224.50" in delivered["text"]
    assert delivered["from"] == "LIULIANG"
    assert [r["status"] for r in httpx.get(f"{sms_gateway.url}/_sim/received").json()] == [201, 200]
    assert httpx.get(f"{sms_gateway.url}/v1/messages").json() == [delivered]


def test_sms_4xx_is_not_retryable(sms_gateway):
    with pytest.raises(IntegrationError) as e:
        HttpSmsSender(sms_gateway.url, "k" * 20).send(sms(to="+86 139"))
    assert (e.value.code, e.value.retryable) == ("SMS_REJECTED", False)
    with pytest.raises(IntegrationError) as e:
        HttpSmsSender(sms_gateway.url, "wrong-key").send(sms())
    assert (e.value.code, e.value.retryable) == ("SMS_AUTH_FAILED", False)
    assert sms_gateway.delivered() == []


def test_sms_5xx_is_retryable_and_a_retry_succeeds(sms_gateway):
    httpx.post(f"{sms_gateway.url}/_sim/behaviour", json={"fail_status": 503, "fail_times": 2})
    sender = HttpSmsSender(sms_gateway.url, "k" * 20)
    for _ in range(2):
        with pytest.raises(IntegrationError) as e:
            sender.send(sms())
        assert (e.value.code, e.value.retryable) == ("SMS_GATEWAY_ERROR", True)
    assert sender.send(sms()).startswith("sms_")
    assert len(sms_gateway.delivered()) == 1


def test_slow_sms_gateway_times_out_and_is_retryable(sms_gateway):
    sms_gateway.set_behaviour(delay_s=2.0)
    sender = HttpSmsSender(sms_gateway.url, "k" * 20, timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(IntegrationError) as e:
        sender.send(sms())
    assert (e.value.code, e.value.retryable) == ("SMS_TIMEOUT", True)
    assert time.monotonic() - started < 1.5


def test_unreachable_gateway_is_retryable():
    with pytest.raises(IntegrationError) as e:
        HttpSmsSender(f"http://127.0.0.1:{free_port()}", "k").send(sms())
    assert (e.value.code, e.value.retryable) == ("SMS_UNREACHABLE", True)
