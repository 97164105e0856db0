"""Issue 13 through the closing saga: item 9 (a retried cancelOrder meets the state the first call set) and
item 8 (Open5GS: the timeline says when service really ends), on the faithful simulators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from simexit.domain.errors import Conflict
from simexit.domain.roles import Role
from simexit.integrations.network.open5gs import Open5gsProvisioner
from simexit.services.access.caller import StaffIdentity
from simexit.services.closure.applications import show
from simexit.services.execution import commands
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


class Killed(BaseException):
    """The worker process dies (SIGKILL) right after the SM-DP+ executed its call: nothing runs after it."""


class DiesAfterCancel:
    def __init__(self, smdp):
        self.smdp = smdp

    def cancel_order(self, *args, **kwargs):
        self.smdp.cancel_order(*args, **kwargs)
        raise Killed


SUPERVISOR = StaffIdentity(id=0, username="sam", display_name="Sam", role=Role.SUPERVISOR, brands=("*",))


def test_a_cancel_order_cut_off_by_a_killed_worker_is_state_uncertain_until_staff_confirm_it(app, clock, sims):
    line = clean_line(app, "globetalk", esim_state="Released")
    seeded = sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    dying = sims.integrations()
    dying.smdp = DiesAfterCancel(dying.smdp)
    with pytest.raises(Killed):  # the first try's answer is lost with the process: its attempt is never counted
        Worker(app, dying, WorkerOptions(lease_seconds=60)).run_until_idle()
    clock.advance(seconds=120)  # its lease runs out; another worker takes the step over
    worker = Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=5))
    worker.run_until_idle()
    view = show(app, number)
    assert view["status"] == "needs_attention"
    note = [e for e in view["timeline"] if e["event"] == "needs_attention"][-1]["note"]
    assert note.startswith("smdp: ESIM_STATE_UNCERTAIN: ") and "may have worked" in note

    # a plain retry meets the same refusal: the supervisor looks at the SM-DP+ and confirms the profile's state
    commands.retry(app, SUPERVISOR, number)
    worker.run_until_idle()
    assert show(app, number)["status"] == "needs_attention"
    assert [p["state"] for p in sims.get(sims.smdp, "state")] == ["Unavailable"]
    commands.confirm_outside_state(app, SUPERVISOR, number, "SM-DP+ portal shows the profile Unavailable")
    worker.run_until_idle()
    view = show(app, number)
    assert view["status"] == "completed", view["timeline"][-1]
    retried = [e for e in view["timeline"] if e["event"] == "retried"]
    assert retried[-1]["note"] == "SM-DP+ portal shows the profile Unavailable"
    # executed once; every later call was refused for the state the first one set
    assert [e["iccid"] for e in sims.effects(sims.smdp)] == seeded["profiles"]


def test_a_first_refusal_stays_a_plain_failure(app, clock, sims):
    line = clean_line(app, "globetalk", esim_state="Released")
    seeded = sims.seed_line(app, line["msisdn"])
    sims.post(sims.smdp, "seed", [{"iccid": i, "state": "Unavailable"} for i in seeded["profiles"]])
    number = apply_for(app, line["msisdn"])
    Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=5)).run_until_idle()
    flagged = [e for e in show(app, number)["timeline"] if e["event"] == "needs_attention"]
    assert len(flagged) == 1 and flagged[0]["note"].startswith("smdp: PROFILE_CANNOT_BE_RELEASED")
    # a refusal of the first call is not an uncertain state: nothing for a supervisor to confirm
    with pytest.raises(Conflict) as refused:
        commands.confirm_outside_state(app, SUPERVISOR, number, "looked")
    assert refused.value.code == "OUTSIDE_STATE_NOT_UNCERTAIN"


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


def test_a_confirmation_does_not_turn_a_profile_on_a_device_into_unavailable(app, clock, sims):
    # the supervisor confirmed, but the SM-DP+ now says the profile was downloaded (8.2.1/3.3): it is on a device,
    # not Unavailable, and the closure must not record it as cancelled
    line = clean_line(app, "globetalk", esim_state="Released")
    seeded = sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    dying = sims.integrations()
    dying.smdp = DiesAfterCancel(dying.smdp)
    with pytest.raises(Killed):
        Worker(app, dying, WorkerOptions(lease_seconds=60)).run_until_idle()
    clock.advance(seconds=120)
    worker = Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=5))
    worker.run_until_idle()
    sims.post(sims.smdp, "seed", [{"iccid": i, "state": "Downloaded"} for i in seeded["profiles"]])
    commands.confirm_outside_state(app, SUPERVISOR, number, "looked at the wrong profile")
    worker.run_until_idle()
    view = show(app, number)
    assert view["status"] == "needs_attention"
    note = [e for e in view["timeline"] if e["event"] == "needs_attention"][-1]["note"]
    assert note.startswith("smdp: PROFILE_ALREADY_DOWNLOADED"), note


def test_the_cli_confirms_an_uncertain_state_and_refuses_a_plain_refusal(app, clock, sims, monkeypatch):
    from click.testing import CliRunner

    from simexit.cli.main import main
    from simexit.config import get_settings

    monkeypatch.setenv("SIMEXIT_DATABASE_URL", app.db.url)
    monkeypatch.setenv("SIMEXIT_SECRET_KEY", app.secret_key)
    get_settings.cache_clear()
    line = clean_line(app, "globetalk", esim_state="Released")
    seeded = sims.seed_line(app, line["msisdn"])
    sims.post(sims.smdp, "seed", [{"iccid": i, "state": "Unavailable"} for i in seeded["profiles"]])
    number = apply_for(app, line["msisdn"])
    Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=5)).run_until_idle()
    refused = CliRunner().invoke(main, ["review", "confirm-state", number, "--staff", "sue", "--note", "looked"])
    assert refused.exit_code == 2 and "OUTSIDE_STATE_NOT_UNCERTAIN" in refused.output, refused.output
    missing = CliRunner().invoke(main, ["review", "confirm-state", number, "--staff", "sue"])
    assert missing.exit_code == 2 and "--note" in missing.output
    assert show(app, number)["status"] == "needs_attention"  # nothing changed

    # an uncertain one (the first answer lost) is confirmed from the command line
    other = clean_line(app, "globetalk", esim_state="Released")
    sims.seed_line(app, other["msisdn"])
    second = apply_for(app, other["msisdn"])
    sims.post(sims.smdp, "lose_answers", {"count": 1})
    worker = Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=5))
    for _ in range(4):
        worker.run_until_idle()
        clock.advance(seconds=30)
    assert show(app, second)["status"] == "needs_attention"
    ok = CliRunner().invoke(main, ["review", "confirm-state", second, "--staff", "sue", "--note", "Unavailable"])
    assert ok.exit_code == 0 and "state confirmed" in ok.output, ok.output
    clock.set(datetime.now(UTC) + timedelta(minutes=1))  # the CLI reopened the step on the system clock
    worker.run_until_idle()
    assert show(app, second)["status"] == "completed"
