"""Bulk execution: approved applications to ``completed`` by worker processes (``run_forever``, the concurrent
worker), against the simulators (HSS, SM-DP+, SMS gateway, payment system as HTTP servers, the mail sink over
SMTP) running in a separate process. Every run is bounded in time (``--time-limit``): what completed by then is
counted.

Two modes (issue 16):
- no added latency: the floor is a bare client that makes the same calls with the same concurrency and no
  bookkeeping (the requests the simulators received during the real run replayed, in order, by as many
  threads as the workers had, against the simulators reset and seeded again; one SMTP session per e-mail as
  the real sender does). Goal: at least 0.5x the floor's closures per second.
- ``--latency-ms 50 --hss-rate 200``: every HTTP simulator answers after 50 ms and the HSS refuses (429,
  Retry-After) beyond 200 requests a second; the workers are told the HSS limit (``SIMEXIT_OUTSIDE_LIMITS``,
  ``--limit-share`` of it, split between the workers: the limits are per process). The floor is the bound the
  limit sets: closures/s = 200 / HSS requests per closure (counted in the same run). Goal: at least 0.8x.
``--workers 1,2`` runs the whole benchmark once per count and adds the ratio of two workers to one.

    python bench/bulk_execution.py --size medium [--db postgresql+psycopg://…] [--concurrency 32]
        [--latency-ms 50 --hss-rate 200] [--workers 1,2] [--time-limit 900] [--no-floor]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fleet_data import load_fleet, msisdn
from bench.measure import (
    Timer,
    backend,
    database_url,
    load_average,
    parse_args,
    peak_rss_mb,
    quiet_calendar_warnings,
    report,
)

# Lines loaded; about 3 in 4 end approved (the rest need review or are refused): quick ~750 closures, medium
# ~10,000, large ~100,000.
SIZES = {"small": {"lines": 60}, "quick": {"lines": 1_000}, "medium": {"lines": 13_300}, "large": {"lines": 133_000}}
BRANDS = ["baohao", "globetalk", "hansanet", "liuliang", "roamly"]
KEY, SMS_KEY, PAY_SECRET = "bench-provisioning-key", "bench-sms-key", "bench-payments-secret-2026"


def serve_simulators() -> None:
    """The child process: every simulator on a free port; prints their addresses; runs until stdin closes."""
    from simexit.simulators.hss import HssSimulator
    from simexit.simulators.http_server import SimulatorServer
    from simexit.simulators.mail_sink import MailSink
    from simexit.simulators.payment_system import PaymentSystemSimulator
    from simexit.simulators.smdp import SmdpSimulator
    from simexit.simulators.sms_gateway import SmsGatewaySimulator

    servers: dict[str, Any] = {"hss": SimulatorServer(HssSimulator(KEY)), "smdp": SimulatorServer(SmdpSimulator()),
                               "sms": SmsGatewaySimulator(api_key=SMS_KEY),
                               "payments": PaymentSystemSimulator(secret=PAY_SECRET), "mail": MailSink()}
    for s in servers.values():
        s.start()
    urls = {k: s.url for k, s in servers.items()}
    urls["smtp_port"] = servers["mail"].smtp_port
    print(json.dumps(urls), flush=True)
    sys.stdin.read()
    for s in servers.values():
        s.stop()


class Simulators:
    def __init__(self, record_limit: int = 10_000) -> None:
        """``record_limit``: how many requests each simulator keeps (``SIMEXIT_SIM_RECORD_LIMIT``); the whole run's
        must fit, since the HSS requests per closure and the floor's replay are taken from them."""
        import httpx

        env = {**os.environ, "SIMEXIT_SIM_RECORD_LIMIT": str(record_limit)}
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve-simulators"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        self.urls = json.loads(self.proc.stdout.readline())  # type: ignore[union-attr]
        self.http = httpx.Client(timeout=30)

    def control(self, name: str, method: str, what: str, body: Any = None) -> Any:
        r = self.http.request(method, f"{self.urls[name]}/_sim/{what}", json=body)
        r.raise_for_status()
        return r.json() if r.content else None

    def records(self, name: str, what: str) -> list[dict]:
        """Every request ``name`` received; stops the benchmark when the simulator let some go (a count or a
        replay from part of the run would be wrong)."""
        r = self.http.get(f"{self.urls[name]}/_sim/{what}")
        r.raise_for_status()
        if int(r.headers.get("X-Sim-Dropped", "0")):
            raise SystemExit(f"the {name} simulator dropped {r.headers['X-Sim-Dropped']} of its records: "
                             "raise its record limit")
        return r.json()

    def stop(self) -> None:
        self.http.close()
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait(10)


