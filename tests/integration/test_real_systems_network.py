"""Issue 13, items 5–8: the network clients against simulators that behave like PyHSS and the Open5GS WebUI
(PROTOCOLS.md §B, §C). Each test fails against the client as it was before, on the faithful simulator."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from simexit.integrations.errors import IntegrationError
from simexit.integrations.network.base import Subscriber
from simexit.integrations.network.open5gs import Open5gsProvisioner
from simexit.integrations.network.pyhss import PyHssProvisioner
from simexit.simulators.hss import HssSimulator
from simexit.simulators.http_server import SimulatorServer
from simexit.simulators.open5gs import Open5gsSimulator

KEY = "provisioning-key-for-tests"
IMSI, MSISDN, ICCID = "001010000000101", "+8613900000101", "8986001000000000101"


@pytest.fixture
def hss() -> Iterator[SimulatorServer]:
    with SimulatorServer(HssSimulator(KEY)) as server:
        yield server


def seed(server: SimulatorServer, **entry) -> dict:
    body = {"imsi": IMSI, "msisdn": MSISDN, "iccid": ICCID, **entry}
    return httpx.post(f"{server.url}/_sim/seed", json=[body]).json()[0]


def state(server: SimulatorServer) -> dict:
    return httpx.get(f"{server.url}/_sim/state").json()


def effects(server: SimulatorServer, kind: str | None = None) -> list[dict]:
    return [e for e in httpx.get(f"{server.url}/_sim/effects").json() if kind is None or e["kind"] == kind]


def close_line(client: PyHssProvisioner, sub: Subscriber) -> None:
    client.bar(sub, "SX-TEST:network_bar")
    client.deregister(sub, "SX-TEST:network_deregister")
    client.delete(sub, "SX-TEST:network_delete")


# -- item 5: several IMS rows on one IMSI -------------------------------------------------------------------
def test_several_ims_rows_on_one_imsi_the_line_is_detached_and_its_ims_row_deleted(hss):
    seed(hss, extra_ims_msisdns=["+8613900000199"])
    client = PyHssProvisioner(hss.url, KEY)
    # PyHSS's own answer for the IMSI lookup: 400 null, as if the line had no IMS identity
    assert httpx.get(f"{hss.url}/ims_subscriber/ims_subscriber_imsi/{IMSI}").status_code == 400
    close_line(client, Subscriber(MSISDN, IMSI, ICCID))
    # detached from the MME with a subscription withdrawal, and no IMS row keeps the closed number
    assert [e["type"] for e in effects(hss, "cancel_location") if e["sent"]] == [1, 2]
    left = state(hss)
    assert [r["msisdn"] for r in left["ims_subscribers"]] == ["8613900000199"]  # the other number's row stays
    assert left["subscribers"] == [] and left["auc"] == []


# -- item 6: data-only lines, and a deregistration that reports nothing ------------------------------------
def test_a_data_only_line_is_detached_through_push_clr_of_type_2(hss):
    seed(hss, ims=False)
    client = PyHssProvisioner(hss.url, KEY)
    sub = Subscriber(MSISDN, IMSI, ICCID)
    client.bar(sub, "k:bar")
    done = client.deregister(sub, "k:deregister")
    assert done == {"mme": "cancel_location_queued:mme.sim"}
    assert [(e["type"], e["sent"]) for e in effects(hss, "cancel_location")] == [(1, True), (2, True)]
    assert state(hss)["subscribers"][0]["serving_mme"] is None


def test_a_serving_mme_that_is_not_connected_is_a_retryable_failure_not_a_silent_success(hss):
    seed(hss)
    httpx.post(f"{hss.url}/_sim/peers", json={"mme.sim": {"Connected": False}})
    client = PyHssProvisioner(hss.url, KEY)
    sub = Subscriber(MSISDN, IMSI, ICCID)
    client.bar(sub, "k:bar")
    with pytest.raises(IntegrationError) as e:
        client.deregister(sub, "k:deregister")
    assert (e.value.code, e.value.retryable) == ("MME_PEER_NOT_CONNECTED", True)
    # nothing was cleared, so a retry once the peer is back still sends the Cancel-Location
    assert state(hss)["subscribers"][0]["serving_mme"] == "mme.sim"
    # what /oam/deregister would have done: 200 and the fields cleared, with nothing sent
    answer = httpx.get(f"{hss.url}/oam/deregister/{IMSI}")
    assert answer.status_code == 200 and answer.json()["subscriber"]["serving_mme"] is None
    assert [e["sent"] for e in effects(hss, "cancel_location")] == [False, False]


def test_push_clr_answers_400_without_a_connected_peer(hss):
    seed(hss)
    httpx.post(f"{hss.url}/_sim/peers", json={"mme.sim": {"Connected": False}})
    r = httpx.put(f"{hss.url}/push/clr/{IMSI}", headers={"Provisioning-Key": KEY}, json={
        "diameterPeer": "mme.sim", "DestinationHost": "mme.sim", "DestinationRealm": "epc.sim",
        "cancellationType": 2, "immediateReattach": False})
    assert (r.status_code, r.json()) == (400, {"result": "Failed queueing CLR to mme.sim"})


# -- item 7: leftovers, outages and null answers -------------------------------------------------------------
def test_deleting_removes_attributes_and_static_ip_so_the_next_subscriber_inherits_nothing(hss):
    first = seed(hss, attributes={"tariff": "closed-line"}, static_ip="10.45.0.7")
    PyHssProvisioner(hss.url, KEY).delete(Subscriber(MSISDN, IMSI, ICCID), "k:delete")
    left = state(hss)
    assert left["subscriber_attributes"] == [] and left["subscriber_routing"] == []
    # SQLite hands the freed id to the next subscriber; it must start clean
    nxt = seed(hss, imsi="001010000000102", msisdn="+8613900000102", iccid="8986001000000000102")
    assert nxt["subscriber_id"] == first["subscriber_id"]
    assert httpx.get(f"{hss.url}/subscriber/imsi/001010000000102").json()["attributes"] == []


def test_lookups_follow_every_change_among_many_subscribers(hss):
    """The simulator finds rows by index, as PyHSS's database does; what it finds follows every write."""
    h = {"Provisioning-Key": KEY}
    subs = httpx.post(f"{hss.url}/_sim/seed", json=[
        {"imsi": f"0010100000{i:05d}", "msisdn": f"+86139000{i:05d}", "iccid": f"89860010000000{i:05d}"}
        for i in range(1, 2001)]).json()
    assert [s["subscriber_id"] for s in subs[:3]] == [1, 2, 3]
    assert httpx.get(f"{hss.url}/subscriber/msisdn/8613900001500").json()["imsi"] == "001010000001500"
    # a changed MSISDN is found under the new number only
    httpx.patch(f"{hss.url}/subscriber/{subs[9]['subscriber_id']}", headers=h, json={"msisdn": "+8613900099999"})
    assert httpx.get(f"{hss.url}/subscriber/msisdn/8613900099999").json()["imsi"] == "001010000000010"
    assert httpx.get(f"{hss.url}/subscriber/msisdn/8613900000010").json() is None
    # a deleted subscriber is gone from every look-up; on SQLite the highest id freed is handed out again
    last = subs[-1]
    httpx.delete(f"{hss.url}/subscriber/{last['subscriber_id']}", headers=h)
    assert httpx.get(f"{hss.url}/subscriber/imsi/001010000002000").json() is None
    again = seed(hss, imsi="001010000009999", msisdn="+8613900009999", iccid="8986001000000009999")
    assert again["subscriber_id"] == last["subscriber_id"]
    # a second subscriber on an MSISDN makes that look-up ambiguous: PyHSS answers null
    seed(hss, imsi="001010000008888", msisdn="+8613900000777", iccid="8986001000000008888")
    assert httpx.get(f"{hss.url}/subscriber/msisdn/8613900000777").json() is None
    assert httpx.get(f"{hss.url}/subscriber/imsi/001010000008888").json()["msisdn"] == "8613900000777"


