"""``SIMEXIT_FACTS_SOURCE=bss``: the line's record is simexit's (its identity, status, open application,
eSIM profiles, the ids the application points to); balance, arrears, contract, bound services and devices,
port-out and the family (bundle, secondary lines, shared data) are asked of the BSS at pre-check time
(``tmf.py``). When the BSS cannot answer, the pre-check refuses with FACTS_UNAVAILABLE (503): never a guess."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from simexit.domain.errors import Unavailable
from simexit.domain.facts import FactsSource, LineFacts
from simexit.domain.identifiers import mask_msisdn
from simexit.integrations.bss.tmf import BssClient
from simexit.integrations.errors import IntegrationError
from simexit.store.database import Connection
from simexit.store.facts_source import SqlFactsSource

RETRY_AFTER_S = 30


def facts_unavailable(msisdn: str, why: str) -> Unavailable:
    return Unavailable("FACTS_UNAVAILABLE", f"the operator's systems cannot tell the facts of "
                       f"{mask_msisdn(msisdn)} now ({why}); nothing was decided — try again later",
                       retry_after=RETRY_AFTER_S)


class BssFactsSource:
    def __init__(self, conn: Connection, client: BssClient) -> None:
        self.local, self.client = SqlFactsSource(conn), client

    def line_facts(self, msisdn: str) -> LineFacts:
        return self._live(self.local.line_facts(msisdn))

    def many_line_facts(self, msisdns: Sequence[str]) -> dict[str, LineFacts]:
        return {m: self._live(f) for m, f in self.local.many_line_facts(msisdns).items()}

    def _live(self, local: LineFacts) -> LineFacts:
        try:
            live = self.client.live_facts(local.msisdn, local.currency)
        except IntegrationError as exc:
            raise facts_unavailable(local.msisdn, exc.code) from exc
        if live is None:
            raise facts_unavailable(local.msisdn, "the BSS does not know the line")
        return replace(local, balance_minor=live.balance_minor, unpaid_bills=live.unpaid_bills,
                       contract_start=live.contract_start, contract_end=live.contract_end,
                       early_termination_fee_minor=live.early_termination_fee_minor,
                       port_out_pending=live.port_out_pending, services=live.services, devices=live.devices,
                       family=live.family)


class BssFacts:
    """The factory ``Simexit.facts_source`` holds: a BssFactsSource per connection, one client (and cache)."""

    asks_outside = True  # services.closure.applications asks it before its write transaction

    def __init__(self, client: BssClient) -> None:
        self.client = client

    def __call__(self, conn: Connection) -> BssFactsSource:
        return BssFactsSource(conn, self.client)


def bss_facts(client: BssClient) -> Callable[[Connection], FactsSource]:
    return BssFacts(client)
