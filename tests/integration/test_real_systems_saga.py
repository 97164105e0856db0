"""Issue 13 through the closing saga: item 9 (a retried cancelOrder meets the state the first call set) and
item 8 (Open5GS: the timeline says when service really ends), on the faithful simulators."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from simexit.integrations.network.open5gs import Open5gsProvisioner
from simexit.services.closure.applications import show
from simexit.simulators.http_server import SimulatorServer
from simexit.simulators.open5gs import Open5gsSimulator
from simexit.store.tables import lines
from simexit.worker.runner import Worker, WorkerOptions
from tests.simulated_world import apply_for, clean_line


def test_a_cancel_order_whose_answer_was_lost_ends_in_esim_state_uncertain(app, clock, sims):
    line = clean_line(app, "globetalk", esim_state="Released")
    sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    sims.post(sims.smdp, "lose_answers", {"count": 1})  # the SM-DP+ executes it, the answer never arrives
    worker = Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=5))
    for _ in range(4):
        worker.run_until_idle()
        clock.advance(seconds=30)
    view = show(app, number)
    assert view["status"] == "needs_attention"
    flagged = [e for e in view["timeline"] if e["event"] == "needs_attention"]
    assert len(flagged) == 1 and flagged[0]["note"].startswith("smdp: ESIM_STATE_UNCERTAIN: attempt 2")
    assert "may have worked" in flagged[0]["note"]
    # the first call did work: the SM-DP+ holds the profile Unavailable, executed once, refused once
    assert [p["state"] for p in sims.get(sims.smdp, "state")] == ["Unavailable"]
    assert [r["status"] for r in sims.get(sims.smdp, "requests")] == [503, 200]


def test_a_first_refusal_stays_a_plain_failure(app, clock, sims):
    line = clean_line(app, "globetalk", esim_state="Released")
    seeded = sims.seed_line(app, line["msisdn"])
    sims.post(sims.smdp, "seed", [{"iccid": i, "state": "Unavailable"} for i in seeded["profiles"]])
    number = apply_for(app, line["msisdn"])
    Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=5)).run_until_idle()
    flagged = [e for e in show(app, number)["timeline"] if e["event"] == "needs_attention"]
    assert len(flagged) == 1 and flagged[0]["note"].startswith("smdp: PROFILE_CANNOT_BE_RELEASED")


def test_with_open5gs_the_timeline_says_service_ends_at_the_next_authentication(app, clock, sims):
    line = clean_line(app, "globetalk", kind="sim")
    with app.db.read() as conn:
        imsi = conn.execute(select(lines.c.imsi).where(lines.c.msisdn == line["msisdn"])).scalar_one()
    with SimulatorServer(Open5gsSimulator()) as open5gs:
        httpx.post(f"{open5gs.url}/_sim/seed", json=[{"imsi": imsi, "msisdn": line["msisdn"]}])
        integrations = sims.integrations()
        integrations.network = Open5gsProvisioner(open5gs.url, "admin", "1423")
        number = apply_for(app, line["msisdn"])
        Worker(app, integrations, WorkerOptions(backoff_seconds=1, max_attempts=3)).run_until_idle()
        effects = httpx.get(f"{open5gs.url}/_sim/effects").json()
    view = show(app, number)
    assert view["status"] == "completed", view["timeline"][-1]
    events = [e["event"] for e in view["timeline"]]
    assert "network_service_until_next_auth" in events
    assert [e["service"] for e in effects] == ["continues", "until_next_authentication"]
