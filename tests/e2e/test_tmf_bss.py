"""An operator's BSS end to end over TMF622/TMF637: a hub subscription (a real HTTP listener that checks each
event's signature), a draft order carrying the pre-check and quote, acknowledging it, the review, the worker
closing the line against the HSS simulator, the state-change events received in order, and the product
``terminated`` in TMF637. Also: cancelling while possible, refused after; another partner sees nothing."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from simexit.domain.state_machine import ActorType
from simexit.integrations.messaging.signed_webhook import SignedWebhookSender
from simexit.integrations.webhook_signature import verify
from simexit.services.closure.applications import Actor, approve
from simexit.store.tables import lines
from simexit.worker.runner import Worker, WorkerOptions
from tests.e2e.conftest import partner_key
from tests.simulated_world import clean_line, start_world, stop_world

ORDERING = "/tmf-api/productOrderingManagement/v5"
INVENTORY = "/tmf-api/productInventory/v5"
HUB_SECRET = "bss-hub-secret-0123456789"
REVIEWER = Actor(ActorType.STAFF, "rita", "reviewer", "store")


class Listener:
    """The BSS's event listener: records every POST, answers 204 when the signature is right, 401 otherwise."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))

                ok = verify(HUB_SECRET, self.headers.get("X-Simexit-Timestamp"),
                            self.headers.get("X-Simexit-Signature"), raw, int(time.time()))
                outer.received.append({"path": self.path, "signed": ok, "body": json.loads(raw),
                                       "event_id": self.headers.get("X-Simexit-Event-Id")})
                self.send_response(204 if ok else 401)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/listener"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def world():
    w = start_world()
    yield w
    stop_world(w)


def _worker(app, world) -> Worker:
    integrations = world.integrations()
    integrations.senders["webhook"] = SignedWebhookSender(HUB_SECRET)
    return Worker(app, integrations, WorkerOptions(backoff_seconds=1, max_attempts=3))


def _line(app, world, brand="baohao") -> tuple[str, str]:
    line = clean_line(app, brand, balance=5000)
    world.seed_line(app, line["msisdn"])
    with app.db.read() as conn:
        line_id = conn.execute(select(lines.c.id).where(lines.c.msisdn == line["msisdn"])).scalar_one()
    return line["msisdn"], str(line_id)


def _order(product_id: str, state: str = "draft") -> dict:
    return {"@type": "ProductOrder", "requestedInitialState": state, "externalId": [
                {"@type": "ExternalIdentifier", "id": "BSS-4711", "owner": "bss"}],
            "productOrderItem": [{"@type": "ProductOrderItem", "id": "1", "action": "delete", "product": {
                "@type": "Product", "id": product_id, "productCharacteristic": [
                    {"@type": "StringCharacteristic", "name": "terminationReason", "value": "moving_abroad"}]}}]}


def _chars(order: dict) -> dict:
    return {c["name"]: c["value"] for c in order["productOrderItem"][0]["product"]["productCharacteristic"]}