def seed(sims: Simulators, subscribers: list[dict], profiles: list[dict]) -> None:
    for i in range(0, len(subscribers), 2000):
        sims.control("hss", "POST", "seed", subscribers[i:i + 2000])
    for i in range(0, len(profiles), 2000):
        sims.control("smdp", "POST", "seed", profiles[i:i + 2000])


def clock_shift_s(app) -> float:  # type: ignore[no-untyped-def]
    """How far the workers' clock must be ahead for the last closure waiting on its effective date to be due."""
    from sqlalchemy import func, select

    from simexit.store.tables_worker import timers

    with app.db.read() as conn:
        last = conn.execute(select(func.max(timers.c.due_at)).where(timers.c.kind == "closure_due")).scalar()
    return max(0.0, (last - app.clock.now()).total_seconds() + 60) if last else 0.0


def prepare(app, n: int, tmp: Path) -> tuple[str, list[dict], list[dict]]:  # type: ignore[no-untyped-def]
    """``n`` lines with IMSIs, applied for in one batch and approved; what the simulators must know of them."""
    from sqlalchemy import select, text

    from simexit.domain.state_machine import ActorType
    from simexit.services.bulk.approval import approve_batch
    from simexit.services.bulk.closure import run_batch, start_batch
    from simexit.services.bulk.decision import BulkOptions
    from simexit.services.closure.applications import Actor
    from simexit.store.tables import esim_profiles, lines

    load_fleet(app, n, BRANDS)
    with app.db.write() as conn:
        # One IMSI per line, from its id. (substr with a negative start counts from the end on SQLite only: on
        # PostgreSQL every line got the IMSI 00101, and each HSS lookup by IMSI fell back to the MSISDN.)
        padded = "lpad(id::text, 10, '0')" if app.db.dialect == "postgresql" else "substr('0000000000' || id, -10, 10)"
        conn.execute(text(f"UPDATE lines SET imsi = '00101' || {padded}"))
    path = tmp / "fleet.csv"
    with path.open("w") as fh:
        fh.write("msisdn,iccid,reason\n")
        for i in range(1, n + 1):
            fh.write(f"{msisdn(app.policy(BRANDS[i % len(BRANDS)]).brand.jurisdiction, i)},,no_longer_needed\n")
    batch = start_batch(app, path, BulkOptions(channel="online", identity_method="otp",
                                               refund_method="original_payment"))
    run_batch(app, batch["batch_id"], path)
    approve_batch(app, batch["batch_id"], Actor(ActorType.STAFF, "rita", "reviewer", "online"))
    with app.db.read() as conn:
        rows = conn.execute(select(lines.c.imsi, lines.c.msisdn, lines.c.iccid, lines.c.kind)).all()
        profs = conn.execute(select(esim_profiles.c.iccid, esim_profiles.c.state, esim_profiles.c.eid)).all()
    subscribers = [{"imsi": r.imsi, "msisdn": r.msisdn, "iccid": r.iccid, "ims": r.kind != "data",
                    "esim": r.kind == "esim"} for r in rows]
    profiles = [{"iccid": p.iccid, "state": p.state, "eid": p.eid} for p in profs]
    profiles += [{"iccid": r.iccid, "state": "Released"} for r in rows if r.kind == "esim"]
    return batch["batch_id"], subscribers, profiles


class ShiftedClock:
    """The system clock moved forward, so that every effective date has passed - and no more: moved further, the
    erasure timers of the closures with the earliest dates came due during the run too (90 days after for the
    DE brands), and the workers spent a fifth of their time erasing (py-spy), work that is not the goal's and
    that the floor does not do."""

    def __init__(self, by: timedelta) -> None:
        from simexit.clock import SystemClock

        self.base, self.by = SystemClock(), by

    def now(self):  # type: ignore[no-untyped-def]
        return self.base.now() + self.by


