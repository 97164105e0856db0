"""The outside world for worker tests: the HSS and SM-DP+ simulators as real HTTP servers on 127.0.0.1, the
recording test doubles, and helpers to seed lines into the simulators and apply for their closure."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from simexit.integrations.esim.es2plus import Es2PlusClient
from simexit.integrations.network.pyhss import PyHssProvisioner
from simexit.integrations.wiring import Integrations
from simexit.services.closure.applications import ApplyRequest, apply
from simexit.services.closure.precheck import precheck
from simexit.services.context import Simexit
from simexit.simulators.hss import HssSimulator
from simexit.simulators.http_server import SimulatorServer
from simexit.simulators.smdp import SmdpSimulator
from simexit.store.tables import esim_profiles, lines
from tests.factories import make_line
from tests.recording_doubles import Recorder, RecordingNotifier, RecordingRefundGateway, RecordingSender

BRANDS = {"K1": "roamly", "K2": "globetalk", "K3": "baohao", "K4": "liuliang", "K5": "hansanet", "K6": "huaxin"}
PROVISIONING_KEY = "sim-provisioning-key"
_imsi = itertools.count(1)


@dataclass
class World:
    hss: SimulatorServer
    smdp: SimulatorServer
    recorder: Recorder = field(default_factory=lambda: Recorder(path=""))
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=5, verify=False))

    def integrations(self, timeout: float = 5) -> Integrations:
        return Integrations(
            network=PyHssProvisioner(self.hss.url, PROVISIONING_KEY, timeout=timeout),
            smdp=Es2PlusClient(self.smdp.url, "simexit-test", timeout=timeout),
            senders={k: RecordingSender(k, self.recorder) for k in ("sms", "email")},
            refunds=RecordingRefundGateway(self.recorder), notifier=RecordingNotifier(self.recorder))

    def get(self, server: SimulatorServer, what: str) -> Any:
        return self.http.get(f"{server.url}/_sim/{what}").json()

    def post(self, server: SimulatorServer, what: str, body: Any) -> Any:
        return self.http.post(f"{server.url}/_sim/{what}", json=body).json()

    def effects(self, server: SimulatorServer) -> list[dict[str, Any]]:
        return self.get(server, "effects")

    def seed_line(self, app: Simexit, msisdn: str) -> dict[str, Any]:
        with app.db.read() as conn:
            line = conn.execute(select(lines).where(lines.c.msisdn == msisdn)).mappings().one()
            profiles = conn.execute(select(esim_profiles).where(esim_profiles.c.line_id == line["id"])).mappings().all()
        self.post(self.hss, "seed", [{"imsi": line["imsi"], "msisdn": msisdn, "iccid": line["iccid"],
                                      "ims": line["kind"] != "data", "esim": line["kind"] == "esim"}])
        seeded = [{"iccid": p["iccid"], "state": p["state"], "eid": p["eid"]} for p in profiles]
        if line["kind"] == "esim" and not profiles:
            seeded = [{"iccid": line["iccid"], "state": "Released"}]
        if seeded:
            self.post(self.smdp, "seed", seeded)
        return {"imsi": line["imsi"], "iccid": line["iccid"], "profiles": [p["iccid"] for p in seeded],
                "kind": line["kind"]}


def start_world() -> World:
    return World(SimulatorServer(HssSimulator(PROVISIONING_KEY)).start(), SimulatorServer(SmdpSimulator()).start())


def stop_world(world: World) -> None:
    world.http.close()
    world.hss.stop()
    world.smdp.stop()


def new_imsi(brand_jurisdiction: str) -> str:
    mcc = {"CN": "46000", "DE": "26201", "US": "31026"}.get(brand_jurisdiction, "00101")
    return f"{mcc}{next(_imsi):010d}"


def clean_line(app: Simexit, brand: str, **kw: Any) -> dict[str, Any]:
    policy = app.policy(brand)
    kind = {"K3": "sim", "K4": "data", "K6": "sim"}.get(policy.brand.card_kind, "esim")
    kw.setdefault("kind", kind)
    kw.setdefault("imsi", new_imsi(policy.brand.jurisdiction))
    return make_line(app, brand, **kw)


def apply_for(app: Simexit, msisdn: str, **kw: Any) -> str:
    pc = precheck(app, msisdn)
    assert pc.eligible, [f.code for f in pc.findings]
    policy = pc.policy
    channel = policy.brand.channels[0]
    staff = channel in ("hotline", "chat", "store", "mail")
    method = {"hotline": "service_password", "store": "id_document_inspected", "mail": "id_copy_mailed",
              "chat": "service_password"}.get(channel, "otp")
    refund = next((m for m in policy.refund.methods if m not in ("bank_transfer", "alipay", "wechat_pay")), None)
    req = ApplyRequest(msisdn=msisdn, channel=channel, identity_method=method, staff_ref="sam" if staff else None,
                       staff_role="store_clerk" if staff else None,
                       consequences_confirmed=list(pc.to_dict()["consequences"]),
                       refund_method=refund if pc.quote.refund_minor else None, **kw)
    return apply(app, req).application_no
