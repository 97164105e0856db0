"""The outside systems' clients as one bundle (``Integrations``), and the choice of each client from the
settings (never by ``if testing``); ``simexit.bootstrap.integrations_from_settings`` puts them together.

The defaults are the real clients: PyHSS (or Open5GS / HTTP hook), ES2+, SMTP e-mail and the HTTP SMS gateway
(``messaging.senders.message_senders``), the signed refund webhook (``payments.webhook``) and the signed
disconnect webhooks to the active relying-party subscriptions (``relying_parties.webhooks``). Each of the last
three may be replaced by a ``package.module:factory`` named in the settings (``SIMEXIT_MESSAGE_SENDERS`` as JSON,
e.g. ``{"sms": "mypkg.sms:make"}``, ``SIMEXIT_REFUND_GATEWAY``, ``SIMEXIT_DISCONNECT_NOTIFIER``); a factory is
called with the Settings.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from simexit.config import Settings
from simexit.integrations.errors import IntegrationError
from simexit.integrations.esim.base import SmdpClient
from simexit.integrations.esim.es2plus import Es2PlusClient
from simexit.integrations.messaging.base import MessageSender
from simexit.integrations.network.base import NetworkProvisioner
from simexit.integrations.payments.base import RefundGateway
from simexit.integrations.relying_parties.base import DisconnectNotifier, NumberReturnHook


@dataclass
class Integrations:
    network: NetworkProvisioner
    smdp: SmdpClient
    senders: dict[str, MessageSender] = field(default_factory=dict)
    refunds: RefundGateway | None = None
    notifier: DisconnectNotifier | None = None
    number_return: NumberReturnHook | None = None  # a ported-in number's return to its range holder

    def sender(self, kind: str) -> MessageSender:
        if kind == "webhook" and kind not in self.senders:
            # relying-party disconnect notices and number returns, one outbox message per party
            from simexit.integrations.relying_parties.notices import NoticeSender

            return NoticeSender(self.notifier, self.number_return)
        if kind not in self.senders:
            raise IntegrationError("messaging", "NOT_CONFIGURED", f"no sender for {kind} messages", retryable=False)
        return self.senders[kind]

    def refund_gateway(self) -> RefundGateway:
        if self.refunds is None:
            raise IntegrationError("payments", "NOT_CONFIGURED", "no refund gateway configured", retryable=False)
        return self.refunds

    def disconnect_notifier(self) -> DisconnectNotifier:
        if self.notifier is None:
            raise IntegrationError("relying_parties", "NOT_CONFIGURED", "no disconnect notifier configured",
                                   retryable=False)
        return self.notifier


def load_factory(path: str, settings: Settings) -> Any:
    module, _, name = path.partition(":")
    if not name:
        raise ValueError(f"{path!r}: expected 'package.module:factory'")
    return getattr(importlib.import_module(module), name)(settings)


def network_from_settings(s: Settings) -> NetworkProvisioner:
    t = s.integration_timeout_seconds
    if s.network == "open5gs":
        from simexit.integrations.network.open5gs import Open5gsProvisioner

        return Open5gsProvisioner(s.open5gs_url, s.open5gs_username, s.open5gs_password, timeout=t)
    if s.network == "http":
        from simexit.integrations.network.http_hook import HttpHookProvisioner

        return HttpHookProvisioner(s.network_hook_url, s.network_hook_token, timeout=t)
    from simexit.integrations.network.pyhss import PyHssProvisioner

    return PyHssProvisioner(s.pyhss_url, s.pyhss_provisioning_key, timeout=t)


def default_refund_gateway(s: Settings) -> RefundGateway:
    from simexit.integrations.payments.webhook import WebhookRefundGateway

    return WebhookRefundGateway(s.payments_url, s.payments_secret, timeout_s=s.payments_timeout_s)


def smdp_from_settings(s: Settings) -> SmdpClient:
    return Es2PlusClient(s.smdp_url, s.smdp_requester_id, timeout=s.integration_timeout_seconds,
                         client_cert=s.smdp_client_cert, ca_file=s.smdp_ca_file, client_key=s.smdp_client_key)
