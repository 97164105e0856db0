"""Every simulator at once, for the demo (``simexit sim all``, ``scripts/start``): HSS and SM-DP+ (on the
``http_server`` base) and the SMS gateway, payment system and mail sink (on the ``recording_server`` base),
each on the port the settings point simexit to, or on free ports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from simexit.config import Settings
from simexit.simulators.bss import BssSimulator
from simexit.simulators.hss import HssSimulator
from simexit.simulators.http_server import SimulatorServer
from simexit.simulators.mail_sink import MailSink
from simexit.simulators.payment_system import PaymentSystemSimulator
from simexit.simulators.smdp import SmdpSimulator
from simexit.simulators.sms_gateway import SmsGatewaySimulator


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


@dataclass
class RunningSimulators:
    servers: list[Any] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        for s in reversed(self.servers):
            s.stop()
        self.servers.clear()


def start_all(s: Settings, *, free_ports: bool = False) -> RunningSimulators:
    """Start the five simulators on 127.0.0.1; on failure, stop those already started and re-raise."""
    def port(p: int) -> int:
        return 0 if free_ports else p

    running = RunningSimulators()
    try:
        hss = SimulatorServer(HssSimulator(s.pyhss_provisioning_key), port(_port(s.pyhss_url))).start()
        running.servers.append(hss)
        smdp = SimulatorServer(SmdpSimulator(lenient=True), port(_port(s.smdp_url))).start()
        running.servers.append(smdp)
        sms = SmsGatewaySimulator(port=port(_port(s.sms_gateway_url)), api_key=s.sms_api_key).start()
        running.servers.append(sms)
        pay = PaymentSystemSimulator(port=port(_port(s.payments_url)), secret=s.payments_secret).start()
        running.servers.append(pay)
        mail = MailSink(port=port(s.mail_sink_page_port), smtp_port=None if free_ports else s.smtp_port).start()
        running.servers.append(mail)
        bss = SimulatorServer(BssSimulator(), port(_port(s.bss_url))).start()  # issue 17: the BSS facts contract
        running.servers.append(bss)
    except BaseException:
        running.stop()
        raise
    running.urls = {"hss": hss.url, "smdp": smdp.url, "sms": sms.url, "payments": pay.url, "mail": mail.url,
                    "bss": bss.url,
                    "smtp": f"smtp://{mail.smtp_host}:{mail.smtp_port}"}
    return running
