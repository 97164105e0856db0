"""Issue 13, items 1–4 and 10, over real TLS: a CA, server and client certificates made in the test
(trustme); the SM-DP+ simulator requires a client certificate, and simexit's callback runs on uvicorn with a
client CA and is called by the SM-DP+ with its own certificate (PROTOCOLS.md §A)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trustme
import uvicorn
from cryptography import x509
from fastapi.testclient import TestClient
from sqlalchemy import select

from simexit.asgi import create_app
from simexit.config import Settings
from simexit.integrations.errors import IntegrationError
from simexit.integrations.esim.es2plus import Es2PlusClient
from simexit.integrations.tls import CLIENT_CERT_PROTOCOL, client_context
from simexit.services.access import commands as access
from simexit.services.access.caller import System
from simexit.simulators.http_server import ServerTls, SimulatorServer
from simexit.simulators.smdp import SmdpSimulator
from simexit.store.tables import esim_profiles
from simexit.store.tables_api import esim_notifications
from tests.factories import make_line

ICCID = "8988211000000000017"


@dataclass
class Pki:
    ca: Path
    server: Path     # key + chain of 127.0.0.1 (the SM-DP+ simulator, simexit's callback)
    operator: Path   # simexit's client certificate towards the SM-DP+
    smdp: Path       # the SM-DP+'s client certificate towards simexit
    smdp_subject: str
    smdp_fingerprint: str


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(d / "ca.pem"))
    ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(str(d / "server.pem"))
    ca.issue_cert("simexit.operator.example", common_name="simexit.operator.example") \
        .private_key_and_cert_chain_pem.write_to_path(str(d / "operator.pem"))
    smdp = ca.issue_cert("smdp.vendor.example", common_name="smdp.vendor.example",
                         organization_name="SM-DP+ Vendor")
    smdp.private_key_and_cert_chain_pem.write_to_path(str(d / "smdp.pem"))
    cert = x509.load_pem_x509_certificate(smdp.cert_chain_pems[0].bytes())
    from cryptography.hazmat.primitives import hashes

    return Pki(d / "ca.pem", d / "server.pem", d / "operator.pem", d / "smdp.pem", cert.subject.rfc4514_string(),
               cert.fingerprint(hashes.SHA256()).hex(":").upper())


@pytest.fixture
def smdp(pki: Pki) -> Iterator[SimulatorServer]:
    sim = SmdpSimulator(tls=ServerTls(pki.server, client_ca=pki.ca))
    with SimulatorServer(sim) as server:
        httpx.post(f"{server.url}/_sim/seed", verify=client_context(pki.ca, pki.operator),
                   json=[{"iccid": ICCID, "state": "Released"}]).raise_for_status()
        yield server


# -- item 1: the client certificate reaches the SM-DP+ ---------------------------------------------------------
def test_es2plus_client_presents_its_certificate_to_an_smdp_that_requires_one(pki, smdp):
    client = Es2PlusClient(smdp.url, "simexit", client_cert=pki.operator, ca_file=pki.ca)
    client.cancel_order(ICCID, "Unavailable", "SX-0000-0000-0:esim")
    assert [e["kind"] for e in httpx.get(f"{smdp.url}/_sim/effects",
                                         verify=client_context(pki.ca, pki.operator)).json()] == ["cancel_order"]


def test_the_old_construction_loses_the_certificate_and_the_handshake_is_refused(pki, smdp):
    """What simexit did before: ``cert=`` beside a ``verify=`` path. httpx ≥ 0.28 drops the certificate."""
    old = httpx.Client(base_url=smdp.url, cert=str(pki.operator), verify=str(pki.ca))
    client = Es2PlusClient(smdp.url, "simexit", client=old)
    with pytest.raises(IntegrationError) as e:
        client.cancel_order(ICCID, "Unavailable", "SX-0000-0000-0:esim")
    assert (e.value.code, e.value.retryable) == ("UNREACHABLE", True)


def test_an_smdp_refuses_a_client_without_a_certificate(pki, smdp):
    with pytest.raises(IntegrationError) as e:
        Es2PlusClient(smdp.url, "simexit", ca_file=pki.ca).release_profile(ICCID, "k")
    assert e.value.code == "UNREACHABLE"


# -- item 2: the SM-DP+ authenticates to the callback with its certificate ---------------------------------------
@pytest.fixture
def callback(app, pki: Pki) -> Iterator[tuple[str, object]]:
    """simexit on uvicorn over TLS with the partners' client CA (certificates optional: browsers have none)."""
    web = create_app(app)
    web.state.api_settings = Settings(partner_certificates={pki.smdp_subject: "smdp-vendor"})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                                           ssl_certfile=str(pki.server), ssl_ca_certs=str(pki.ca),
                                           ssl_cert_reqs=ssl.CERT_OPTIONAL, http=CLIENT_CERT_PROTOCOL))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "simexit did not start"
        time.sleep(0.02)
    yield f"https://127.0.0.1:{port}", web
    server.should_exit = True
    thread.join(5)


def esim_line(app, state: str = "Installed") -> str:
    """A line with one eSIM profile in ``state``; returns the profile's iccid."""
    make_line(app, "globetalk", kind="esim", esim_state=state)
    with app.db.read() as conn:
        return conn.execute(select(esim_profiles.c.iccid)).scalar_one()


def profile_state(app) -> str:
    with app.db.read() as conn:
        return conn.execute(select(esim_profiles.c.state)).scalar_one()


