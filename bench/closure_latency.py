"""Single closure latency: from the customer's confirmation (apply, auto-approved, immediate effect) to
``completed`` with the confirmation e-mail in the mail sink, one closure at a time, with a ``simexit worker``
process (the default poll of 0.5 s; on PostgreSQL it is woken by LISTEN/NOTIFY) and the simulators (HSS,
SM-DP+, SMS gateway, payment system over HTTP, the mail sink over SMTP) in another process.

Baseline (the floor): the same outside calls made by a bare client one after the other (the requests the
simulators received, replayed per closure, and one SMTP session per e-mail), i.e. what the outside systems
alone take for one closure. Goal (PostgreSQL): median under 1 s, p99 under 2 s over 100 closures.

    python bench/closure_latency.py --db postgresql+psycopg://… [--size small|medium]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bulk_execution import KEY, PAY_SECRET, SMS_KEY, Simulators, recorded_calls, replay
from bench.measure import (
    backend,
    database_url,
    latency_summary,
    load_average,
    parse_args,
    quiet_calendar_warnings,
    report,
)

SIZES = {"small": {"closures": 20}, "medium": {"closures": 100}}
ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-closure-latency-secret-key-0123456789"


def _worker_env(url: str, urls: dict[str, Any]) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "SIMEXIT_DATABASE_URL": url,
            "SIMEXIT_SECRET_KEY": SECRET, "SIMEXIT_NETWORK": "pyhss", "SIMEXIT_PYHSS_URL": urls["hss"],
            "SIMEXIT_PYHSS_PROVISIONING_KEY": KEY, "SIMEXIT_SMDP_URL": urls["smdp"],
            "SIMEXIT_SMS_GATEWAY_URL": urls["sms"], "SIMEXIT_SMS_API_KEY": SMS_KEY,
            "SIMEXIT_SMTP_HOST": "127.0.0.1", "SIMEXIT_SMTP_PORT": str(urls["smtp_port"]),
            "SIMEXIT_PAYMENTS_URL": urls["payments"], "SIMEXIT_PAYMENTS_SECRET": PAY_SECRET}


def _seed(sims: Simulators, app, msisdn: str, seeds: tuple[list, list]) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from simexit.store.tables import esim_profiles, lines

    with app.db.read() as conn:
        line = conn.execute(select(lines).where(lines.c.msisdn == msisdn)).mappings().one()
        profiles = conn.execute(select(esim_profiles).where(esim_profiles.c.line_id == line["id"])).mappings().all()
    subscriber = [{"imsi": line["imsi"], "msisdn": msisdn, "iccid": line["iccid"], "ims": line["kind"] != "data",
                   "esim": line["kind"] == "esim"}]
    seeded = [{"iccid": p["iccid"], "state": p["state"], "eid": p["eid"]} for p in profiles] or \
        [{"iccid": line["iccid"], "state": "Released"}]
    sims.control("hss", "POST", "seed", subscriber)
    sims.control("smdp", "POST", "seed", seeded)
    seeds[0].extend(subscriber)
    seeds[1].extend(seeded)


def _done(app, number: str) -> bool:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from simexit.store.tables import applications, outbox

    with app.db.lookup() as conn:
        row = conn.execute(select(applications.c.id, applications.c.status)
                           .where(applications.c.application_no == number)).first()
        if row is None or row.status != "completed":
            return False
        # the closure's confirmation (the brand also mails its decisions: "received" goes out first)
        return conn.execute(select(outbox.c.state).where(outbox.c.application_id == row.id,
                                                         outbox.c.kind == "email",
                                                         outbox.c.template == "closure_confirmation")
                            ).scalar() == "sent"


def _emails_sent(app) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from simexit.store.tables import outbox

    with app.db.lookup() as conn:
        return conn.execute(select(func.count()).select_from(outbox)
                            .where(outbox.c.kind == "email", outbox.c.state == "sent")).scalar_one()


def main() -> None:
    args = parse_args(__doc__.split("\n")[0], SIZES)
    quiet_calendar_warnings()
    n = args.params["closures"]
    from tests.simulated_world import apply_for, clean_line

    from simexit.bootstrap import bootstrap
    from simexit.config import Settings

    sims = Simulators()
    latencies: list[float] = []
    try:
        with database_url(args.db) as url:
            app = bootstrap(Settings(database_url=url, secret_key=SECRET))
            numbers: list[str] = []
            seeds: tuple[list, list] = ([], [])
            for _ in range(n):
                line = clean_line(app, "globetalk", kind="esim", payment="prepaid", balance=1500)
                _seed(sims, app, line["msisdn"], seeds)
                numbers.append(line["msisdn"])
            proc = subprocess.Popen([sys.executable, "-m", "simexit.cli.main", "worker"], cwd=ROOT,
                                    env=_worker_env(url, sims.urls), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True)
            try:
                for _ in range(20):  # its first lines on stderr: the limits it keeps, then "… started"
                    line = proc.stderr.readline() if proc.stderr else ""
                    if "started" in line or not line:
                        break
                if "started" not in line:
                    raise SystemExit("the worker did not start")
                time.sleep(1.0)  # its first round done, it waits (and listens)
                for msisdn in numbers:
                    t0 = time.perf_counter()
                    number = apply_for(app, msisdn)  # the customer's confirmation
                    # A light look every 5 ms: the worker marks the e-mail sent once the mail sink has
                    # answered 250 to its DATA (the sink stores the message before it answers).
                    while time.perf_counter() - t0 < 30 and not _done(app, number):
                        time.sleep(0.005)
                    latencies.append(time.perf_counter() - t0)
                    if len(sims.http.get(f"{sims.urls['mail']}/messages").json()) != _emails_sent(app):
                        raise SystemExit(f"closure {number}: an e-mail marked sent is not in the mail sink")
                    time.sleep(0.3)  # the worker idle again before the next customer
            finally:
                proc.terminate()
                proc.wait(20)
            app.db.engine.dispose()
            recorded, mails = recorded_calls(sims)
            floor = replay(sims, recorded, mails, seeds[0], seeds[1], 1)
    finally:
        sims.stop()
    summary = latency_summary(latencies)
    floor_ms = floor["seconds"] / n * 1000
    figures = {"closures": n, **summary, "load_average": load_average()}
    baseline = {"outside_calls_per_closure": round(floor["calls"] / n, 1), "floor_ms_per_closure": round(floor_ms, 1)}
    ratios = {"median_over_floor": round(summary["median_ms"] / floor_ms, 2) if floor_ms else 0.0}
    goals = {"median": "< 1000 ms", "p99": "< 2000 ms",
             "met": summary["median_ms"] < 1000 and summary["p99_ms"] < 2000}
    report("closure_latency", args.size, backend(url), figures, baseline, ratios, goals)


if __name__ == "__main__":
    main()
