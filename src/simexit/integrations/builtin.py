"""The built-in adapters' factories, registered under the entry-point group ``simexit.integrations`` in
pyproject.toml exactly as an operator's plug-in registers its own (see ``wiring.py``). Each is called with the
Settings and returns the adapter (for ``facts.*``: a function of a database connection to a FactsSource)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from simexit.config import Settings
from simexit.domain.facts import FactsSource
from simexit.store.database import Connection


def sql_facts(s: Settings) -> Callable[[Connection], FactsSource]:
    from simexit.store.facts_source import SqlFactsSource

    return SqlFactsSource


@lru_cache(maxsize=8)
def _bss_client(url: str, token: str | None, timeout_s: float, cache_s: float) -> Any:
    from simexit.integrations.bss.tmf import BssClient

    return BssClient(url, token=token, timeout_s=timeout_s, cache_s=cache_s)


def bss_client(s: Settings) -> Any:
    """One client per BSS (facts and orders share its connections and cache)."""
    return _bss_client(s.bss_url, s.bss_token, s.bss_timeout_s, s.bss_cache_s)


def bss_facts(s: Settings) -> Callable[[Connection], FactsSource]:
    from simexit.integrations.bss.facts_source import bss_facts as make

    return make(bss_client(s))


def bss_orders(s: Settings) -> Any:
    return bss_client(s)


def network_pyhss(s: Settings) -> Any:
    from simexit.integrations.network.pyhss import PyHssProvisioner

    return PyHssProvisioner(s.pyhss_url, s.pyhss_provisioning_key, timeout=s.integration_timeout_seconds)


def network_open5gs(s: Settings) -> Any:
    from simexit.integrations.network.open5gs import Open5gsProvisioner

    return Open5gsProvisioner(s.open5gs_url, s.open5gs_username, s.open5gs_password,
                              timeout=s.integration_timeout_seconds)


def network_http(s: Settings) -> Any:
    from simexit.integrations.network.http_hook import HttpHookProvisioner

    return HttpHookProvisioner(s.network_hook_url, s.network_hook_token, timeout=s.integration_timeout_seconds)


def esim_es2plus(s: Settings) -> Any:
    from simexit.integrations.esim.es2plus import Es2PlusClient

    return Es2PlusClient(s.smdp_url, s.smdp_requester_id, timeout=s.integration_timeout_seconds,
                         client_cert=s.smdp_client_cert, ca_file=s.smdp_ca_file, client_key=s.smdp_client_key)


def refunds_webhook(s: Settings) -> Any:
    from simexit.integrations.payments.webhook import WebhookRefundGateway

    return WebhookRefundGateway(s.payments_url, s.payments_secret, timeout_s=s.payments_timeout_s)


def sender_sms(s: Settings) -> Any:
    from simexit.integrations.messaging.senders import message_senders

    return message_senders(s)["sms"]


def sender_email(s: Settings) -> Any:
    from simexit.integrations.messaging.senders import message_senders

    return message_senders(s)["email"]