def run_worker(config: dict[str, Any]) -> None:
    """A worker process: waits for "go" on stdin, runs ``run_forever`` until stdin says "stop", prints its peak
    memory."""

    from simexit.bootstrap import bootstrap
    from simexit.config import Settings
    from simexit.integrations import limits
    from simexit.integrations.esim.es2plus import Es2PlusClient
    from simexit.integrations.messaging.senders import message_senders
    from simexit.integrations.network.pyhss import PyHssProvisioner
    from simexit.integrations.payments.webhook import WebhookRefundGateway
    from simexit.integrations.relying_parties.webhooks import WebhookDisconnectNotifier
    from simexit.integrations.wiring import Integrations
    from simexit.worker.runner import Worker, WorkerOptions

    quiet_calendar_warnings()
    u, c = config["urls"], config["concurrency"]
    s = Settings(database_url=config["url"], sms_gateway_url=u["sms"], sms_api_key=SMS_KEY, smtp_port=u["smtp_port"],
                 payments_url=u["payments"], payments_secret=PAY_SECRET)
    app = bootstrap(s, clock=ShiftedClock(timedelta(seconds=config["shift_s"])))
    limits.configure(config["limits"])
    # The adapters as production builds them (each client's transport: a connection pool per thread).
    integrations = Integrations(network=PyHssProvisioner(u["hss"], KEY), smdp=Es2PlusClient(u["smdp"], "bench"),
                                senders=message_senders(s), refunds=WebhookRefundGateway(u["payments"], PAY_SECRET),
                                notifier=WebhookDisconnectNotifier(lambda: []))  # no relying party subscribed
    worker = Worker(app, integrations, WorkerOptions(batch=4 * c, max_attempts=5, backoff_seconds=1,
                                                     poll_seconds=0.2, concurrency=c, item_seconds=10,
                                                     lease_seconds=120))
    print("ready", flush=True)
    sys.stdin.readline()
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    thread.start()
    sys.stdin.readline()
    worker.stop()
    thread.join(60)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"peak_rss_mb": round(peak_rss_mb(), 1), "cpu_s": round(cpu.ru_utime + cpu.ru_stime, 2)}),
          flush=True)


def _progress(url: str) -> tuple[int, int, int]:
    """(completed, approved or executing, messages and steps still pending)."""
    from sqlalchemy import create_engine, func, select

    from simexit.store.tables import applications, outbox
    from simexit.store.tables_worker import saga_steps

    engine = _progress.__dict__.setdefault("engine", {}).get(url) or create_engine(url)
    _progress.__dict__["engine"][url] = engine
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(applications.c.status, func.count()).group_by(applications.c.status)).all())
        pending = conn.execute(select(func.count()).select_from(outbox).where(outbox.c.state == "pending")).scalar()
        steps = conn.execute(select(func.count()).select_from(saga_steps)
                             .where(saga_steps.c.state == "pending")).scalar()
    return statuses.get("completed", 0), statuses.get("approved", 0) + statuses.get("executing", 0), \
        int(pending or 0) + int(steps or 0)


