"""``simexit sim all`` (``simulators/all_simulators.start_all``) starts every simulator scripts/start points
simexit to, the range holder included (issue 15: ported-in numbers go back to it after their rest)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import httpx
import pytest

from simexit.config import Settings
from simexit.integrations.errors import IntegrationError
from simexit.integrations.relying_parties.range_holder import HttpNumberReturnHook
from simexit.simulators.all_simulators import RANGE_HOLDER_DEMO_SECRET, RANGE_HOLDER_PORT, start_all

ROOT = Path(__file__).resolve().parents[2]


def test_sim_all_starts_the_range_holder_and_it_takes_signed_returns():
    running = start_all(Settings(number_return_secret="r" * 32), free_ports=True)
    try:
        assert set(running.urls) >= {"hss", "smdp", "sms", "payments", "mail", "bss", "range_holder", "smtp"}
        url = running.urls["range_holder"]
        assert url.endswith("/number-returns")
        hook = HttpNumberReturnHook(url, "r" * 32)
        hook.returned("Telekom", "+4915112345678", date(2026, 12, 2), "evt-1")
        with pytest.raises(IntegrationError):
            HttpNumberReturnHook(url, "w" * 32).returned("Telekom", "+4915112345679", date(2026, 12, 2), "evt-2")
        listed = httpx.get(url, timeout=5).json()
        assert [(e["msisdn"], e["range_holder"]) for e in listed] == [("+4915112345678", "Telekom")]
    finally:
        running.stop()


def test_scripts_start_points_simexit_at_the_range_holder_of_sim_all():
    start = (ROOT / "scripts" / "start").read_text(encoding="utf-8")
    url = re.search(r"SIMEXIT_NUMBER_RETURN_URL=\$\{SIMEXIT_NUMBER_RETURN_URL:-([^}]+)\}", start)
    secret = re.search(r"SIMEXIT_NUMBER_RETURN_SECRET=\$\{SIMEXIT_NUMBER_RETURN_SECRET:-([^}]+)\}", start)
    assert url and secret, "scripts/start must set SIMEXIT_NUMBER_RETURN_URL and _SECRET"
    assert url.group(1) == f"http://127.0.0.1:{RANGE_HOLDER_PORT}/number-returns"
    assert secret.group(1) == RANGE_HOLDER_DEMO_SECRET
    # exported before `simexit sim all` starts, so the simulator verifies with the same secret
    assert start.index("SIMEXIT_NUMBER_RETURN_SECRET=") < start.index("simexit sim all")
    # and no other simulator of the demo sits on that port
    s = Settings()
    taken = {s.smtp_port, s.mail_sink_page_port} | {httpx.URL(u).port for u in
                                                    (s.sms_gateway_url, s.payments_url, s.bss_url, s.pyhss_url,
                                                     s.smdp_url)}
    assert RANGE_HOLDER_PORT not in taken
