"""Outside systems down, supervisors' retry, timers (SLA escalation, erasure without a handler), outbox
scrubbing, and two workers sharing the work on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from simexit.domain.errors import TransitionRefused
from simexit.domain.roles import Role
from simexit.services.access.caller import StaffIdentity
from simexit.services.closure.applications import show
from simexit.services.execution import commands as execution
from simexit.services.execution import outbox
from simexit.store.tables import application_events
from simexit.store.tables import outbox as outbox_table
from simexit.store.tables_worker import saga_steps
from simexit.worker.runner import Worker, WorkerOptions
from tests.simulated_world import apply_for, clean_line


def test_outage_waits_retries_then_needs_attention_and_supervisor_retry_finishes(app, clock, sims):
    line = clean_line(app, "globetalk")
    seeded = sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    sims.post(sims.hss, "behaviour", {"fail": "unavailable"})
    worker = Worker(app, sims.integrations(), WorkerOptions(max_attempts=4, backoff_seconds=10))
    worker.run_until_idle()
    assert show(app, number)["status"] == "executing"
    with app.db.read() as conn:
        bar = conn.execute(select(saga_steps).where(saga_steps.c.step == "network_bar")).mappings().one()
    assert bar["attempts"] == 1 and "HTTP_503" in bar["last_error"] and bar["due_at"] > clock.now()
    for _ in range(3):  # it waits (backoff 10 s, 20 s, 40 s) and retries
        clock.advance(seconds=100)
        worker.run_until_idle()
    view = show(app, number)
    assert view["status"] == "needs_attention"
    assert "pyhss: HTTP_503" in view["timeline"][-1]["note"]
    assert sims.effects(sims.hss) == []

    sims.post(sims.hss, "behaviour", {"fail": "none"})
    clock.advance(hours=1)
    worker.run_until_idle()
    assert show(app, number)["status"] == "needs_attention"  # nobody retries it but a supervisor
    sue = StaffIdentity(id=1, username="sue", display_name="Sue", role=Role.SUPERVISOR, brands=("*",))
    out = execution.retry(app, sue, number, "HSS is back")
    assert out.step == "network_bar"
    with pytest.raises(TransitionRefused):
        execution.retry(app, sue, number)
    worker.run_until_idle()
    view = show(app, number)
    assert view["status"] == "completed"
    assert [e["event"] for e in view["timeline"]][-3:-1] == ["needs_attention", "retried"] or \
        "retried" in [e["event"] for e in view["timeline"]]
    assert Counter(e["kind"] for e in sims.effects(sims.hss))["bar"] == 1
    assert seeded["imsi"] in {e["imsi"] for e in sims.effects(sims.hss)}


def test_unknown_iccid_at_the_smdp_is_a_clear_error_without_retries(app, clock, sims):
    line = clean_line(app, "roamly")
    sims.post(sims.hss, "seed", [{"imsi": app_imsi(app, line["msisdn"]), "msisdn": line["msisdn"], "iccid": "x"}])
    number = apply_for(app, line["msisdn"])  # the SM-DP+ was never told of this profile
    Worker(app, sims.integrations(), WorkerOptions(max_attempts=5)).run_until_idle()
    view = show(app, number)
    assert view["status"] == "needs_attention"
    assert "smdp: ICCID_UNKNOWN: Failed 8.2.1/3.9" in view["timeline"][-1]["note"]
    with app.db.read() as conn:
        step = conn.execute(select(saga_steps).where(saga_steps.c.state == "failed")).mappings().one()
    assert (step["step"], step["attempts"]) == ("esim_release", 1)


def app_imsi(app, msisdn):
    from simexit.store.tables import lines

    with app.db.read() as conn:
        return conn.execute(select(lines.c.imsi).where(lines.c.msisdn == msisdn)).scalar_one()


def test_sla_escalation_tells_supervisors_once(app, clock, sims):
    line = clean_line(app, "baohao")  # a person reviews baohao applications
    number = apply_for(app, line["msisdn"])
    assert show(app, number)["status"] == "pending_review"
    worker = Worker(app, sims.integrations(), WorkerOptions(supervisor_email="sup@example.com"))
    assert worker.sweep(force=True) == 0
    clock.set(clock.now() + timedelta(days=20))
    worker.sweep(force=True)
    worker.sweep(force=True)
    worker.run_until_idle()
    sent = [c for c in sims.recorder.calls if c.get("template") == "sla_escalation"]
    assert [(c["recipient"], c["payload"]["application_no"]) for c in sent] == [("sup@example.com", number)]
    with app.db.read() as conn:
        flags = conn.execute(select(application_events.c.event)
                             .where(application_events.c.event == "sla_escalated")).all()
    assert len(flags) == 1


def test_one_time_code_is_scrubbed_after_sending(app, clock, sims):
    with app.db.write() as conn:
        oid = outbox.enqueue(conn, kind="sms", recipient="+4915112000001", template="otp_code",
                             payload={"code": "482913"}, idempotency_key="otp:1", now=clock.now())
    Worker(app, sims.integrations()).run_until_idle()
    assert [c["payload"]["code"] for c in sims.recorder.calls] == ["482913"]
    with app.db.read() as conn:
        row = conn.execute(select(outbox_table).where(outbox_table.c.id == oid)).mappings().one()
    assert row["state"] == "sent" and row["payload"]["code"] == "[scrubbed]"
    # the gateway got the message's provider key (unique across instances), not the local key otp:1
    key = row["payload"]["provider_key"]
    assert key.startswith("otp:1:") and row["payload"]["provider_message_id"] == f"msg-{key}"


@pytest.mark.postgres_only
def test_two_workers_share_the_work_without_doing_anything_twice(app, clock, sims):
    if app.db.dialect != "postgresql":
        pytest.skip("SKIP LOCKED sharing is a PostgreSQL behaviour; SQLite has one writer")
    numbers = []
    for i in range(24):
        line = clean_line(app, ["globetalk", "liuliang"][i % 2])
        sims.seed_line(app, line["msisdn"])
        numbers.append(apply_for(app, line["msisdn"]))
    workers = [Worker(app, sims.integrations(), WorkerOptions(batch=3), worker_id=f"w{i}") for i in (1, 2)]
    threads = [threading.Thread(target=w.run_until_idle) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for w in workers:  # whatever one left behind while the other was busy
        w.run_until_idle()
    assert {show(app, n)["status"] for n in numbers} == {"completed"}
    with app.db.read() as conn:
        done_by = Counter(conn.execute(select(saga_steps.c.done_by)).scalars())
        attempts = set(conn.execute(select(saga_steps.c.attempts)).scalars())
    assert set(done_by) == {"w1", "w2"} and attempts == {1}
    # PyHSS sends two Cancel-Locations per line (the bar's type 1, the detach's type 2): each exactly once
    effects = Counter((e["kind"], e["imsi"], e.get("type")) for e in sims.effects(sims.hss))
    assert set(effects.values()) == {1}
    assert set(Counter(e["iccid"] for e in sims.effects(sims.smdp)).values()) == {1}
    keys = Counter(c["key"] for c in sims.recorder.calls)
    assert set(keys.values()) == {1}
