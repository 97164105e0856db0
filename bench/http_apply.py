"""HTTP apply: throughput and latency (median, p99) of ``POST /api/v1/staff/applications`` on ``simexit serve``
at 32 concurrent clients, each request a different clean line.

Baseline (the floor of the goals): a bare FastAPI ``async def`` endpoint (bench/bare_apply_server.py) on the
same server settings (uvicorn, one worker, no access log) that takes the same JSON and runs, through the bare
driver and in one transaction, the statements a real apply ran (captured here from one apply through simexit's
HTTP stack). The former floor, one inserted row, is reported as a second ratio. On PostgreSQL, simexit also runs
with two server processes (``serve --workers 2``) on lines of its own: goal 1.7x one.
Load: ``wrk`` (Debian: apt-get install -y wrk) on 127.0.0.1, 2 threads,
32 connections, bounded in time, and for simexit by the number of prepared lines.
Goals: throughput at least 0.5x the floor's; p99 at most 3x the floor's.

    python bench/http_apply.py [--size small|large] [--db postgresql+psycopg://…]
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fleet_data import load_fleet, msisdn
from bench.measure import ROOT, backend, database_url, load_average, parse_args, quiet_calendar_warnings, report

SIZES = {"small": {"lines": 1_000, "seconds": 3}, "large": {"lines": 20_000, "seconds": 20}}
BRANDS = ["baohao", "globetalk", "hansanet", "liuliang", "roamly"]
CONNECTIONS, THREADS = 32, 2
PASSWORD = "bench-password-2026"

LUA = """
local bodies = {%(bodies)s}
local wrap = %(wrap)s
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"}
local threads = {}
local counter = 1
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  k = 0
  sent = 0
  bad = 0
end
function request()
  local i = tid + k * %(threads)d
  if i > #bodies then
    if wrap then k = 0; i = tid else i = tid end
  end
  k = k + 1
  sent = sent + 1
  return wrk.format("POST", "/api/v1/staff/applications", headers, bodies[i])
