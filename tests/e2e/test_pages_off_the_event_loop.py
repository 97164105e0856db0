"""Pages run their use cases in the API's bounded thread pool (issue 11, item 4): a slow use case behind one
page does not stall another request, over real HTTP on the live server."""

from __future__ import annotations

import threading
import time

import httpx

from simexit.web import public
from tests.e2e.conftest import _Holder


def test_a_slow_page_does_not_stall_another_request(site, live_server, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def slow_lookup(*args, **kwargs):
        runner = _Holder.web.state.api_runner
        seen["tokens"] = runner._limiter.borrowed_tokens if runner._limiter else 0
        seen["thread"] = threading.current_thread().name
        entered.set()
        release.wait(10)
        raise public.DomainError("NOT_FOUND", "no such application")

    monkeypatch.setattr(public.queries, "lookup_status", slow_lookup)
    result: dict[str, int] = {}

    def slow_request() -> None:
        with httpx.Client(base_url=live_server, timeout=30) as c:
            csrf = c.get("/status").text.split('name="csrf" value="')[1].split('"')[0]
            r = c.post("/status", data={"csrf": csrf, "application_no": "SX-0000-0000-0",
                                        "last4": "0000"})
            result["status"] = r.status_code

    t = threading.Thread(target=slow_request)
    t.start()
    try:
        assert entered.wait(10), "the slow use case did not start"
        start = time.monotonic()
        with httpx.Client(base_url=live_server, timeout=5) as c:
            assert c.get("/help").status_code == 200
            assert c.get("/healthz").status_code == 200
        elapsed = time.monotonic() - start
    finally:
        release.set()
        t.join(15)
    assert elapsed < 2, f"another request waited {elapsed:.2f} s for the slow page"
    assert result["status"] == 400
    assert seen["tokens"] >= 1, "the use case did not run in the API's bounded pool"
