"""Refused state changes are 409 problem+json, never 500 (issue 12, item 1): the problem handler renders any
error data, whatever its field names or values; simultaneous approvals of one application give one 200 and
409s for the rest, over real HTTP on the live server (on PostgreSQL with SIMEXIT_TEST_DATABASE_URL)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from threading import Barrier

import httpx

from simexit.api.problems import from_domain
from simexit.domain.errors import Conflict
from tests.e2e.conftest import apply_body, bearer, staff_token
from tests.factories import make_line


def test_error_data_with_problem_field_names_and_odd_values_renders():
    e = Conflict("SOMETHING", "refused", status="approved", type="x", title="t", detail="d", instance="i",
                 request_id="r", data={"nested": 1}, day=date(2026, 11, 23), at=datetime(2026, 11, 23, 2, 0),
                 amount=Decimal("1.50"), codes={"B", "A"}, obj=object())
    e.data["code"] = "C"  # a name the constructor cannot take, but a dict can hold
    r = from_domain(e)
    body = json.loads(r.body)
    assert r.status_code == 409 and r.media_type == "application/problem+json"
    assert (body["status"], body["code"], body["detail"], body["type"]) == (409, "SOMETHING", "refused",
                                                                             "urn:simexit:problem:something")
    assert body["data"]["status"] == "approved" and body["data"]["code"] == "C"
    assert body["data"]["data"] == {"nested": 1}
    assert body["day"] == "2026-11-23" and body["amount"] == "1.50" and body["codes"] == ["A", "B"]
    assert isinstance(body["obj"], str)


def _pending(client, app) -> tuple[str, str, str]:
    """A baohao application waiting for review (baohao reviews every closure), a reviewer's and an agent's
    token."""
    agent = staff_token(client, app, "hal", "agent", ["baohao"])
    boss = staff_token(client, app, "vera", "reviewer", ["baohao"])
    m = make_line(app, "baohao")["msisdn"]
    body = apply_body(client, agent, m, "/api/v1/staff/precheck", channel="hotline",
                      identity_method="service_password")
    r = client.post("/api/v1/staff/applications", json=body, headers=bearer(agent))
    assert r.status_code == 201 and r.json()["status"] == "pending_review", r.text
    return r.json()["application_no"], boss, agent


def test_approve_reject_withdraw_in_the_wrong_state_are_409(client, app):
    n, boss, agent = _pending(client, app)
    reject = {"reasons": ["DOCUMENTS_INCOMPLETE"]}
    assert client.post(f"/api/v1/staff/applications/{n}/reject", json=reject, headers=bearer(boss)).status_code == 200
    for action, body, who in (("approve", {}, boss), ("reject", reject, boss),
                              ("withdraw", {"channel": "hotline"}, agent)):
        r = client.post(f"/api/v1/staff/applications/{n}/{action}", json=body, headers=bearer(who))
        assert r.status_code == 409, (action, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "TRANSITION_NOT_ALLOWED" and r.json()["status"] == 409
    # the connection still answers after the refusals
    assert client.get(f"/api/v1/staff/applications/{n}", headers=bearer(boss)).status_code == 200


def test_twenty_simultaneous_approvals_one_200_nineteen_409(client, app, site, live_server):
    n, boss, _agent = _pending(client, app)
    barrier = Barrier(20)

    def approve(_: int) -> int:
        with httpx.Client(base_url=live_server, timeout=30) as c:
            barrier.wait()
            return c.post(f"/api/v1/staff/applications/{n}/approve", json={}, headers=bearer(boss)).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = sorted(pool.map(approve, range(20)))
    assert statuses == [200] + [409] * 19, statuses