def test_on_mariadb_ids_start_at_1_and_a_freed_one_is_not_handed_out_again():
    h = {"Provisioning-Key": KEY}
    with SimulatorServer(HssSimulator(KEY, backend="mariadb")) as hss:
        first = seed(hss)
        assert (first["subscriber_id"], first["auc_id"]) == (1, 1)  # AUTO_INCREMENT starts at 1
        httpx.delete(f"{hss.url}/subscriber/1", headers=h)
        nxt = seed(hss, imsi="001010000000102", msisdn="+8613900000102", iccid="8986001000000000102")
        assert nxt["subscriber_id"] == 2  # InnoDB's counter does not go back (SQLite's max(id) + 1 would)


def test_on_sqlite_pyhss_itself_orphans_the_rows_that_the_client_must_delete(hss):
    first = seed(hss, attributes={"tariff": "closed-line"})
    h = {"Provisioning-Key": KEY}
    httpx.delete(f"{hss.url}/subscriber/{first['subscriber_id']}", headers=h)
    nxt = seed(hss, imsi="001010000000102", msisdn="+8613900000102", iccid="8986001000000000102")
    inherited = httpx.get(f"{hss.url}/subscriber/imsi/001010000000102").json()["attributes"]
    assert nxt["subscriber_id"] == first["subscriber_id"] and [a["value"] for a in inherited] == ["closed-line"]


