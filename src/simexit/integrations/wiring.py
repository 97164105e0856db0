"""The outside systems' clients as one bundle (``Integrations``), and the choice of each client from the
settings (never by ``if testing``); ``simexit.bootstrap.integrations_from_settings`` puts them together.

The defaults are the real clients: PyHSS (or Open5GS / HTTP hook), ES2+, SMTP e-mail and the HTTP SMS gateway
(``messaging.senders.message_senders``), the signed refund webhook (``payments.webhook``) and the signed
disconnect webhooks to the active relying-party subscriptions (``relying_parties.webhooks``). Each of the last
three may be replaced by a ``package.module:factory`` named in the settings (``SIMEXIT_MESSAGE_SENDERS`` as JSON,
e.g. ``{"sms": "mypkg.sms:make"}``, ``SIMEXIT_REFUND_GATEWAY``, ``SIMEXIT_DISCONNECT_NOTIFIER``); a factory is
called with the Settings.

Plug-ins without a fork (issue 17): an installed package registers factories under the entry-point group
``simexit.integrations`` (``GROUP``), each named ``<kind>.<name>`` — kinds ``facts`` (returns a function of a
database connection to a FactsSource), ``network``, ``esim``, ``refunds``, ``sender`` (a MessageSender),
``notifier`` (a DisconnectNotifier) and ``orders`` (executes a family closure's other parts). The settings choose
by name: ``SIMEXIT_FACTS_SOURCE=bss``, ``SIMEXIT_NETWORK=open5gs``, ``SIMEXIT_ESIM=es2plus``,
``SIMEXIT_REFUND_GATEWAY=webhook``, ``SIMEXIT_MESSAGE_SENDERS='{"sms": "mygateway"}'``,
``SIMEXIT_DISCONNECT_NOTIFIER=...``, ``SIMEXIT_FAMILY_ORDERS=bss``. The built-in adapters register the same way
(pyproject.toml; ``BUILTINS`` is the same table, used when an editable install's metadata predates it).
A value with a colon is still read as ``package.module:factory``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from simexit.config import Settings
from simexit.integrations.errors import IntegrationError
from simexit.integrations.esim.base import SmdpClient
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
    orders: Any | None = None  # a family closure's other parts (integrations/bss/tmf.py BssClient.order)

    def sender(self, kind: str) -> MessageSender:
        if kind == "webhook":
            # One outbox kind, two senders: relying-party disconnect notices and number returns (one message per
            # party, by template) and the TMF hubs' signed events (to the subscription's callback URL).
            from simexit.integrations.relying_parties.notices import NoticeSender, WebhookRouter

            return WebhookRouter(NoticeSender(self.notifier, self.number_return), self.senders.get("webhook"))
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


    def family_orders(self) -> Any:
        if self.orders is None:
            raise IntegrationError("orders", "NOT_CONFIGURED", "nothing executes a family's other parts",
                                   retryable=False)
        return self.orders


GROUP = "simexit.integrations"
KINDS = ("facts", "network", "esim", "refunds", "sender", "notifier", "orders")
# The built-ins, as pyproject.toml registers them (tests/unit/test_plugins.py keeps the two the same).
BUILTINS: dict[str, str] = {
    "facts.sql": "simexit.integrations.builtin:sql_facts",
    "facts.bss": "simexit.integrations.builtin:bss_facts",
    "network.pyhss": "simexit.integrations.builtin:network_pyhss",
    "network.open5gs": "simexit.integrations.builtin:network_open5gs",
    "network.http": "simexit.integrations.builtin:network_http",
    "esim.es2plus": "simexit.integrations.builtin:esim_es2plus",
    "refunds.webhook": "simexit.integrations.builtin:refunds_webhook",
    "sender.sms": "simexit.integrations.builtin:sender_sms",
    "sender.email": "simexit.integrations.builtin:sender_email",
    "orders.bss": "simexit.integrations.builtin:bss_orders",
}


def registered() -> dict[str, str]:
    """Every ``<kind>.<name>`` → ``module:factory``: the built-ins and the installed plug-ins'."""
    found = dict(BUILTINS)
    found.update({ep.name: ep.value for ep in entry_points(group=GROUP)})
    return found


def plugin(kind: str, name: str, settings: Settings) -> Any:
    """The adapter ``name`` of ``kind`` (a registered name, or ``package.module:factory``), built for ``settings``.
    An unknown name is a configuration error (ValueError naming what is installed), at start-up."""
    if ":" in name:
        return load_factory(name, settings)
    if kind not in KINDS:
        raise ValueError(f"unknown kind of integration {kind!r}; kinds: {', '.join(KINDS)}")
    target = registered().get(f"{kind}.{name}")
    if target is None:
        names = sorted(k.partition(".")[2] for k in registered() if k.startswith(kind + "."))
        raise ValueError(f"no {kind} integration named {name!r} in the entry-point group {GROUP}; installed: "
                         f"{', '.join(names) or 'none'}")
    return load_factory(target, settings)


def load_factory(path: str, settings: Settings) -> Any:
    module, _, name = path.partition(":")
    if not name:
        raise ValueError(f"{path!r}: expected 'package.module:factory'")
    return getattr(importlib.import_module(module), name)(settings)


def network_from_settings(s: Settings) -> NetworkProvisioner:
    return plugin("network", s.network, s)


def default_refund_gateway(s: Settings) -> RefundGateway:
    return plugin("refunds", "webhook", s)


def smdp_from_settings(s: Settings) -> SmdpClient:
    return plugin("esim", s.esim, s)


def facts_from_settings(s: Settings) -> Any:
    """A function of a database connection to the FactsSource named by ``SIMEXIT_FACTS_SOURCE``."""
    return plugin("facts", s.facts_source, s)


def orders_from_settings(s: Settings) -> Any:
    return plugin("orders", s.family_orders, s)