def test_the_bss_terminates_a_line_and_hears_each_state_in_order(client, app, world, listener):
    key = {"X-Api-Key": partner_key(app, ["tmf"])}
    _, product_id = _line(app, world)
    r = client.post(f"{ORDERING}/hub", json={"@type": "Hub", "callback": listener.url}, headers=key)
    assert r.status_code == 201, r.text
    assert r.json()["callback"] == listener.url

    # the draft: the quote and the findings, nothing applied
    r = client.post(f"{ORDERING}/productOrder", json=_order(product_id), headers=key)
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["state"] == "draft" and draft["@type"] == "ProductOrder"
    chars = _chars(draft)
    assert chars["eligible"] == "true" and chars["currency"] == "CNY"
    assert chars["terminationReason"] == "moving_abroad"
    assert {"refundMinor", "amountDueMinor", "effectiveDate", "reviewDueAt", "consequences"} <= set(chars)
    assert "applicationNo" not in chars
    r = client.get(f"{INVENTORY}/product/{product_id}", headers=key)
    assert r.status_code == 200 and r.json()["status"] == "active", r.text

    # acknowledged: the line's application is submitted (baohao: reviewed by a person)
    r = client.patch(f"{ORDERING}/productOrder/{draft['id']}", json={"@type": "ProductOrder", "state": "acknowledged"},
                     headers={**key, "Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["state"] == "acknowledged"
    number = _chars(order)["applicationNo"]
    worker = _worker(app, world)
    worker.run_until_idle()
    approve(app, number, REVIEWER)
    r = client.get(f"{INVENTORY}/product/{product_id}", headers=key)
    assert r.json()["status"] == "pendingTerminate" and "terminationDate" in r.json(), r.text
    worker.run_until_idle()
    worker.sweep(force=True)  # the follower turns the timeline into events
    worker.run_until_idle()

    r = client.get(f"{ORDERING}/productOrder/{draft['id']}", headers=key)
    assert r.json()["state"] == "completed", r.text
    r = client.get(f"{INVENTORY}/product/{product_id}", headers=key)
    product = r.json()
    assert product["status"] == "terminated" and product["terminationDate"], product
    assert product["productRelationship"] == []

    events = [(e["body"]["eventType"], e["body"]["event"]["productOrder"]["state"]) for e in listener.received]
    assert all(e["signed"] for e in listener.received)
    assert [s for t, s in events if t == "ProductOrderStateChangeEvent"] == ["acknowledged", "inProgress",
                                                                               "completed"]
    assert events[0] == ("ProductOrderCreateEvent", "draft")
    milestones = [e["body"]["event"]["productOrder"]["productOrderMilestone"][0]["name"]
                  for e in listener.received if e["body"]["eventType"] == "ProductOrderMilestoneEvent"]
    assert milestones == ["reviewed", "lineTerminated"]
    assert len({e["event_id"] for e in listener.received}) == len(listener.received)
    # nothing told twice when the follower runs again
    worker.sweep(force=True)
    worker.run_until_idle()
    assert len(listener.received) == len(events)


def test_cancel_withdraws_while_possible_and_is_refused_after(client, app, world, listener):
    key = {"X-Api-Key": partner_key(app, ["tmf"])}
    _, first = _line(app, world)
    r = client.post(f"{ORDERING}/productOrder", json=_order(first, "acknowledged"), headers=key)
    assert r.status_code == 201 and r.json()["state"] == "acknowledged", r.text
    order_id = r.json()["id"]
    r = client.post(f"{ORDERING}/cancelProductOrder", headers=key, json={
        "@type": "CancelProductOrder", "productOrder": {"@type": "ProductOrderRef", "id": order_id},
        "cancellationReason": "customer changed their mind"})
    assert r.status_code == 201 and r.json()["state"] == "done", r.text
    r = client.get(f"{ORDERING}/productOrder/{order_id}", headers=key)
    assert r.json()["state"] == "cancelled"

    _, second = _line(app, world)
    r = client.post(f"{ORDERING}/productOrder", json=_order(second, "acknowledged"), headers=key)
    order_id = r.json()["id"]
    approve(app, _chars(r.json())["applicationNo"], REVIEWER)
    _worker(app, world).run_until_idle()  # closed
    r = client.post(f"{ORDERING}/cancelProductOrder", headers=key, json={
        "@type": "CancelProductOrder", "productOrder": {"@type": "ProductOrderRef", "id": order_id}})
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "ORDER_NOT_CANCELLABLE" and "completed" in r.json()["reason"]
    r = client.get(f"{ORDERING}/cancelProductOrder", headers=key)
    assert sorted(c["state"] for c in r.json()) == ["done", "terminatedWithError"]
    assert r.headers["X-Total-Count"] == "2"


def test_another_partner_sees_nothing_and_other_scopes_are_refused(client, app, world):
    key = {"X-Api-Key": partner_key(app, ["tmf"])}
    _, product_id = _line(app, world)
    order_id = client.post(f"{ORDERING}/productOrder", json=_order(product_id), headers=key).json()["id"]
    other = {"X-Api-Key": partner_key(app, ["tmf"])}
    assert client.get(f"{ORDERING}/productOrder/{order_id}", headers=other).status_code == 404
    assert client.get(f"{ORDERING}/productOrder", headers=other).json() == []
    smdp = {"X-Api-Key": partner_key(app, ["smdp", "relying_party"])}
    r = client.get(f"{ORDERING}/productOrder/{order_id}", headers=smdp)
    assert r.status_code == 401 and r.json()["@type"] == "Error"
    assert client.get(f"{INVENTORY}/product", headers={}).status_code == 401
    r = client.post(f"{ORDERING}/productOrder", headers=key, json={
        **_order(product_id), "productOrderItem": [{"@type": "ProductOrderItem", "id": "1", "action": "add"}]})
    assert r.status_code == 400 and r.json()["code"] == "ORDER_ACTION_NOT_SUPPORTED"


def test_two_lines_one_blocked_end_partial(client, app, world):
    key = {"X-Api-Key": partner_key(app, ["tmf"])}
    _, clean = _line(app, world)
    line = clean_line(app, "baohao", balance=0, unpaid=[3000])
    with app.db.read() as conn:
        blocked = str(conn.execute(select(lines.c.id).where(lines.c.msisdn == line["msisdn"])).scalar_one())
    body = _order(clean, "acknowledged")
    body["productOrderItem"].append({"@type": "ProductOrderItem", "id": "2", "action": "delete",
                                     "product": {"@type": "ProductRef", "id": blocked}})
    r = client.post(f"{ORDERING}/productOrder", json=body, headers=key)
    assert r.status_code == 201, r.text
    order = r.json()
    states = {i["id"]: i["state"] for i in order["productOrderItem"]}
    assert states == {"1": "acknowledged", "2": "failed"} and order["state"] == "acknowledged"
    assert any(n["text"].startswith("2: ") for n in order["note"])
    approve(app, _chars(order)["applicationNo"], REVIEWER)
    worker = _worker(app, world)
    worker.run_until_idle()
    worker.sweep(force=True)
    r = client.get(f"{ORDERING}/productOrder/{order['id']}", headers=key)
    assert r.json()["state"] == "partial", r.text
    assert client.get(f"{INVENTORY}/product/{blocked}", headers=key).json()["status"] == "active"
    assert client.get(f"{INVENTORY}/product/{clean}", headers=key).json()["status"] == "terminated"
    # every line blocked: refused, nothing stored
    r = client.post(f"{ORDERING}/productOrder", json=_order(blocked, "acknowledged"), headers=key)
    assert r.status_code == 409 and r.json()["code"] == "PRECHECK_BLOCKED", r.text
    assert len(client.get(f"{ORDERING}/productOrder", headers=key).json()) == 1


def test_hub_events_are_signed_and_retried_only_when_worth_it():
    import httpx

    from simexit.integrations.errors import IntegrationError
    from simexit.integrations.messaging.base import OutgoingMessage

    seen: list[httpx.Request] = []
    answers = iter([500, 404, 204])

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(next(answers))

    sender = SignedWebhookSender(HUB_SECRET, transport=httpx.MockTransport(handle), now=lambda: 1_800_000_000)
    msg = OutgoingMessage("webhook", "http://bss.example/listener", "ProductOrderStateChangeEvent", "en",
                          {"body": {"eventType": "ProductOrderStateChangeEvent"}, "event_id": "o:1:x"}, "k")
    with pytest.raises(IntegrationError) as e:
        sender.send(msg)
    assert e.value.retryable  # 500: the worker tries again later
    with pytest.raises(IntegrationError) as e:
        sender.send(msg)
    assert not e.value.retryable  # 404: the listener is wrong; retrying will not help
    assert sender.send(msg) == "o:1:x"
    r = seen[-1]
    assert r.headers["X-Simexit-Event-Id"] == "o:1:x"
    assert verify(HUB_SECRET, r.headers["X-Simexit-Timestamp"], r.headers["X-Simexit-Signature"], r.content,
                  1_800_000_000)
    assert json.loads(r.content) == {"eventType": "ProductOrderStateChangeEvent"}


def test_an_overdue_review_reaches_the_hub_as_a_jeopardy_alert(client, app, clock, world, listener):
    from datetime import timedelta

    key = {"X-Api-Key": partner_key(app, ["tmf"])}
    client.post(f"{ORDERING}/hub", json={"@type": "Hub", "callback": listener.url,
                                         "query": "eventType=ProductOrderJeopardyAlertEvent"}, headers=key)
    _, product_id = _line(app, world)
    r = client.post(f"{ORDERING}/productOrder", json=_order(product_id, "acknowledged"), headers=key)
    assert r.json()["state"] == "acknowledged", r.text
    clock.set(clock.now() + timedelta(days=30))  # far past the review's due time
    worker = _worker(app, world)
    worker.sweep(force=True)  # the SLA escalation, then the follower
    worker.run_until_idle()
    [alert] = listener.received  # the hub asked for jeopardy alerts only
    assert alert["signed"] and alert["body"]["eventType"] == "ProductOrderJeopardyAlertEvent"
    jeopardy = alert["body"]["event"]["productOrder"]["productOrderJeopardyAlert"][0]
    assert jeopardy["name"] == "reviewOverdue" and jeopardy["jeopardyType"] == "reviewSla"