def test_a_database_outage_is_retryable(hss):
    seed(hss)
    httpx.post(f"{hss.url}/_sim/database", json={"state": "down"})
    for step in ("bar", "deregister", "delete"):
        with pytest.raises(IntegrationError) as e:
            getattr(PyHssProvisioner(hss.url, KEY), step)(Subscriber(MSISDN, IMSI, ICCID), f"k:{step}")
        assert (e.value.code, e.value.retryable) == ("DATABASE_UNAVAILABLE", True), step


def test_a_null_msisdn_lookup_is_not_taken_for_gone(hss):
    """A duplicate MSISDN makes /subscriber/msisdn answer 200 null; without the IMSI, the card's AuC row names it."""
    seed(hss)
    seed(hss, imsi="001010000000109", iccid="8986001000000000109", ims=False)  # a stale row, the same number
    PyHssProvisioner(hss.url, KEY).delete(Subscriber(MSISDN, None, ICCID), "k:delete")
    left = state(hss)
    assert [s["imsi"] for s in left["subscribers"]] == ["001010000000109"]
    assert [a["iccid"] for a in left["auc"]] == ["8986001000000000109"]


def test_the_operation_log_keeps_the_deleted_secrets(hss):
    """What the erasure documentation must say: PyHSS's operation log keeps deleted rows, Ki/OPc included,
    and serves them without a key."""
    seed(hss)
    PyHssProvisioner(hss.url, KEY).delete(Subscriber(MSISDN, IMSI, ICCID), "k:delete")
    log = httpx.get(f"{hss.url}/operation_logs/list").json()
    deleted_auc = next(e for e in log if e["operation"] == "DELETE" and e["table_name"] == "auc")
    # a text, as the real PyHSS writes it: "ki: [str] 465B… ----> [NoneType] None\r\n\r\n…"
    assert f"ki: [str] {'0' * 32} ----> [NoneType] None" in deleted_auc["changes"].split("\r\n\r\n")
    assert f"imsi: [str] {IMSI} ----> [NoneType] None" in deleted_auc["changes"]


# -- seen against the real PyHSS @47a3a16 on 127.0.0.1 (2026-12-06), SQLite and MariaDB backends ---------------
H = {"Provisioning-Key": KEY}


def test_a_create_answers_every_column_with_its_default(hss):
    auc = httpx.put(f"{hss.url}/auc/", headers=H, json={"ki": "1" * 32, "opc": "2" * 32, "amf": "8000", "sqn": 1,
                                                         "iccid": ICCID, "imsi": IMSI}).json()
    assert (auc["algo"], auc["esim"], auc["misc4"]) == ("3", False, None)
    sub = httpx.put(f"{hss.url}/subscriber/", headers=H, json={"imsi": IMSI, "msisdn": MSISDN, "auc_id": auc["auc_id"],
                                                                "default_apn": 1, "apn_list": "1"}).json()
    assert (sub["enabled"], sub["ue_ambr_dl"], sub["roaming_enabled"], sub["serving_mme"]) == (True, 999999, True, None)
    assert sub["msisdn"] == MSISDN.lstrip("+")  # stored without its +
    assert httpx.get(f"{hss.url}/subscriber/{sub['subscriber_id']}").json()["subscribed_rau_tau_timer"] == 300


@pytest.mark.parametrize("backend", ["sqlite", "mariadb"])
def test_a_create_with_an_unknown_column_is_500_and_without_a_required_one_400(backend):
    with SimulatorServer(HssSimulator(KEY, backend=backend)) as hss:
        body = {"imsi": IMSI, "msisdn": MSISDN, "auc_id": 1, "default_apn": 1, "apn_list": "1"}
        bogus = httpx.put(f"{hss.url}/subscriber/", headers=H, json={**body, "bogus": 1})
        assert bogus.status_code == 500
        assert bogus.json()["reason"].endswith("'bogus' is an invalid keyword argument for SUBSCRIBER")
        no_auc = httpx.put(f"{hss.url}/subscriber/", headers=H, json={k: v for k, v in body.items() if k != "auc_id"})
        assert no_auc.status_code == 400 and "integrity error" in no_auc.json()["reason"]
        assert ("subscriber.auc_id" if backend == "sqlite" else "Column 'auc_id' cannot be null") \
            in no_auc.json()["reason"]
        # AuC 1 does not exist: MariaDB checks the foreign key, PyHSS's SQLite does not
        dangling = httpx.put(f"{hss.url}/subscriber/", headers=H, json=body)
        assert dangling.status_code == (200 if backend == "sqlite" else 400)
        assert httpx.delete(f"{hss.url}/auc/999999", headers=H).json() is None  # no row: 200 null, never a 500
        assert state(hss)["subscribers"] == ([] if backend == "mariadb" else [dangling.json()])


