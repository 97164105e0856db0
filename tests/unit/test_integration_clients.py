"""The network and SM-DP+ clients against canned wire answers (httpx.MockTransport)."""

from __future__ import annotations

import json

import httpx
import pytest

from simexit.domain.saga import backoff, execution_starts_at, idempotency_key
from simexit.integrations.errors import IntegrationError
from simexit.integrations.esim.es2plus import Es2PlusClient, map_failure
from simexit.integrations.network.base import Subscriber
from simexit.integrations.network.http_hook import HttpHookProvisioner
from simexit.integrations.network.open5gs import Open5gsProvisioner
from simexit.integrations.network.pyhss import PyHssProvisioner

SUB = Subscriber("+4915112000001", "262010000000001", "8949000000000000001")


def es2(answer: dict, seen: list) -> Es2PlusClient:
    def handler(req: httpx.Request) -> httpx.Response:
        seen.append((req.url.path, req.headers.get("X-Admin-Protocol"), json.loads(req.content)))
        return httpx.Response(200, json=answer, headers={"X-Admin-Protocol": "gsma/rsp/v2.5.0"})

    return Es2PlusClient("https://smdp", "mno", client=httpx.Client(base_url="https://smdp",
                                                                     transport=httpx.MockTransport(handler)))


def test_es2plus_cancel_order_sends_the_envelope_and_key():
    seen: list = []
    es2({"header": {"functionExecutionStatus": {"status": "Executed-Success"}}}, seen).cancel_order(
        "8949000000000000001", "Unavailable", "SX-1:esim", eid="8" * 32)
    path, proto, body = seen[0]
    assert path == "/gsma/rsp2/es2plus/cancelOrder" and proto == "gsma/rsp/v2.5.0"
    assert body == {"header": {"functionRequesterIdentifier": "mno", "functionCallIdentifier": "SX-1:esim"},
                    "iccid": "8949000000000000001", "eid": "8" * 32, "finalProfileStatusIndicator": "Unavailable"}


@pytest.mark.parametrize(("subject", "reason", "code", "retryable"), [
    ("8.2.1", "3.9", "ICCID_UNKNOWN", False), ("8.2.1", "3.3", "PROFILE_ALREADY_DOWNLOADED", False),
    ("1.2", "4.4", "BUSY", True), ("8.9", "5.1", "INACCESSIBLE", True), ("9.9", "9.9", "FAILED_9_9_9_9", False)])
def test_es2plus_failed_status_maps_to_clear_codes(subject, reason, code, retryable):
    answer = {"header": {"functionExecutionStatus": {"status": "Failed", "statusCodeData": {
        "subjectCode": subject, "reasonCode": reason}}}}
    with pytest.raises(IntegrationError) as e:
        es2(answer, []).release_profile("8949000000000000001", "k")
    assert (e.value.code, e.value.retryable) == (code, retryable)
    assert map_failure("Expired", None).retryable


def test_pyhss_null_body_is_a_failure_never_a_success():
    def handler(req: httpx.Request) -> httpx.Response:
        if req.method == "GET":
            return httpx.Response(200, json={"subscriber_id": 7, "imsi": SUB.imsi, "enabled": True, "auc_id": 3})
        return httpx.Response(200, content=b"null")

    client = PyHssProvisioner("http://hss", client=httpx.Client(base_url="http://hss",
                                                                transport=httpx.MockTransport(handler)))
    with pytest.raises(IntegrationError) as e:
        client.bar(SUB, "SX-1:network_bar")
    assert e.value.code == "NULL_RESULT"


def test_pyhss_unreachable_is_retryable():
    def handler(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    client = PyHssProvisioner("http://hss", client=httpx.Client(base_url="http://hss",
                                                                transport=httpx.MockTransport(handler)))
    with pytest.raises(IntegrationError) as e:
        client.bar(SUB, "k")
    assert (e.value.code, e.value.retryable) == ("UNREACHABLE", True)


def test_open5gs_logs_in_with_csrf_session_and_jwt_then_bars_and_deletes():
    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append((req.method, req.url.path, req.headers.get("X-CSRF-Token"), req.headers.get("Authorization")))
        if req.url.path == "/api/auth/csrf":
            return httpx.Response(200, json={"csrfToken": "c1"}, headers={"Set-Cookie": "connect.sid=s1; Path=/"})
        if req.url.path == "/api/auth/login":
            assert req.headers["X-CSRF-Token"] == "c1" and "connect.sid=s1" in req.headers["Cookie"]
            return httpx.Response(302, headers={"Location": "/", "Set-Cookie": "connect.sid=s2; Path=/"})
        if req.url.path == "/api/auth/session":
            return httpx.Response(200, json={"csrfToken": "c2", "authToken": "jwt", "user": {}})
        assert req.headers["Authorization"] == "Bearer jwt" and "connect.sid=s2" in req.headers["Cookie"]
        if req.method == "PATCH":
            assert json.loads(req.content) == {"subscriber_status": 1, "operator_determined_barring": 1}
            return httpx.Response(200, json={"imsi": SUB.imsi, "subscriber_status": 1})
        return httpx.Response(204)

    client = Open5gsProvisioner("http://webui", "admin", "pw", client=httpx.Client(
        base_url="http://webui", transport=httpx.MockTransport(handler)))
    client.bar(SUB, "k")
    client.delete(SUB, "k")
    assert [(m, p) for m, p, *_ in calls][-2:] == [("PATCH", f"/api/db/Subscriber/{SUB.imsi}"),
                                                   ("DELETE", f"/api/db/Subscriber/{SUB.imsi}")]
    assert calls[-1][2] == "c2"


def test_http_hook_posts_json_with_the_key_and_maps_statuses():
    statuses = iter([200, 503, 400])
    seen = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append((req.headers["Idempotency-Key"], json.loads(req.content)["action"]))
        return httpx.Response(next(statuses))

    hook = HttpHookProvisioner("http://hook/p", client=httpx.Client(transport=httpx.MockTransport(handler)))
    hook.bar(SUB, "SX-1:network_bar")
    with pytest.raises(IntegrationError) as e:
        hook.deregister(SUB, "SX-1:network_deregister")
    assert e.value.retryable
    with pytest.raises(IntegrationError) as e:
        hook.delete(SUB, "SX-1:network_delete")
    assert not e.value.retryable
    assert seen[0] == ("SX-1:network_bar", "bar")


def test_saga_rules():
    from datetime import UTC, date, datetime, timedelta

    assert idempotency_key("SX-ABCD-EFGH-J", "network_deregister") == "SX-ABCD-EFGH-J:network_deregister"
    assert len(idempotency_key("SX-ABCD-EFGH-J", "network_deregister")) <= 36
    assert [backoff(n, 5, 60).total_seconds() for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 40, 60]
    now = datetime(2026, 11, 23, 2, tzinfo=UTC)
    assert execution_starts_at("immediate", date(2026, 11, 23), "Asia/Shanghai", now) == now
    later = execution_starts_at("end_of_billing_period", date(2026, 11, 30), "Asia/Shanghai", now)
    assert later == datetime(2026, 11, 30, 16, tzinfo=UTC) and later - now > timedelta(days=7)