def test_the_smdp_notifies_with_its_client_certificate_and_no_api_key(app, pki, callback):
    url, _ = callback
    iccid = esim_line(app)
    access.create_partner_key(app, System(), "smdp-vendor", ["smdp"])
    sim = SmdpSimulator(callback_url=url, client_tls=client_context(pki.ca, pki.smdp))
    answer = sim.notify(iccid, operation="delete")
    assert answer["status"] == 204, answer
    assert "x-api-key" not in {k.lower() for k in answer["sent"]}
    assert profile_state(app) == "Deleted"


def test_a_certificate_that_maps_to_no_partner_and_no_certificate_are_both_401(app, pki, callback):
    url, _ = callback
    iccid = esim_line(app)
    # no partner called smdp-vendor with the smdp scope: the certificate names nobody
    sim = SmdpSimulator(callback_url=url, client_tls=client_context(pki.ca, pki.smdp))
    assert sim.notify(iccid, operation="delete")["status"] == 401
    access.create_partner_key(app, System(), "smdp-vendor", ["smdp"])
    anonymous = SmdpSimulator(callback_url=url, client_tls=client_context(pki.ca, None))
    assert anonymous.notify(iccid, operation="delete")["status"] == 401
    assert profile_state(app) == "Installed"


def test_a_trusted_proxy_passes_the_verified_fingerprint(app, api, pki):
    iccid = esim_line(app)
    access.create_partner_key(app, System(), "smdp-vendor", ["smdp"])
    api.state.api_settings = Settings(partner_certificates={pki.smdp_fingerprint: "smdp-vendor"},
                                      trusted_proxies=["testclient"], client_cert_header="X-SSL-Client-SHA256")
    body = SmdpSimulator().notification(iccid, operation="delete")
    header = {"X-SSL-Client-SHA256": pki.smdp_fingerprint.replace(":", "").lower()}
    with TestClient(api, base_url="https://testserver") as c:
        assert c.post("/gsma/rsp2/es2plus/handleDownloadProgressInfo", json=body, headers=header).status_code == 204
    assert profile_state(app) == "Deleted"
    api.state.api_settings = Settings(partner_certificates={pki.smdp_fingerprint: "smdp-vendor"},
                                      trusted_proxies=["10.0.0.9"], client_cert_header="X-SSL-Client-SHA256")
    with TestClient(api, base_url="https://testserver") as c:  # the header from anyone else counts for nothing
        assert c.post("/gsma/rsp2/es2plus/handleDownloadProgressInfo", json=body, headers=header).status_code == 401


# -- items 3, 4 and 10: what the notification says -------------------------------------------------------------
@pytest.fixture
def smdp_partner(app, api):
    key = access.create_partner_key(app, System(), "smdp-vendor", ["smdp"]).key
    with TestClient(api, base_url="https://testserver", headers={"X-Api-Key": key}) as c:
        yield c


def post(c: TestClient, body: dict) -> httpx.Response:
    return c.post("/gsma/rsp2/es2plus/handleDownloadProgressInfo", json=body)


def test_notification_point_5_is_deleted_and_frees_the_iccid(app, smdp_partner):
    iccid = esim_line(app)
    body = SmdpSimulator().notification(iccid, operation="delete", result_data=False)
    assert body["notificationPointId"] == 5
    assert post(smdp_partner, body).status_code == 204
    assert profile_state(app) == "Deleted"


def test_result_data_names_the_operation_whatever_the_point_says(app, smdp_partner, api):
    iccid = esim_line(app, state="Installed")
    body = SmdpSimulator().notification(iccid, operation="disable", point=5)  # resultData: disable
    assert post(smdp_partner, body).status_code == 204
    assert profile_state(app) == "Disabled"
    # a vendor's own value, mapped per SM-DP+ in the settings
    api.state.api_settings = Settings(smdp_notification_points={"smdp-vendor": {102: "delete"}})
    body = SmdpSimulator(point_as_string=True).notification(iccid, operation="delete", point=102,
                                                            result_data=False)
    assert body["notificationPointId"] == "102" and post(smdp_partner, body).status_code == 204
    assert profile_state(app) == "Deleted"


def test_an_unknown_point_is_recorded_and_changes_nothing(app, smdp_partner):
    iccid = esim_line(app, state="Installed")
    assert post(smdp_partner, SmdpSimulator().notification(iccid, point=7, result_data=False)).status_code == 204
    assert profile_state(app) == "Installed"
    with app.db.read() as conn:
        assert conn.execute(select(esim_notifications.c.new_state)).scalars().all() == [None]


def test_a_constant_call_identifier_does_not_swallow_later_notifications(app, smdp_partner):
    iccid = esim_line(app, state="Released")
    sim = SmdpSimulator(constant_fci=True)
    install = sim.notification(iccid, operation="install")
    delete = sim.notification(iccid, operation="delete")
    assert install["header"] == delete["header"]
    assert post(smdp_partner, install).status_code == 204
    assert post(smdp_partner, install).status_code == 204  # the SM-DP+ retries: recorded once
    assert post(smdp_partner, delete).status_code == 204
    assert profile_state(app) == "Deleted"
    with app.db.read() as conn:
        assert len(conn.execute(select(esim_notifications.c.id)).all()) == 2


def test_a_timestamp_without_a_time_zone_is_422_not_500(app, smdp_partner):
    iccid = esim_line(app)
    r = post(smdp_partner, SmdpSimulator().notification(iccid, operation="delete", naive_timestamp=True))
    assert r.status_code == 422 and r.json()["code"] == "TIMESTAMP_WITHOUT_TIME_ZONE"
    assert profile_state(app) == "Installed"