def execute(url: str, sims: Simulators, *, workers: int, concurrency: int, limit_map: dict[str, Any],
            time_limit: float, shift_s: float) -> dict[str, Any]:
    from sqlalchemy import create_engine, select

    from simexit.store.tables_worker import saga_steps

    config = {"url": url, "urls": sims.urls, "concurrency": concurrency, "limits": limit_map, "shift_s": shift_s}
    procs = [subprocess.Popen([sys.executable, __file__, "--run-worker", json.dumps(config)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    try:
        for p in procs:
            if p.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
                raise SystemExit("a worker did not start")
        total = sum(_progress(url)[:2])
        with Timer() as t:
            for p in procs:
                p.stdin.write("go\n")  # type: ignore[union-attr]
                p.stdin.flush()  # type: ignore[union-attr]
            timed_out = True
            t0 = time.monotonic()
            # The progress query counts every application: with 100,000 of them a poll every 0.25 s was a load of
            # its own on the database the workers use.
            poll = 0.25 if total < 5_000 else 1.0
            while time.monotonic() - t0 < time_limit:
                time.sleep(poll)
                _done, left, pending = _progress(url)
                if left == 0 and pending == 0:
                    timed_out = False
                    break
        peaks, cpu = [], 0.0
        for p in procs:
            out, _ = p.communicate("stop\n", timeout=120)
            child = json.loads(out.strip().splitlines()[-1])
            peaks.append(child["peak_rss_mb"])
            cpu += child["cpu_s"]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    done, left, _pending = _progress(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        failed = Counter((r.step, (r.last_error or "")[:160]) for r in conn.execute(
            select(saga_steps.c.step, saga_steps.c.last_error).where(saga_steps.c.state != "done")))
    engine.dispose()
    return {"seconds": t.seconds, "completed": done, "not_completed": left, "timed_out": timed_out,
            "worker_peak_rss_mb": peaks, "worker_cpu_s": round(cpu, 2),
            "steps_not_done": [{"step": k[0], "error": k[1], "count": c} for k, c in failed.most_common(5)]}


def recorded_calls(sims: Simulators) -> tuple[dict[str, list[dict]], list[dict]]:
    recorded = {k: sims.records(k, "requests") for k in ("hss", "smdp")}
    recorded.update({k: sims.records(k, "received") for k in ("sms", "payments")})
    mails = sims.http.get(f"{sims.urls['mail']}/messages").json()
    return recorded, mails


def replay(sims: Simulators, recorded: dict[str, list[dict]], mails: list[dict], subscribers: list[dict],
           profiles: list[dict], threads: int) -> dict[str, Any]:
    """The integration floor: the same HTTP requests and e-mails from a bare client, no bookkeeping, ``threads``
    at once (taking the calls in their recorded order)."""
    import httpx

    for k in ("hss", "smdp", "sms", "payments", "mail"):
        sims.control(k, "POST", "reset", {})
    seed(sims, subscribers, profiles)
    calls: list[tuple[str, dict]] = [(name, r) for name, reqs in recorded.items() for r in reqs
                                     if r.get("status") != 429]
    from simexit.integrations.http_transport import PerThreadTransport

    http = httpx.Client(timeout=30, transport=PerThreadTransport())  # the worker's transport

    def one(call: tuple[str, dict]) -> None:
        name, r = call
        body = r.get("body")
        content = json.dumps(body).encode() if isinstance(body, dict | list) else \
            (body.encode() if isinstance(body, str) else None)
        headers = {k: v for k, v in (r.get("headers") or {}).items()
                   if k.lower() not in ("content-length", "host", "connection", "accept-encoding")}
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile is opened again
            try:
                http.request(r["method"], sims.urls[name] + r["path"], params=r.get("query") or None,
                             content=content, headers=headers)
                return
            except httpx.TransportError:
                if attempt == 2:
                    raise

    def mail(m: dict) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "bench@simexit.localhost", m.get("to") or "x@example.org", \
            m.get("subject") or "x"
        msg.set_content(m.get("text") or "x")
        if m.get("html"):
            msg.add_alternative(m["html"], subtype="html")
        with smtplib.SMTP("127.0.0.1", sims.urls["smtp_port"], timeout=30) as smtp:
            smtp.send_message(msg)

    cpu0 = time.process_time()
    with ThreadPoolExecutor(threads) as pool, Timer() as t:
        list(pool.map(one, calls))
        list(pool.map(mail, mails))
    http.close()
    return {"seconds": t.seconds, "calls": len(calls) + len(mails), "emails": len(mails),
            "client_cpu_s": round(time.process_time() - cpu0, 2)}


def one_run(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    from simexit.bootstrap import bootstrap
    from simexit.config import Settings

    n = args.params["lines"]
    # Every request of the run is kept (about 20 HSS requests per closure; before, the default 10,000 cut the
    # count and the floor's replay short from the quick size up).
    sims = Simulators(record_limit=max(10_000, n * 60))
    latency = args.latency_ms / 1000
    limited = bool(args.hss_rate)
    limit_map: dict[str, Any] = {}
    if limited:  # the contract's limit, shared out between the worker processes (the limits are per process)
        limit_map["hss"] = {"rate_per_s": args.hss_rate * args.limit_share / workers}
    try:
        with database_url(args.db) as url, tempfile.TemporaryDirectory(prefix="simexit-exec-") as tmp:
            app = bootstrap(Settings(database_url=url))
            _batch, subscribers, profiles = prepare(app, n, Path(tmp))
            shift_s = clock_shift_s(app)
            app.db.engine.dispose()
            seed(sims, subscribers, profiles)
            for k in ("hss", "smdp", "sms", "payments"):
                sims.control(k, "POST", "behaviour", {"delay_s": latency})
            if limited:
                sims.control("hss", "POST", "behaviour", {"rate_limit_per_s": args.hss_rate})
            real = execute(url, sims, workers=workers, concurrency=args.concurrency, limit_map=limit_map,
                           time_limit=args.time_limit, shift_s=shift_s)
            recorded, mails = recorded_calls(sims)
            for k in ("hss", "smdp", "sms", "payments"):
                sims.control(k, "POST", "behaviour", {"delay_s": 0, "rate_limit_per_s": None})
            hss_ok = sum(1 for r in recorded["hss"] if r.get("status") != 429)
            hss_refused = len(recorded["hss"]) - hss_ok
            floor = None if limited or args.no_floor else replay(sims, recorded, mails, subscribers, profiles,
                                                                 workers * args.concurrency)
    finally:
        sims.stop()
    done = real["completed"]
    per_s = done / real["seconds"] if real["seconds"] else 0.0
    out: dict[str, Any] = {
        "workers": workers, "concurrency": args.concurrency, "completed": done,
        "not_completed": real["not_completed"], "timed_out": real["timed_out"], "seconds": round(real["seconds"], 2),
        "closures_per_s": round(per_s, 2), "hss_requests_per_closure": round(hss_ok / done, 2) if done else None,
        "hss_429": hss_refused, "worker_peak_rss_mb": real["worker_peak_rss_mb"],
        "worker_cpu_ms_per_closure": round(real["worker_cpu_s"] * 1000 / done, 1) if done else None,
        "steps_not_done": real["steps_not_done"]}
    if limited:
        bound = args.hss_rate / (hss_ok / done) if done else 0.0
        out["floor"] = {"kind": f"bound of the HSS limit: {args.hss_rate:g}/s / HSS requests per closure",
                        "closures_per_s": round(bound, 2)}
        out["ratio"] = round(per_s / bound, 3) if bound else 0.0
    elif floor is None:  # --no-floor
        out["floor"], out["ratio"] = {"kind": "not measured (--no-floor)"}, None
    else:
        out["floor"] = {"kind": f"bare client, {workers * args.concurrency} threads, same calls",
                        "calls": floor["calls"], "seconds": round(floor["seconds"], 2),
                        "client_cpu_ms_per_closure": round(floor["client_cpu_s"] * 1000 / done, 1) if done else None,
                        "closures_per_s": round(done / floor["seconds"], 2) if floor["seconds"] else 0.0}
        out["ratio"] = round(floor["seconds"] / real["seconds"], 3) if real["seconds"] else 0.0
    return out


def main() -> None:
    if "--serve-simulators" in sys.argv:
        serve_simulators()
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--run-worker":
        run_worker(json.loads(sys.argv[2]))
        return

    def extra(p: argparse.ArgumentParser) -> None:
        p.add_argument("--concurrency", type=int, default=32, help="threads per worker (SIMEXIT_WORKER_CONCURRENCY)")
        p.add_argument("--workers", default="1", help="worker processes; 1,2 runs once per count")
        p.add_argument("--latency-ms", type=float, default=0.0, help="every HTTP simulator answers after this")
        p.add_argument("--hss-rate", type=float, default=0.0, help="the HSS refuses (429) beyond this many req/s")
        p.add_argument("--limit-share", type=float, default=0.97,
                       help="the workers' HSS rate limit as a share of the HSS's (a margin for jitter)")
        p.add_argument("--time-limit", type=float, default=900, help="seconds; what completed by then counts")
        p.add_argument("--no-floor", action="store_true",
                       help="skip the bare client's replay (a run for the worker's memory and time only: the large "
                            "size's replay of 2.2 million calls takes about as long as the run)")

    args = parse_args(__doc__.split("\n")[0], SIZES, extra)
    quiet_calendar_warnings()
    runs = [one_run(args, int(w)) for w in args.workers.split(",")]
    goal = 0.8 if args.hss_rate else 0.5
    figures = {f"workers_{r['workers']}": r for r in runs}
    figures["load_average"] = load_average()
    baseline = {f"workers_{r['workers']}": r["floor"] for r in runs}
    ratios = {f"workers_{r['workers']}_over_floor": r["ratio"] for r in runs}
    goals: dict[str, Any] = {"over_floor": f">= {goal}", "over_floor_met": None if args.no_floor and not args.hss_rate
                             else all(r["ratio"] >= goal for r in runs)}
    if len(runs) == 2 and runs[0]["closures_per_s"]:
        ratios["two_over_one"] = round(runs[1]["closures_per_s"] / runs[0]["closures_per_s"], 3)
        goals["two_over_one"] = ">= 1.8 (PostgreSQL)"
        goals["two_over_one_met"] = ratios["two_over_one"] >= 1.8
    mode = f"latency {args.latency_ms:g} ms, HSS {args.hss_rate:g}/s" if args.hss_rate or args.latency_ms else \
        "no added latency"
    figures["mode"] = mode
    report("bulk_execution", args.size, backend(args.db or "sqlite"), figures, baseline,
           ratios, goals)


if __name__ == "__main__":
    main()
