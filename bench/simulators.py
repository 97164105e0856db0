"""How many simple requests a second each simulator answers, with HTTP/1.1 keep-alive.

Each simulator runs alone in a child process (as ``simexit sim all`` runs them, one event loop each) on
127.0.0.1 and is loaded by ``wrk`` (1 thread, 16 keep-alive connections) with one representative request of
its protocol: a PyHSS subscriber look-up by MSISDN among ``subscribers`` seeded ones (100,000 at the medium
size: a real HSS holds the whole fleet, and a look-up that scans its rows shows here), an ES2+
``releaseProfile`` (the SM-DP+ without TLS, so that wrk can load it; the handshake is once per kept-alive
connection), an SMS submission with a repeated client reference (answered from the record, as the real gateway
does), the payment system's refund list and the mail sink's message list. The floor, measured in the same run,
is a bare ASGI app on the same uvicorn settings that answers a fixed JSON body: ratio = simulator / floor.
Goal: at least 3,000 requests/s each.

    .venv/bin/python bench/simulators.py [--size small|medium] [--seconds N]
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import ROOT, load_average, parse_args, report

SIZES = {"small": {"seconds": 2, "subscribers": 1_000}, "medium": {"seconds": 5, "subscribers": 100_000}}
GOAL_REQ_PER_S = 3000

# name → (Python building the app in the child, method, path, headers, body)
SMDP_BODY = {"header": {"functionRequesterIdentifier": "bench", "functionCallIdentifier": "1"},
             "iccid": "8949000000000000001"}
TARGETS: dict[str, tuple[str, str, str, dict[str, str], object]] = {
    "floor": ("app = bare", "GET", "/", {}, None),
    "hss": ("from simexit.simulators.hss import HssSimulator as S; app = S(); app.seed([{'imsi': '00101%010d' % i, "
            "'msisdn': '+86139%08d' % i} for i in range(SUBSCRIBERS)])",
            "GET", "/subscriber/msisdn/86139HALF", {}, None),
    "smdp": ("from simexit.simulators.smdp import SmdpSimulator as S; app = S(lenient=True)",
             "POST", "/gsma/rsp2/es2plus/releaseProfile", {"X-Admin-Protocol": "gsma/rsp/v2.5.0",
                                                            "Content-Type": "application/json"}, SMDP_BODY),
    "sms": ("from simexit.simulators.sms_gateway import SmsGatewaySimulator as S; app = S(api_key='k')",
            "POST", "/v1/messages", {"Authorization": "Bearer k", "Content-Type": "application/json"},
            {"to": "+8613900300100", "text": "bench", "client_reference": "bench-1"}),
    "payments": ("from simexit.simulators.payment_system import PaymentSystemSimulator as S; app = S()",
                 "GET", "/v1/refunds", {}, None),
    "mail": ("from simexit.simulators.mail_sink import MailSink as S; app = S()", "GET", "/messages", {}, None),
}

CHILD = """
import sys, uvicorn
from simexit.integrations.tls import CLIENT_CERT_PROTOCOL

async def bare(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    body = b'{"ok": true}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})

%(build)s
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="error", access_log=False, lifespan="off",
            http=CLIENT_CERT_PROTOCOL, timeout_keep_alive=30)
"""

LUA = """
wrk.method = %(method)s
wrk.path = %(path)s
%(headers)s
%(body)s
done = function(summary, latency, requests)
  io.write(string.format("WRKJSON {\\"requests\\": %%d, \\"seconds\\": %%f, \\"non2xx\\": %%d, \\"errors\\": %%d, "
    .. "\\"p99_ms\\": %%f}\\n", summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(99) / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lua_string(s: str) -> str:
    return json.dumps(s)


def measure(name: str, seconds: int, workdir: Path, subscribers: int) -> dict[str, float]:
    build, method, path, headers, body = TARGETS[name]
    build, path = build.replace("SUBSCRIBERS", str(subscribers)), path.replace("HALF", f"{subscribers // 2:08d}")
    port = free_port()
    child = workdir / f"{name}.py"
    child.write_text(CHILD % {"build": build})
    script = workdir / f"{name}.lua"
    script.write_text(LUA % {
        "method": lua_string(method), "path": lua_string(path),
        "headers": "\n".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()),
        "body": f"wrk.body = {lua_string(json.dumps(body))}" if body is not None else ""})
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, str(child), str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60  # seeding 100,000 subscribers takes a few seconds
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    why = proc.stderr.read() if proc.stderr else ""
                    raise SystemExit(f"the {name} server did not start: {why}") from None
                time.sleep(0.05)
        if name == "hss":  # the subscriber looked up is there (PyHSS answers 200 null for one that is not)
            with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
                c.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                answer = b"".join(iter(lambda: c.recv(65536), b""))
            if b'"subscriber_id"' not in answer:
                raise SystemExit(f"the HSS simulator did not find the subscriber it was seeded with: {answer[:300]!r}")
        p = subprocess.run(["wrk", "-t1", "-c16", f"-d{seconds}s", "--timeout", "5s", "-s", str(script),
                            f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=seconds + 60)
        for line in p.stdout.splitlines():
            if line.startswith("WRKJSON "):
                r = json.loads(line[8:])
                return {"req_per_s": round(r["requests"] / r["seconds"], 1), "p99_ms": round(r["p99_ms"], 2),
                        "not_2xx": r["non2xx"], "socket_errors": r["errors"]}
        raise SystemExit(f"wrk failed on {name}: {p.stdout}\n{p.stderr}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    args = parse_args("Requests per second of each simulator, against a bare ASGI floor",
                      SIZES, lambda p: p.add_argument("--seconds", type=int, default=None))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    seconds = args.seconds or args.params["seconds"]
    with tempfile.TemporaryDirectory(prefix="simexit-bench-sims-") as d:
        results = {name: measure(name, seconds, Path(d), args.params["subscribers"]) for name in TARGETS}
    floor = results.pop("floor")
    figures: dict[str, object] = {f"{n}_req_per_s": r["req_per_s"] for n, r in results.items()}
    figures.update({f"{n}_p99_ms": r["p99_ms"] for n, r in results.items()})
    figures["hss_subscribers"] = args.params["subscribers"]
    figures["not_2xx_or_errors"] = sum(r["not_2xx"] + r["socket_errors"] for r in results.values())
    figures["load_average"] = load_average()
    ratios = {f"{n}_vs_floor": round(r["req_per_s"] / floor["req_per_s"], 3) for n, r in results.items()}
    ratios["slowest_vs_goal"] = round(min(r["req_per_s"] for r in results.values()) / GOAL_REQ_PER_S, 3)
    report("simulators", args.size, "none", figures, {"bare_asgi_req_per_s": floor["req_per_s"],
                                                     "bare_asgi_p99_ms": floor["p99_ms"]},
           ratios, {"req_per_s_each": f">= {GOAL_REQ_PER_S}"})


if __name__ == "__main__":
    main()
