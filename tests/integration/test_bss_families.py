"""Issue 17, items 3 and 4: a line's facts asked live of the operator's BSS (the BSS simulator speaking TMF637 /
TMF666 / TMF678 as a real HTTP server), families of lines in the pre-check, one application and one quote for a
bundle with a secondary line moved to another main line, executed part by part (``partial`` when one part is
refused), and a BSS outage answered FACTS_UNAVAILABLE — never a guess."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from simexit.asgi import create_app
from simexit.domain.errors import DomainError, Unavailable
from simexit.domain.families import FamilyChoices
from simexit.integrations.bss.facts_source import BssFactsSource, bss_facts
from simexit.integrations.bss.tmf import BssClient
from simexit.services.closure.applications import ApplyRequest, apply, show
from simexit.services.closure.precheck import precheck
from simexit.simulators.bss import BssSimulator
from simexit.simulators.http_server import SimulatorServer
from simexit.store.tables import application_events, applications
from simexit.worker.runner import Worker, WorkerOptions
from tests.e2e.conftest import bearer, customer_token
from tests.simulated_world import clean_line

BRAND = "liuliang"  # CNY, immediate effect, clean applications approved automatically
SECONDARY, OTHER_MAIN = "+8613900000101", "+8613900000102"


def cny(yuan: str) -> dict[str, str]:
    return {"unit": "CNY", "value": yuan}


def seed_family(bss: BssSimulator, msisdn: str) -> None:
    party = [{"role": "customer", "partyOrPartyRole": {"id": "C-1"}}]
    acct = {"id": "BA-1"}
    mobile = {"id": "mobile"}
    bss.seed(
        products=[
            {"id": "P-MAIN", "name": "5G 129", "publicIdentifier": msisdn, "status": "active",
             "productSpecification": mobile, "relatedParty": party, "billingAccount": acct,
             "productCharacteristic": [{"name": "boundServices", "value": []}]},
            {"id": "P-SEC", "name": "副卡", "publicIdentifier": SECONDARY, "status": "active",
             "productSpecification": mobile, "relatedParty": party, "billingAccount": acct,
             "productRelationship": [{"relationshipType": "isSecondaryOf", "product": {"id": "P-MAIN"}}]},
            {"id": "P-OTHER", "name": "5G 59", "publicIdentifier": OTHER_MAIN, "status": "active",
             "productSpecification": mobile, "relatedParty": party, "billingAccount": acct},
            {"id": "P-BB", "name": "Broadband 300M", "status": "active", "productSpecification": {"id": "broadband"},
             "relatedParty": party,
             "productCharacteristic": [
                 {"name": "earlyTerminationFee", "value": cny("20.00")},
                 {"name": "lentEquipment", "value": [
                     {"id": "EQ-1", "name": "Optical modem", "serial": "ZTE123", "returnTo": "any store",
                      "returnWithinDays": 15, "nonReturnFee": cny("300.00")}]}]},
            {"id": "P-TV", "name": "IPTV", "status": "active", "productSpecification": {"id": "tv"},
             "relatedParty": party,
             "productCharacteristic": [{"name": "lentEquipment", "value": [
                 {"id": "EQ-2", "name": "TV box", "serial": "HW9", "returnTo": "courier pickup",
                  "returnWithinDays": 10}]}]},
            {"id": "B-1", "name": "融合套餐 199", "isBundle": True, "status": "active", "relatedParty": party,
             "product": [{"id": "P-MAIN"}, {"id": "P-BB"}, {"id": "P-TV"}]},
        ],
        accounts=[{"id": "BA-1", "accountBalance": [{"balanceType": "availableBalance", "amount": cny("50.00")}]}],
        bills=[{"id": "B-9", "billingAccount": acct, "state": "settled", "remainingAmount": cny("0.00"),
                "paymentDueDate": "2026-01-01"}],
    )


@pytest.fixture(scope="module")
def bss_server():
    server = SimulatorServer(BssSimulator()).start()
    yield server
    server.stop()


@pytest.fixture
def bss(bss_server) -> BssSimulator:
    bss_server.sim.reset()
    return bss_server.sim


def live(app, server, **kw) -> BssClient:
    client = BssClient(server.url, timeout_s=kw.pop("timeout_s", 2), cache_s=60)
    app.facts_source = bss_facts(client)
    return client


def test_bundle_with_a_secondary_line_moved_is_one_application_executed_part_by_part(app, sims, bss_server, bss):
    line = clean_line(app, BRAND, balance=5000)
    msisdn = line["msisdn"]
    seed_family(bss, msisdn)
    sims.seed_line(app, msisdn)
    client = live(app, bss_server)

    pc = precheck(app, msisdn)
    codes = {f.code: f for f in pc.findings}
    assert {"SECONDARY_LINES", "BUNDLE_PRODUCTS"} <= set(codes)
    assert codes["SECONDARY_LINES"].data["secondary_lines"] == [SECONDARY]
    assert codes["SECONDARY_LINES"].data["move_to"] == [OTHER_MAIN]
    assert all(codes[c].fix and set(codes[c].fix) == {"en", "zh-CN", "de"} for c in ("SECONDARY_LINES",
                                                                                     "BUNDLE_PRODUCTS"))
    kit = {e["name"]: e for e in codes["BUNDLE_PRODUCTS"].data["equipment"]}
    assert kit["Optical modem"]["return_to"] == "any store"
    assert kit["Optical modem"]["return_by"] == (pc.quote.effective_date + timedelta(days=15)).isoformat()
    assert kit["TV box"]["return_to"] == "courier pickup"
    assert pc.to_dict()["family_choices_required"] == {"secondary": {SECONDARY: ["close", OTHER_MAIN]},
                                                       "bundle": ["whole", "mobile_only"]}

    req = ApplyRequest(msisdn=msisdn, channel="online", identity_method="otp")
    with pytest.raises(DomainError) as refused:
        apply(app, req)
    assert refused.value.code == "FAMILY_CHOICE_REQUIRED" and refused.value.status == 422
    with pytest.raises(DomainError) as bad:
        apply(app, replace(req, family_choices=FamilyChoices({SECONDARY: "+8613999999999"}, "whole")))
    assert bad.value.code == "FAMILY_CHOICE_INVALID"

    # the customer's choice: the secondary line moves to their other main line, the whole bundle closes
    choices = FamilyChoices({SECONDARY: OTHER_MAIN}, "whole")
    pc = precheck(app, msisdn, family_choices=choices)
    q = pc.quote
    assert [(p.part, p.action, p.product_id, p.move_to) for p in q.parts] == [
        ("line", "close", "P-MAIN", None), ("secondary", "move", "P-SEC", OTHER_MAIN),
        ("bundle_product", "close", "P-BB", None), ("bundle_product", "close", "P-TV", None)]
    assert q.parts_fees_minor == 2000 and q.balance_minor == 5000
    policy = pc.policy
    assert q.refund_minor == 5000 - 2000 - policy.refund.fee_minor - policy.fees.cancellation_fee_minor
    bss.refuse_orders(["P-TV"])  # the TV part cannot be closed now
    number = apply(app, replace(req, family_choices=choices,
                                consequences_confirmed=list(pc.to_dict()["consequences"]),
                                refund_method=policy.refund.methods[0] if q.refund_minor else None,
                                refund_destination={"account": "x@example.com", "iban_or_account": "1",
                                                    "holder": "Test"})).application_no
    view = show(app, number)
    assert view["timeline"][0]["event"] == "submitted"
    assert view["quote"]["parts_fees_minor"] == 2000 and len(view["quote"]["parts"]) == 4

    integrations = replace(sims.integrations(), orders=client)
    Worker(app, integrations, WorkerOptions(backoff_seconds=1, max_attempts=3)).run_until_idle()
    view = show(app, number)
    assert view["status"] == "completed", view["timeline"][-1]
    assert view["execution_outcome"] == "partial"
    events = [(e["event"]) for e in view["timeline"]]
    assert {"part_moved", "part_closed", "part_failed", "execution_partial"} <= set(events)
    effects = [(e["kind"], e["product_id"]) for e in bss.effects]
    assert effects == [("move", "P-SEC"), ("terminate", "P-BB")]
    assert bss.products["P-SEC"]["productRelationship"][0]["product"]["id"] == "P-OTHER"
    assert bss.products["P-TV"]["status"] == "active"


def test_submitted_event_records_the_family_choice(app, sims, bss_server, bss):
    line = clean_line(app, BRAND, balance=0)
    seed_family(bss, line["msisdn"])
    live(app, bss_server)
    choices = FamilyChoices({SECONDARY: "close"}, "mobile_only")
    pc = precheck(app, line["msisdn"], family_choices=choices)
    assert [(p.part, p.action) for p in pc.quote.parts] == [
        ("line", "close"), ("secondary", "close"), ("bundle_product", "keep"), ("bundle_product", "keep")]
    assert pc.quote.parts_fees_minor == 0
    number = apply(app, ApplyRequest(msisdn=line["msisdn"], channel="online", identity_method="otp",
                                     family_choices=choices, refund_method="original_payment",
                                     consequences_confirmed=list(pc.to_dict()["consequences"]))).application_no
    with app.db.read() as conn:
        data = conn.execute(select(application_events.c.data).join(
            applications, applications.c.id == application_events.c.application_id)
            .where(applications.c.application_no == number, application_events.c.event == "submitted")).scalar_one()
    assert data["family_choices"] == {"secondary": {SECONDARY: "close"}, "bundle": "mobile_only"}
    view = show(app, number)
    assert view["quote"]["parts"][1]["action"] == "close"


@pytest.mark.parametrize("outage", ["503", "timeout", "down"])
def test_bss_outage_is_facts_unavailable_never_a_guess(app, bss_server, bss, outage):
    line = clean_line(app, BRAND, balance=5000)
    seed_family(bss, line["msisdn"])
    if outage == "503":
        bss.set_behaviour(fail_status=503)
        live(app, bss_server)
    elif outage == "timeout":
        bss.set_behaviour(delay_s=1.5)
        live(app, bss_server, timeout_s=0.5)
    else:
        client = BssClient("http://127.0.0.1:9", timeout_s=1, cache_s=60)  # nothing listens there
        app.facts_source = bss_facts(client)
    with pytest.raises(Unavailable) as e:
        precheck(app, line["msisdn"])
    assert e.value.code == "FACTS_UNAVAILABLE" and e.value.status == 503
    with pytest.raises(Unavailable):
        apply(app, ApplyRequest(msisdn=line["msisdn"], channel="online", identity_method="otp"))
    bss.set_behaviour(fail_status=None, delay_s=0)


@pytest.mark.parametrize("locale, text", [
    ("en", "systems do not answer. Nothing was decided"),
    ("zh-CN", "运营商系统"),
    ("de", "Systeme des Betreibers"),
])
def test_bss_outage_in_the_api_and_the_portal(app, bss_server, bss, locale, text):
    line = clean_line(app, BRAND, balance=5000)
    seed_family(bss, line["msisdn"])
    live(app, bss_server)
    bss.set_behaviour(fail_status=503)
    with TestClient(create_app(app), base_url="https://testserver") as http:
        token = customer_token(http, app, line["msisdn"])
        r = http.post("/api/v1/me/precheck", json={"msisdn": line["msisdn"]}, headers=bearer(token))
        assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "FACTS_UNAVAILABLE" and r.headers["retry-after"] == "30"
        http.cookies.set("lang", locale)
        http.cookies.set("sx_session", token)
        page = http.get("/lines/0/close")
        assert page.status_code == 503 and text in page.text, page.text
        assert "BALANCE" not in page.text and "FACTS_UNAVAILABLE" not in page.text
    bss.set_behaviour(fail_status=None)


def test_the_demo_bss_tells_the_same_facts_as_simexits_tables(app, bss_server, bss):
    """``simexit sim seed`` fills the BSS simulator from the demo data (scripts/start with
    SIMEXIT_FACTS_SOURCE=bss): the BSS source then tells the same facts, plus one demo family."""
    from simexit.demo.data import load_demo
    from simexit.demo.simulator_seed import bss_records
    from simexit.store.facts_source import SqlFactsSource

    load_demo(app)
    records = bss_records(app)
    bss.seed(**records)
    client = BssClient(bss_server.url, timeout_s=5, cache_s=0)
    with app.db.read() as conn:
        numbers = [p["publicIdentifier"] for p in records["products"] if p["id"].count("-") == 1
                   and p.get("publicIdentifier")]
        local = SqlFactsSource(conn).many_line_facts(numbers)
        remote = BssFactsSource(conn, client).many_line_facts(numbers)
    assert len(local) == len(numbers) > 5
    families = [m for m, f in remote.items() if not f.family.empty]
    assert len(families) == 1
    for m in numbers:
        assert replace(remote[m], family=local[m].family) == local[m], m
    fam = remote[families[0]].family
    assert fam.secondary_lines and fam.bundle_products and fam.shared_data_groups and fam.other_main_lines


def test_the_portal_asks_for_the_family_choices_and_quotes_every_part(app, bss_server, bss):
    line = clean_line(app, BRAND, balance=5000)
    msisdn = line["msisdn"]
    seed_family(bss, msisdn)
    live(app, bss_server)
    with TestClient(create_app(app), base_url="https://testserver") as http:
        token = customer_token(http, app, msisdn)
        http.cookies.set("lang", "zh-CN")
        http.cookies.set("sx_session", token)
        page = http.get("/lines/0/close")
        assert page.status_code == 200
        assert 'data-testid="family-secondary"' in page.text and 'data-testid="family-bundle"' in page.text
        assert "该主卡下有1张副卡" in page.text and "融合套餐" in page.text
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        form = {"csrf": csrf, f"family_secondary:{SECONDARY}": OTHER_MAIN, "family_bundle": "whole",
                "refund_method": "original_payment"}
        quote = http.post("/lines/0/quote", data=form)
        assert quote.status_code == 200, quote.text
        assert 'data-part="secondary" data-action="move"' in quote.text
        assert 'data-part="bundle_product" data-action="close"' in quote.text
        assert "Optical modem" in quote.text and "any store" in quote.text
        pc = precheck(app, msisdn, family_choices=FamilyChoices({SECONDARY: OTHER_MAIN}, "whole"))
        ticked = list(pc.to_dict()["consequences"])
        step2 = http.post("/lines/0/confirm", data={**form, "consequence": ticked})
        assert step2.status_code == 200 and 'name="id_tail"' in step2.text
        done = http.post("/lines/0/submit", data={**form, "consequence": ticked, "id_tail": line["id_number"][-6:]},
                         follow_redirects=False)
        assert done.status_code in (302, 303), done.text
    number = done.headers["location"].split("/")[2]
    view = show(app, number)
    assert [p["action"] for p in view["quote"]["parts"]] == ["close", "move", "close", "close"]
