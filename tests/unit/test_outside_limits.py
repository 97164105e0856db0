"""Issue 16 item 2: per-system limits on outside calls (calls in flight, requests per second) and Retry-After,
enforced around every HTTP request of ``integrations/`` (``http_calls.request``)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest

from simexit.integrations import limits
from simexit.integrations.errors import IntegrationError
from simexit.integrations.http_calls import raise_for_status, request


@pytest.fixture(autouse=True)
def no_limits():
    limits.configure({})
    yield
    limits.configure({})


class Counting:
    """An HTTP server stand-in: answers after ``delay`` and counts the requests in flight at once."""

    def __init__(self, delay: float = 0.0, answers: list[httpx.Response] | None = None) -> None:
        self.delay, self.answers = delay, list(answers or [])
        self.now = self.peak = self.calls = 0
        self.times: list[float] = []
        self.lock = threading.Lock()

    def __call__(self, req: httpx.Request) -> httpx.Response:
        with self.lock:
            self.now += 1
            self.calls += 1
            self.peak = max(self.peak, self.now)
            self.times.append(time.monotonic())
            answer = self.answers.pop(0) if self.answers else httpx.Response(200, json={})
        time.sleep(self.delay)
        with self.lock:
            self.now -= 1
        return answer


def _client(server: Counting) -> httpx.Client:
    return httpx.Client(base_url="http://hss.test", transport=httpx.MockTransport(server))


def test_no_more_calls_in_flight_than_the_contract_allows():
    limits.configure({"hss": {"max_in_flight": 3}})
    server = Counting(delay=0.05)
    client = _client(server)
    with ThreadPoolExecutor(12) as pool:
        list(pool.map(lambda i: request(client, "pyhss", "GET", f"/subscriber/{i}"), range(24)))
    assert server.calls == 24 and server.peak == 3


def test_without_a_limit_the_calls_overlap():
    server = Counting(delay=0.05)
    client = _client(server)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: request(client, "smdp", "GET", f"/x/{i}"), range(16)))
    assert server.peak > 3


def test_the_rate_is_paced_evenly_and_per_system():
    limits.configure({"hss": {"rate_per_s": 50}})
    hss, smdp = Counting(), Counting()
    with ThreadPoolExecutor(8) as pool:
        t0 = time.monotonic()
        list(pool.map(lambda i: request(_client(hss), "pyhss", "GET", "/x"), range(26)))
        hss_seconds = time.monotonic() - t0
        t0 = time.monotonic()
        list(pool.map(lambda i: request(_client(smdp), "smdp", "GET", "/x"), range(26)))
        smdp_seconds = time.monotonic() - t0
    assert hss_seconds >= 0.48  # 26 requests at 50/s: 25 intervals of 20 ms
    # No burst: any 100 ms holds 5 turns (+2 for threads descheduled between their turn and the request).
    assert max(sum(1 for t in hss.times if t0 <= t < t0 + 0.1) for t0 in hss.times) <= 7
    assert smdp_seconds < hss_seconds / 2  # the SM-DP+ has no limit


def test_a_429_with_retry_after_pauses_the_system_and_is_sent_again_in_place():
    server = Counting(answers=[httpx.Response(429, headers={"Retry-After": "1"})])
    client = _client(server)
    t0 = time.monotonic()
    resp = request(client, "pyhss", "PATCH", "/subscriber/1", params={"operation_id": "k1"})
    assert resp.status_code == 200 and server.calls == 2
    assert time.monotonic() - t0 >= 0.95
    assert server.times[1] - server.times[0] >= 0.95


def test_a_503_is_not_sent_again_but_its_retry_after_goes_with_the_error():
    server = Counting(answers=[httpx.Response(503, headers={"Retry-After": "120"})])
    limits.MAX_PAUSE_S, saved = 0.1, limits.MAX_PAUSE_S  # keep the test short: the pause is capped
    try:
        resp = request(_client(server), "payments", "POST", "/v1/refunds")
    finally:
        limits.MAX_PAUSE_S = saved
    assert resp.status_code == 503 and server.calls == 1
    with pytest.raises(IntegrationError) as e:
        raise_for_status("payments", resp)
    assert e.value.retryable and e.value.retry_after == 120


def test_a_429_that_keeps_coming_goes_up_as_a_retryable_error():
    server = Counting(answers=[httpx.Response(429, headers={"Retry-After": "0"})] * 5)
    resp = request(_client(server), "sms", "POST", "/v1/messages")
    assert resp.status_code == 429 and server.calls == 3  # IN_PLACE_TRIES


def test_retry_after_as_seconds_or_http_date():
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert limits.retry_after_seconds("30") == 30
    assert limits.retry_after_seconds("Wed, 02 Dec 2026 12:01:00 GMT", now) == 60
    assert limits.retry_after_seconds("soon") is None and limits.retry_after_seconds(None) is None


def test_unknown_systems_and_bad_limits_are_refused():
    with pytest.raises(ValueError, match="unknown outside system"):
        limits.configure({"hlr": {"max_in_flight": 1}})
    with pytest.raises(ValueError):
        limits.configure({"hss": {"max_in_flight": -1}})
