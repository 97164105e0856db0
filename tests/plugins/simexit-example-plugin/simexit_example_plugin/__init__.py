"""An operator's adapters for simexit, registered in pyproject.toml under the entry-point group
``simexit.integrations``. Each factory is called with simexit's Settings.

- ``facts.example``: the line's record from simexit's tables, the balance from "our billing" (here a constant),
  marked ``extra["source"] = "example-plugin"``;
- ``refunds.example``: a refund gateway that keeps the payouts in memory;
- ``sender.example``: an SMS sender that keeps the messages in memory;
- ``network.example``: a network adapter that keeps the bar / deregister / delete calls in memory.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from simexit.store.facts_source import SqlFactsSource

BALANCE_MINOR = 4242
PAID: list[Any] = []
SENT: list[Any] = []
NETWORK: list[tuple[str, str]] = []


class ExampleFacts:
    def __init__(self, conn: Any) -> None:
        self.sql = SqlFactsSource(conn)

    def line_facts(self, msisdn: str) -> Any:
        f = self.sql.line_facts(msisdn)
        return replace(f, balance_minor=BALANCE_MINOR, extra={**f.extra, "source": "example-plugin"})


def facts(settings: Any) -> Any:
    return ExampleFacts


class ExampleRefunds:
    def pay(self, order: Any) -> str:
        PAID.append(order)
        return f"example-{len(PAID)}"


def refunds(settings: Any) -> ExampleRefunds:
    return ExampleRefunds()


class ExampleSms:
    kind = "sms"

    def send(self, message: Any) -> str:
        SENT.append(message)
        return f"sms-{len(SENT)}"


def sms(settings: Any) -> ExampleSms:
    return ExampleSms()


class ExampleNetwork:
    name = "example"

    def bar(self, sub: Any, idempotency_key: str) -> None:
        NETWORK.append(("bar", sub.msisdn))

    def deregister(self, sub: Any, idempotency_key: str) -> None:
        NETWORK.append(("deregister", sub.msisdn))

    def delete(self, sub: Any, idempotency_key: str) -> None:
        NETWORK.append(("delete", sub.msisdn))


def network(settings: Any) -> ExampleNetwork:
    return ExampleNetwork()
