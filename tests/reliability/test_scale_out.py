"""The scale-out shape, as processes: two ``simexit serve`` and two ``simexit worker`` against one database (the
PostgreSQL run is the one that matters; SQLite in WAL mode takes the same test), and ``serve --workers 2``
whose metrics are the sum over its server processes."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from simexit.domain.state_machine import ActorType
from simexit.services.access import commands as access
from simexit.services.access.caller import System
from simexit.services.closure.applications import Actor, approve, show
from simexit.services.closure.precheck import precheck
from simexit.store.tables import applications
from tests.conftest import SECRET
from tests.reliability.test_worker_crashes import _env
from tests.simulated_world import clean_line, start_world, stop_world

ROOT = Path(__file__).resolve().parents[2]
N_APPS = 24
BRANDS = ["liuliang", "baohao"]  # staff channels (hotline, store); immediate effect
PASSWORD = "correct horse battery staple"


@pytest.fixture
def world():
    w = start_world()
    yield w
    stop_world(w)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simexit.cli.main", *args], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=log.open("ab"))


def wait_serving(proc: subprocess.Popen, port: int, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"no server on :{port}: {log.read_text(errors='replace')[-3000:]}")


def stop(*procs: subprocess.Popen) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def requests_total(metrics: str, method: str, route: str, status: str) -> float:
    wanted = {f'method="{method}"', f'route="{route}"', f'status="{status}"'}
    total = 0.0
    for line in metrics.splitlines():
        m = re.match(r"^simexit_http_requests_total\{([^}]*)\} (\S+)$", line)
        if m and wanted <= set(m.group(1).split(",")):
            total += float(m.group(2))
    return total


def test_serve_with_two_processes_reports_the_sum_of_both(app, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}", "SIMEXIT_DATABASE_URL": app.db.url,
           "SIMEXIT_SECRET_KEY": SECRET, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    port, log = free_port(), tmp_path / "serve.log"
    proc = start(["serve", "--port", str(port), "--workers", "2", "--no-worker"], env, log)
    try:
        wait_serving(proc, port, log)
        deadline = time.monotonic() + 30
        pids: set[str] = set()
        sent = 1  # wait_serving's own successful /healthz
        while len(pids) < 2 and time.monotonic() < deadline:  # new connections until both processes answered
            for _ in range(10):
                assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
                sent += 1
            pids = {f.stem.rsplit("_", 1)[-1] for f in metrics_dir.glob("counter_*.db")}
        assert len(pids) == 2, "both server processes should have answered"
        for _ in range(6):  # whichever process answers the scrape, it reports the sum of both
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            assert requests_total(text, "GET", "/healthz", "200") == sent, text
    finally:
        stop(proc)


def test_two_servers_and_two_workers_close_every_application_once(app, clock, world, tmp_path):
    from datetime import UTC, datetime

    clock.set(datetime.now(UTC))  # the processes run on the system clock
    seeded, bodies = {}, []
    for i in range(N_APPS):
        line = clean_line(app, BRANDS[i % len(BRANDS)], balance=1000 + i)
        seeded[line["msisdn"]] = world.seed_line(app, line["msisdn"])
        pc = precheck(app, line["msisdn"]).to_dict()
        assert pc["eligible"], pc["findings"]
        channel = next(c for c in ("hotline", "store") if c in pc["channels"])
        body = {"msisdn": line["msisdn"], "channel": channel, "identity_method": "id_document_inspected",
                "identity_evidence": {"document": "passport", "last4": "1234"}, "reason_code": "no_longer_needed",
                "consequences_confirmed": list(pc["consequences"])}
        if pc["quote"].get("refund_minor", 0) > 0:
            body["refund_method"] = next(m for m in pc["refund_methods"]
                                         if m not in ("bank_transfer", "alipay", "wechat_pay"))
        bodies.append(body)
    access.create_staff(app, System(), "scale", PASSWORD, "supervisor", ["*"])

    env = _env(app, world, tmp_path / "calls.jsonl")
    env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{ROOT}"  # this checkout's code, whatever the venv installed
    ports = [free_port(), free_port()]
    servers = [start(["serve", "--port", str(p), "--no-worker"], env, tmp_path / f"serve{i}.log")
               for i, p in enumerate(ports)]
    workers: list[subprocess.Popen] = []
    try:
        for proc, port, i in zip(servers, ports, range(2), strict=True):
            wait_serving(proc, port, tmp_path / f"serve{i}.log")
        token = httpx.post(f"http://127.0.0.1:{ports[0]}/api/v1/auth/staff/sign-in",
                           json={"username": "scale", "password": PASSWORD, "session": "token"}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        numbers = []
        for i, body in enumerate(bodies):  # alternately to each server; a session made on one serves on the other
            r = httpx.post(f"http://127.0.0.1:{ports[i % 2]}/api/v1/staff/applications", json=body, headers=auth,
                           timeout=30)
            assert r.status_code == 201, r.text
            numbers.append(r.json()["application_no"])
        for no in numbers:
            if show(app, no)["status"] == "pending_review":
                approve(app, no, Actor(ActorType.STAFF, "rita", "reviewer", "store"))
        workers = [start(["worker"], env, tmp_path / f"worker{i}.log") for i in range(2)]
        deadline = time.monotonic() + (180 if app.db.dialect == "sqlite" else 240)
        while time.monotonic() < deadline:
            with app.db.read() as conn:
                statuses = Counter(conn.execute(select(applications.c.status)).scalars())
            if statuses == {"completed": N_APPS}:
                break
            assert all(w.poll() is None for w in workers), [
                (tmp_path / f"worker{i}.log").read_text(errors="replace")[-2000:] for i in range(2)]
            time.sleep(0.3)
        assert statuses == {"completed": N_APPS}, statuses

        # every outside effect once: one bar / deregister / delete per line on the HSS
        hss = Counter((e["kind"], e["imsi"]) for e in world.effects(world.hss))
        for s in seeded.values():
            kinds = ("bar", "delete_subscriber", "delete_auc") + (("deregister", "delete_ims")
                                                                 if s["kind"] != "data" else ())
            assert all(hss[(k, s["imsi"])] == 1 for k in kinds), (s, hss)
        # each server counted the applications it took, and only those (no shared multiprocess directory here)
        for port in ports:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            assert requests_total(text, "POST", "/api/v1/staff/applications", "201") == N_APPS / 2
    finally:
        stop(*workers, *servers)
