"""The message senders chosen by configuration, one per outbox kind (``email``, ``sms``, ``webhook``)."""

from __future__ import annotations

from simexit.config import Settings
from simexit.integrations.messaging.base import MessageSender
from simexit.integrations.messaging.signed_webhook import SignedWebhookSender
from simexit.integrations.messaging.sms_http import HttpSmsSender
from simexit.integrations.messaging.smtp import SmtpSender


def message_senders(s: Settings) -> dict[str, MessageSender]:
    return {
        "email": SmtpSender(s.smtp_host, s.smtp_port, s.smtp_from, tls=s.smtp_tls, user=s.smtp_user,
                            password=s.smtp_password, timeout_s=s.smtp_timeout_s),
        "sms": HttpSmsSender(s.sms_gateway_url, s.sms_api_key, sender=s.sms_sender, timeout_s=s.sms_timeout_s),
        "webhook": SignedWebhookSender(s.tmf_hub_secret, timeout_s=s.tmf_hub_timeout_s),
    }
