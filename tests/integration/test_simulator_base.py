"""The one simulator base (simulators/http_server.py): the admin API every simulator shares — failures,
latency that does not hold up other connections, a rate limit answering 429, keep-alive — on real HTTP."""

from __future__ import annotations

import threading
import time

import httpx

from simexit.simulators.http_server import Reply, Request, Simulator


class Echo(Simulator):
    name = "echo"

    def handle(self, req: Request) -> Reply:
        return Reply(200, {"path": req.path, "body": req.body, "client": req.headers.get("x-who")})


def test_failures_in_both_spellings_then_normal_answers():
    with Echo() as sim:
        httpx.post(f"{sim.url}/_sim/behaviour", json={"fail_status": 503, "fail_times": 1})
        assert [httpx.get(f"{sim.url}/a").status_code for _ in range(2)] == [503, 200]
        httpx.post(f"{sim.url}/_sim/behaviour", json={"fail": "error", "fail_count": 2})
        assert [httpx.get(f"{sim.url}/a").status_code for _ in range(3)] == [500, 500, 200]
        assert [r["status"] for r in httpx.get(f"{sim.url}/_sim/requests").json()] == [503, 200, 500, 500, 200]
        assert httpx.get(f"{sim.url}/_sim/received").json() == httpx.get(f"{sim.url}/_sim/requests").json()


def test_a_rate_limit_answers_429_with_retry_after():
    with Echo() as sim:
        httpx.post(f"{sim.url}/_sim/behaviour", json={"rate_limit_per_s": 3})
        with httpx.Client() as c:
            answers = [c.get(f"{sim.url}/x") for _ in range(5)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
        assert answers[-1].headers["retry-after"] == "1"
        time.sleep(1.05)
        assert httpx.get(f"{sim.url}/x").status_code == 200


def test_latency_delays_every_answer_without_serialising_them():
    with Echo() as sim:
        sim.set_behaviour(delay_s=0.5)
        took: list[float] = []

        def call() -> None:
            t = time.monotonic()
            httpx.get(f"{sim.url}/slow")
            took.append(time.monotonic() - t)

        started = time.monotonic()
        threads = [threading.Thread(target=call) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert min(took) >= 0.5 and time.monotonic() - started < 2.0  # six in parallel, not 3 s in a row


def test_one_connection_carries_many_requests():
    with Echo() as sim, httpx.Client() as c:
        ports = set()
        for _ in range(5):
            r = c.get(f"{sim.url}/k", extensions={})
            ports.add(r.extensions["network_stream"].get_extra_info("client_addr"))
        assert len(ports) == 1


def test_records_are_bounded_and_say_how_many_were_let_go(monkeypatch):
    monkeypatch.setenv("SIMEXIT_SIM_RECORD_LIMIT", "5")
    with Echo() as sim, httpx.Client(base_url=sim.url) as client:
        for n in range(8):
            client.post("/thing", json={"n": n})
        answer = client.get("/_sim/requests")
    assert [r["body"]["n"] for r in answer.json()] == [3, 4, 5, 6, 7]
    assert answer.headers["x-sim-dropped"] == "3"
