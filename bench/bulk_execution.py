"""Bulk execution: approved applications to ``completed`` by the worker, against the simulators (HSS, SM-DP+,
SMS gateway, payment system as HTTP servers, the mail sink over SMTP) running in a separate process.

Baseline (the integration floor): a bare client that makes the same simulator calls with no bookkeeping. The
requests the simulators received during the real run are replayed, in order, against the simulators reset
and seeded again (httpx for HTTP, one SMTP session per e-mail as the real sender does).
Goal: at least 0.3x the floor's applications per second.

    python bench/bulk_execution.py [--size small|large] [--db postgresql+psycopg://…]
"""

from __future__ import annotations

import json
import smtplib
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fleet_data import load_fleet, msisdn
from bench.measure import Timer, backend, database_url, load_average, parse_args, quiet_calendar_warnings, report

SIZES = {"small": {"lines": 60}, "medium": {"lines": 1_000}, "large": {"lines": 10_000}}
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
    def __init__(self) -> None:
        import httpx

        self.proc = subprocess.Popen([sys.executable, __file__, "--serve-simulators"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.urls = json.loads(self.proc.stdout.readline())  # type: ignore[union-attr]
        self.http = httpx.Client(timeout=30)

    def control(self, name: str, method: str, what: str, body: Any = None) -> Any:
        r = self.http.request(method, f"{self.urls[name]}/_sim/{what}", json=body)
        r.raise_for_status()
        return r.json() if r.content else None

    def stop(self) -> None:
        self.http.close()
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait(10)


def seed(sims: Simulators, subscribers: list[dict], profiles: list[dict]) -> None:
    for i in range(0, len(subscribers), 2000):
        sims.control("hss", "POST", "seed", subscribers[i:i + 2000])
    for i in range(0, len(profiles), 2000):
        sims.control("smdp", "POST", "seed", profiles[i:i + 2000])


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
        conn.execute(text("UPDATE lines SET imsi = '00101' || substr('0000000000' || id, -10, 10)"))
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
    """The system clock moved forward, so that every effective date has passed."""

    def __init__(self, by: timedelta) -> None:
        from simexit.clock import SystemClock

        self.base, self.by = SystemClock(), by

    def now(self):  # type: ignore[no-untyped-def]
        return self.base.now() + self.by


def execute(url: str, sims: Simulators) -> dict[str, Any]:
    from sqlalchemy import func, select

    from simexit.bootstrap import bootstrap
    from simexit.config import Settings
    from simexit.integrations.esim.es2plus import Es2PlusClient
    from simexit.integrations.messaging.senders import message_senders
    from simexit.integrations.network.pyhss import PyHssProvisioner
    from simexit.integrations.payments.webhook import WebhookRefundGateway
    from simexit.integrations.relying_parties.webhooks import WebhookDisconnectNotifier
    from simexit.integrations.wiring import Integrations
    from simexit.store.tables import applications
    from simexit.store.tables_worker import saga_steps
    from simexit.worker.runner import Worker, WorkerOptions

    u = sims.urls
    s = Settings(database_url=url, sms_gateway_url=u["sms"], sms_api_key=SMS_KEY, smtp_port=u["smtp_port"],
                 payments_url=u["payments"], payments_secret=PAY_SECRET)
    app = bootstrap(s, clock=ShiftedClock(timedelta(days=120)))
    integrations = Integrations(network=PyHssProvisioner(u["hss"], KEY), smdp=Es2PlusClient(u["smdp"], "bench"),
                                senders=message_senders(s), refunds=WebhookRefundGateway(u["payments"], PAY_SECRET),
                                notifier=WebhookDisconnectNotifier(lambda: []))  # no relying party subscribed
    worker = Worker(app, integrations, WorkerOptions(batch=100, max_attempts=3, backoff_seconds=1))
    with Timer() as t:
        rounds = worker.run_until_idle(max_rounds=100_000)
    with app.db.read() as conn:
        counts = dict(conn.execute(select(applications.c.status, func.count()).group_by(applications.c.status)).all())
        failed = Counter((r.step, (r.last_error or "")[:160]) for r in conn.execute(
            select(saga_steps.c.step, saga_steps.c.last_error).where(saga_steps.c.state != "done")))
    app.db.engine.dispose()
    return {"seconds": t.seconds, "items": rounds, "statuses": counts,
            "steps_not_done": [{"step": k[0], "error": k[1], "count": c} for k, c in failed.items()]}


def replay(sims: Simulators, subscribers: list[dict], profiles: list[dict]) -> dict[str, Any]:
    """The integration floor: the same HTTP requests and e-mails, from a bare client, no bookkeeping."""
    import httpx

    recorded = {k: sims.control(k, "GET", "requests") for k in ("hss", "smdp")}
    recorded.update({k: sims.control(k, "GET", "received") for k in ("sms", "payments")})
    mails = sims.http.get(f"{sims.urls['mail']}/messages").json()
    for k in ("hss", "smdp", "sms", "payments", "mail"):
        sims.control(k, "POST", "reset", {})
    seed(sims, subscribers, profiles)
    calls = 0
    with httpx.Client(timeout=30) as http, Timer() as t:
        for name, reqs in recorded.items():
            for r in reqs:
                body = r.get("body")
                content = json.dumps(body).encode() if isinstance(body, dict | list) else \
                    (body.encode() if isinstance(body, str) else None)
                headers = {k: v for k, v in (r.get("headers") or {}).items()
                           if k.lower() not in ("content-length", "host", "connection", "accept-encoding")}
                http.request(r["method"], sims.urls[name] + r["path"], params=r.get("query") or None,
                             content=content, headers=headers)
                calls += 1
        for m in mails:
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = "bench@simexit.localhost", m.get("to") or "x@example.org", \
                m.get("subject") or "x"
            msg.set_content(m.get("text") or "x")
            if m.get("html"):
                msg.add_alternative(m["html"], subtype="html")
            with smtplib.SMTP("127.0.0.1", sims.urls["smtp_port"], timeout=30) as smtp:
                smtp.send_message(msg)
            calls += 1
    return {"seconds": t.seconds, "calls": calls, "emails": len(mails)}


def main() -> None:
    if "--serve-simulators" in sys.argv:
        serve_simulators()
        return
    args = parse_args(__doc__.split("\n")[0], SIZES)
    quiet_calendar_warnings()
    n = args.params["lines"]
    from simexit.bootstrap import bootstrap
    from simexit.config import Settings

    sims = Simulators()
    try:
        with database_url(args.db) as url, tempfile.TemporaryDirectory(prefix="simexit-exec-") as tmp:
            app = bootstrap(Settings(database_url=url))
            _batch, subscribers, profiles = prepare(app, n, Path(tmp))
            app.db.engine.dispose()
            seed(sims, subscribers, profiles)
            real = execute(url, sims)
            floor = replay(sims, subscribers, profiles)
    finally:
        sims.stop()
    done = real["statuses"].get("completed", 0)
    figures = {"applications_completed": done, "statuses": real["statuses"],
               "steps_not_done": real["steps_not_done"], "seconds": round(real["seconds"], 2),
               "applications_per_s": round(done / real["seconds"], 1), "load_average": load_average()}
    baseline = {"simulator_calls": floor["calls"], "emails": floor["emails"], "seconds": round(floor["seconds"], 2),
                "applications_per_s": round(done / floor["seconds"], 1) if floor["seconds"] else 0.0}
    ratios = {"throughput": round(floor["seconds"] / real["seconds"], 3)}
    goals = {"throughput": ">= 0.3", "throughput_met": ratios["throughput"] >= 0.3}
    report("bulk_execution", args.size, backend(url), figures, baseline, ratios, goals)


if __name__ == "__main__":
    main()