end
function response(status, headers, body)
  if status ~= 201 then bad = bad + 1 end
  if (not wrap) and (tid + k * %(threads)d > #bodies) then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  io.write(string.format('WRKJSON {"requests": %%d, "seconds": %%f, "median_ms": %%f, "p99_ms": %%f, ' ..
    '"max_ms": %%f, "not_201": %%d, "socket_errors": %%d}\\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, b,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(proc: subprocess.Popen, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def clean_bodies(app, n: int, fleet: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Apply bodies of ``n`` lines that a pre-check finds eligible, with the consequences confirmed."""
    from simexit.services.closure.precheck import precheck

    out: list[str] = []
    for i in range(1, fleet + 1):
        if len(out) >= n:
            break
        b = app.policy(BRANDS[i % len(BRANDS)]).brand
        r = precheck(app, msisdn(b.jurisdiction, i))
        if not r.eligible:
            continue
        d = r.to_dict()
        channel = next((c for c in ("hotline", "chat", "store", "mail") if c in d["channels"]), None)
        if channel is None:
            continue
        body = {"msisdn": d["msisdn"], "channel": channel, "identity_method": "id_document_inspected",
                "identity_evidence": {"document": "passport", "last4": "1234"}, "reason_code": "no_longer_needed",
                "consequences_confirmed": list(d["consequences"])}
        if d["quote"].get("refund_minor", 0) > 0:
            if "original_payment" not in d["refund_methods"]:
                continue  # other methods need a destination (bank account, …)
            body["refund_method"] = "original_payment"
        out.append(body)
    return [json.dumps(json.dumps(b)) for b in out]  # Lua string literals


def run_wrk(port: int, script: Path, seconds: int) -> dict:
    p = subprocess.run(["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--timeout", "10s",
                        "-s", str(script), f"http://127.0.0.1:{port}/"], capture_output=True, text=True,
                       timeout=seconds + 60)
    for line in p.stdout.splitlines():
        if line.startswith("WRKJSON "):
            r = json.loads(line[8:])
            r["req_per_s"] = round(r["requests"] / r["seconds"], 1)
            return r
    raise SystemExit(f"wrk failed: {p.stdout}\n{p.stderr}")


def serve(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    wait_ready(proc, port)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    args = parse_args(__doc__.split("\n")[0], SIZES)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    quiet_calendar_warnings()
    n, seconds = args.params["lines"], args.params["seconds"]
    from simexit.bootstrap import bootstrap
    from simexit.config import Settings
    from simexit.services.access import commands as access
    from simexit.services.access.caller import Public, System

    with database_url(args.db) as url, tempfile.TemporaryDirectory(prefix="simexit-http-") as tmp:
        # simexit refuses to serve with the public demo secret: the benchmark's server gets a fresh one
        secret = secrets.token_urlsafe(48)
        app = bootstrap(Settings(database_url=url, secret_key=secret))
        load_fleet(app, 3 * n, BRANDS)
        bodies = clean_bodies(app, n + 1, 3 * n)
        access.create_staff(app, System(), "bench", PASSWORD, "supervisor", ["*"])
        token = access.sign_in_staff(app, Public("127.0.0.1"), "bench", PASSWORD).token
        statements = Path(tmp) / "apply-statements.pickle"
        captured = capture_apply(app, token, bodies.pop(), statements)
        app.db.engine.dispose()
        pg = backend(url) == "postgresql"
        # on PostgreSQL a second simexit run with two server processes, on lines of its own
        halves = (bodies[: len(bodies) // 2], bodies[len(bodies) // 2:]) if pg else (bodies, [])
        scripts = {}
        for name, wrap, these in (("bare", "true", bodies), ("simexit", "false", halves[0]),
                                  ("simexit2", "false", halves[1])):
            if these:
                scripts[name] = Path(tmp) / f"{name}.lua"
                scripts[name].write_text(LUA % {"bodies": ",".join(these), "wrap": wrap, "token": token,
                                                "threads": THREADS})
        results = {}
        bare = [sys.executable, str(ROOT / "bench" / "bare_apply_server.py")]
        # the floor of the goals: the captured apply's statements, in one transaction, on the real tables
        results["statements"] = run_server(bare, {"BARE_DATABASE_URL": url, "BARE_STATEMENTS": str(statements)},
                                           scripts["bare"], seconds)
        # the former floor: one insert (into a file of its own on SQLite)
        results["insert"] = run_server(bare, {"BARE_DATABASE_URL": url if pg else f"sqlite:///{tmp}/bare.db"},
                                       scripts["bare"], seconds)
        simexit = shutil.which("simexit", path=str(Path(sys.executable).parent)) or "simexit"
        # The API alone: the worker runs as its own process in production (``simexit worker``).
        env = {"SIMEXIT_DATABASE_URL": url, "SIMEXIT_SECRET_KEY": secret}
        results["simexit"] = run_server([simexit, "serve", "--workers", "1", "--no-worker"], env,
                                        scripts["simexit"], seconds)
        if "simexit2" in scripts:
            results["simexit2"] = run_server([simexit, "serve", "--workers", "2", "--no-worker"], env,
                                             scripts["simexit2"], seconds)
    s, b, i = results["simexit"], results["statements"], results["insert"]
    figures = {"req_per_s": s["req_per_s"], "median_ms": s["median_ms"], "p99_ms": s["p99_ms"],
               "max_ms": s["max_ms"], "requests": s["requests"], "not_201": s["not_201"],
               "socket_errors": s["socket_errors"], "lines_prepared": len(bodies),
               "statements_per_apply": captured, "load_average": load_average()}
    baseline = {"req_per_s": b["req_per_s"], "median_ms": b["median_ms"], "p99_ms": b["p99_ms"],
                "requests": b["requests"], "not_201": b["not_201"],
                "insert_floor_req_per_s": i["req_per_s"], "insert_floor_p99_ms": i["p99_ms"]}
    ratios = {"throughput": round(s["req_per_s"] / b["req_per_s"], 3),
              "p99": round(s["p99_ms"] / b["p99_ms"], 2) if b["p99_ms"] else 0.0,
              "throughput_vs_insert_floor": round(s["req_per_s"] / i["req_per_s"], 3),
              "p99_vs_insert_floor": round(s["p99_ms"] / i["p99_ms"], 2) if i["p99_ms"] else 0.0}
    goals = {"throughput": ">= 0.5", "p99": "<= 3", "throughput_met": ratios["throughput"] >= 0.5,
             "p99_met": ratios["p99"] <= 3}
    if "simexit2" in results:
        s2 = results["simexit2"]
        figures.update({"two_processes_req_per_s": s2["req_per_s"], "two_processes_p99_ms": s2["p99_ms"],
                        "two_processes_not_201": s2["not_201"]})
        ratios["two_processes"] = round(s2["req_per_s"] / s["req_per_s"], 3)
        goals.update({"two_processes": ">= 1.7", "two_processes_met": ratios["two_processes"] >= 1.7})
    report("http_apply", args.size, backend(url), figures, baseline, ratios, goals)


def run_server(cmd: list[str], env: dict[str, str], script: Path, seconds: int) -> dict:
    port = free_port()
    proc = serve([*cmd, *([str(port)] if "bare_apply_server" in cmd[-1] else ["--port", str(port)])], env, port)
    try:
        warm_up(port)
        return run_wrk(port, script, seconds)
    finally:
        stop(proc)


def warm_up(port: int, answers: int = 20, timeout: float = 60) -> None:
    """Until the server answers HTTP (any status) ``answers`` times on new connections: with several server
    processes the port accepts before every process is ready."""
    import http.client

    deadline, got = time.monotonic() + timeout, 0
    while got < answers and time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz")
            c.getresponse().read()
            c.close()
            got += 1
        except OSError:
            time.sleep(0.1)


def capture_apply(app, token: str, lua_body: str, path: Path) -> int:  # type: ignore[no-untyped-def]
    """Apply one line through simexit's own HTTP stack in this process and keep every statement it sent to the
    database, with its parameters, in ``path``; returns how many (transaction control included)."""
    import pickle

    from sqlalchemy import event
    from starlette.testclient import TestClient

    from simexit.bootstrap import web_app

    seen: list[tuple[str, object, bool]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append((statement, parameters, executemany))

    with TestClient(web_app(app), base_url="https://127.0.0.1") as client:
        event.listen(app.db.engine, "before_cursor_execute", keep)
        try:
            r = client.post("/api/v1/staff/applications", json=json.loads(json.loads(lua_body)),
                            headers={"Authorization": f"Bearer {token}"})
        finally:
            event.remove(app.db.engine, "before_cursor_execute", keep)
    if r.status_code != 201:
        raise SystemExit(f"the captured apply failed: {r.status_code} {r.text}")
    path.write_bytes(pickle.dumps(seen))
    return len(seen)


if __name__ == "__main__":
    main()