def test_a_look_up_by_msisdn_with_its_plus_or_by_a_non_numeric_id_finds_nothing(hss):
    seed(hss)
    plain = httpx.get(f"{hss.url}/subscriber/msisdn/{MSISDN.lstrip('+')}")
    assert plain.json()["imsi"] == IMSI
    for path in (f"/subscriber/msisdn/{MSISDN}", "/subscriber/abc", "/auc/abc", "/ims_subscriber/x1"):
        answer = httpx.get(f"{hss.url}{path}")
        assert (answer.status_code, answer.json()) == (200, None), path
    # and the client never sends the +, so it still finds and closes the line
    close_line(PyHssProvisioner(hss.url, KEY), Subscriber(MSISDN, None, ICCID))
    assert state(hss)["subscribers"] == []


def test_on_mariadb_an_operation_id_longer_than_36_answers_null_but_the_change_is_made():
    with SimulatorServer(HssSimulator(KEY, backend="mariadb")) as hss:
        sid = seed(hss)["subscriber_id"]
        answer = httpx.patch(f"{hss.url}/subscriber/{sid}", headers=H, params={"operation_id": "x" * 40},
                             json={"enabled": False})
        assert (answer.status_code, answer.json()) == (200, None)
        assert httpx.get(f"{hss.url}/subscriber/{sid}").json()["enabled"] is False
        # simexit's keys are longer than that; the client cuts them to the column's 36 and reads the answer
        PyHssProvisioner(hss.url, KEY).bar(Subscriber(MSISDN, IMSI, ICCID), "SX-2026-000001:network_bar:" + "k" * 16)


def test_deregister_names_the_subscribers_apns_in_its_pcrf_part(hss):
    seed(hss)
    answer = httpx.get(f"{hss.url}/oam/deregister/{IMSI}").json()
    assert answer["pcrf"] == {"apns": {"internet": {}}}


# -- item 8: Open5GS ------------------------------------------------------------------------------------------
@pytest.fixture
def open5gs() -> Iterator[SimulatorServer]:
    with SimulatorServer(Open5gsSimulator()) as server:
        httpx.post(f"{server.url}/_sim/seed", json=[{"imsi": IMSI, "msisdn": MSISDN}])
        yield server


def test_open5gs_bar_and_delete_say_that_service_stops_only_at_the_next_authentication(open5gs):
    client = Open5gsProvisioner(open5gs.url, "admin", "1423")
    sub = Subscriber(MSISDN, None, ICCID)
    client.bar(sub, "k:bar")
    assert client.deregister(sub, "k:deregister") == {"service_stops": "at_next_authentication"}
    client.delete(sub, "k:delete")
    client.delete(sub, "k:delete")  # a repeat: 404, already gone
    assert [(e["kind"], e["service"]) for e in httpx.get(f"{open5gs.url}/_sim/effects").json()] == [
        ("bar", "continues"), ("delete", "until_next_authentication")]


def test_open5gs_webui_regenerates_the_session_at_login_and_checks_csrf_and_jwt(open5gs):
    c = httpx.Client(base_url=open5gs.url)
    old = c.get("/api/auth/csrf").json()["csrfToken"]
    login = c.post("/api/auth/login", headers={"X-CSRF-Token": old}, json={"username": "admin", "password": "1423"})
    assert login.status_code == 302
    session = c.get("/api/auth/session").json()
    jwt = {"Authorization": f"Bearer {session['authToken']}"}
    assert c.get(f"/api/db/Subscriber/{IMSI}").status_code == 401
    stale = c.patch(f"/api/db/Subscriber/{IMSI}", headers={**jwt, "X-CSRF-Token": old}, json={"subscriber_status": 1})
    assert stale.status_code == 403 and "CSRF token mismatch" in stale.text
    ok = c.patch(f"/api/db/Subscriber/{IMSI}", headers={**jwt, "X-CSRF-Token": session["csrfToken"]},
                 json={"subscriber_status": 1, "request_cancel_location": True})
    assert ok.status_code == 200 and "request_cancel_location" not in ok.json()  # dropped by the schema
    assert c.get("/api/db/Subscriber/001019999999999", headers=jwt).json() == {"name": "Error", "message": "Not Found"}
    assert httpx.post(f"{open5gs.url}/api/auth/login", json={"username": "admin", "password": "x"}).status_code == 403
