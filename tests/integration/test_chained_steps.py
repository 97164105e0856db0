"""Issue 16: a closing step that calls no outside system runs in the transaction of the step before it, so a
closure runs step by step only where it calls outside - and is just as durable. Only a saga's first step is
claimed: each next one is leased to the worker by the transaction that makes it and run by the same thread."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from simexit.domain.saga import STEPS
from simexit.services.closure.applications import show
from simexit.services.execution import work
from simexit.store.tables import outbox
from simexit.store.tables_worker import saga_steps
from simexit.worker import registry, runner
from simexit.worker.leases import LeaseKeeper
from simexit.worker.runner import Worker, WorkerOptions
from tests.simulated_world import apply_for, clean_line


def _claimed_steps(monkeypatch) -> list[str]:
    claimed: list[str] = []
    real = work.claim

    def counting(app, queue, **kw):
        rows = real(app, queue, **kw)
        if queue == "saga_steps":
            claimed.extend(r["step"] for r in rows)
        return rows

    monkeypatch.setattr(work, "claim", counting)
    return claimed


def _steps_run(monkeypatch) -> list[str]:
    """The steps run on their own (each with its own transaction), claimed or handed on."""
    ran: list[str] = []
    real = runner.run_step

    def counting(app, integrations, step, *a, **kw):
        ran.append(step["step"])
        return real(app, integrations, step, *a, **kw)

    monkeypatch.setattr(runner, "run_step", counting)
    return ran


@pytest.mark.parametrize(("kind", "brand", "outside"), [
    ("sim", "globetalk", ["start", "network_bar", "network_deregister", "network_delete", "refund"]),
    ("esim", "globetalk", ["start", "network_bar", "network_deregister", "esim_release", "network_delete",
                           "refund"]),
])
def test_only_outside_steps_run_on_their_own_and_only_the_first_is_claimed(app, clock, sims, monkeypatch, kind,
                                                                            brand, outside):
    claimed, ran = _claimed_steps(monkeypatch), _steps_run(monkeypatch)
    line = clean_line(app, brand, kind=kind, balance=5000)
    sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=3)).run_until_idle()
    assert show(app, number)["status"] == "completed"
    assert ran == outside
    assert claimed == ["start"]
    with app.db.read() as conn:
        rows = conn.execute(select(saga_steps.c.step, saga_steps.c.seq, saga_steps.c.state)
                            .order_by(saga_steps.c.seq)).all()
    assert [(r.step, r.seq, r.state) for r in rows] == [(s, i, "done") for i, s in enumerate(STEPS, start=rows[0].seq)]


def test_a_chained_step_that_fails_is_rolled_back_alone_and_runs_on_its_own(app, clock, sims, monkeypatch):
    external, record = registry.STEPS["confirmation"]
    fails = {"left": 1}

    def once_broken(conn, run, data):
        if fails["left"]:
            fails["left"] -= 1
            record(conn, run, data)  # its writes are rolled back with the transaction, written again without it
            raise RuntimeError("the template store is down")
        return record(conn, run, data)

    monkeypatch.setitem(registry.STEPS, "confirmation", (external, once_broken))
    claimed, ran = _claimed_steps(monkeypatch), _steps_run(monkeypatch)
    line = clean_line(app, "globetalk", kind="sim", balance=5000)
    sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=3)).run_until_idle()
    view = show(app, number)
    assert view["status"] == "completed", view["timeline"][-1]
    # the steps before it were kept; the confirmation ran as a step of its own, its messages queued once
    assert ran[-2:] == ["refund", "confirmation"] and claimed == ["start"]
    with app.db.read() as conn:
        keys = conn.execute(select(outbox.c.idempotency_key).where(outbox.c.idempotency_key.like("%confirmation%"))
                            ).scalars().all()
    assert len(keys) == len(set(keys)) and keys
    # and nothing else the rolled-back try wrote is there twice: one timeline row per event, one done row per step
    events = [e["event"] for e in view["timeline"]]
    assert len(events) == len(set(events)), events
    with app.db.read() as conn:
        steps = conn.execute(select(saga_steps.c.step, saga_steps.c.state)).all()
    assert sorted(steps) == sorted((s, "done") for s in STEPS)


LEASE = timedelta(seconds=60)


def _first_step_run(app, sims):
    """A closure approved, its first step claimed by w1 and run, the next handed on to w1."""
    line = clean_line(app, "globetalk", kind="sim", balance=5000)
    sims.seed_line(app, line["msisdn"])
    apply_for(app, line["msisdn"])
    rows = work.claim(app, "saga_steps", worker_id="w1", lease=LEASE, limit=5)
    assert [r["step"] for r in rows] == ["start"]
    outcome, held = runner.run_step(app, sims.integrations(), rows[0], "w1", actions=registry.STEPS,
                                    max_attempts=3, backoff_base=1, backoff_max=10, still_held=lambda _: True,
                                    lease_next=LEASE)
    assert outcome == "done"
    return held


def test_a_handed_on_step_of_a_worker_that_died_is_claimed_once_its_lease_ran_out(app, clock, sims):
    held = _first_step_run(app, sims)
    assert held["step"] == "network_bar" and held["locked_by"] == "w1" and not held["taken_over"]
    assert held["locked_until"] == clock.now() + LEASE
    with app.db.read() as conn:  # the row handed on is the row written, as a claim would have read it
        stored = dict(conn.execute(select(saga_steps).where(saga_steps.c.id == held["id"])).mappings().one())
    assert {k: v for k, v in held.items() if k not in ("taken_over", "case")} == stored
    # w1 dies before running it: no one else may take it while the lease lasts ...
    assert work.claim(app, "saga_steps", worker_id="w2", lease=LEASE, limit=5) == []
    clock.advance(seconds=61)
    # ... then w2 claims it, as taken over (w1 may have reached the HSS before it died)
    again = work.claim(app, "saga_steps", worker_id="w2", lease=LEASE, limit=5)
    assert [(r["id"], r["taken_over"]) for r in again] == [(held["id"], True)]


def test_a_stopping_worker_hands_the_next_step_back_at_once(app, clock, sims):
    line = clean_line(app, "globetalk", kind="sim", balance=5000)
    sims.seed_line(app, line["msisdn"])
    apply_for(app, line["msisdn"])
    worker = Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=3))
    rows = work.claim(app, "saga_steps", worker_id=worker.worker_id, lease=LEASE, limit=5)
    worker.stop()  # as SIGTERM arrives while the first step runs
    with LeaseKeeper(app, worker.worker_id, LEASE).holding("saga_steps", [rows[0]["id"]], clock.now()) as leases:
        worker._step(rows[0], leases)
    with app.db.read() as conn:
        states = conn.execute(select(saga_steps.c.step, saga_steps.c.state, saga_steps.c.locked_by)
                              .order_by(saga_steps.c.seq)).all()
    assert [tuple(s) for s in states] == [("start", "done", None), ("network_bar", "pending", None)]
    again = work.claim(app, "saga_steps", worker_id="w2", lease=LEASE, limit=5)
    assert [(r["step"], r["taken_over"]) for r in again] == [("network_bar", False)]


def test_a_record_part_that_fails_after_a_take_over_is_a_lost_lease_and_leaves_nothing(app, clock, sims):
    """The record part runs before the statement that marks the step done (and checks the lease): when it fails
    because another worker took the step over and recorded it first, the outcome is the lost lease, not an error,
    and nothing this try wrote is kept."""
    line = clean_line(app, "globetalk", kind="sim", balance=5000)
    sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    rows = work.claim(app, "saga_steps", worker_id="w1", lease=LEASE, limit=5)
    external, record = registry.STEPS["start"]
    held = {"w1": True}

    def taken_over_meanwhile(conn, run, data):
        record(conn, run, data)  # its writes (the application executing) must be rolled back
        held["w1"] = False  # w2 took the step over while w1 was recording it
        raise RuntimeError("duplicate key: w2 recorded it first")

    outcome, nxt = runner.run_step(app, sims.integrations(), rows[0], "w1",
                                   actions={**registry.STEPS, "start": (external, taken_over_meanwhile)},
                                   max_attempts=3, backoff_base=1, backoff_max=10,
                                   still_held=lambda _id: held["w1"], lease_next=LEASE)
    assert (outcome, nxt) == ("lease_lost", None)
    assert show(app, number)["status"] == "approved"
    with app.db.read() as conn:
        steps = conn.execute(select(saga_steps.c.step, saga_steps.c.state, saga_steps.c.locked_by)).all()
    assert [tuple(s) for s in steps] == [("start", "pending", "w1")]

    # with the lease still held, the same failure is the record part's own: it goes up as it was
    held["w1"] = True
    with pytest.raises(RuntimeError, match="w2 recorded it first"):
        runner.run_step(app, sims.integrations(), rows[0], "w1",
                        actions={**registry.STEPS, "start": (external, lambda *a: (_ for _ in ()).throw(
                            RuntimeError("w2 recorded it first")))},
                        max_attempts=3, backoff_base=1, backoff_max=10, still_held=lambda _id: True,
                        lease_next=LEASE)


def test_a_handed_on_step_reads_the_case_of_the_step_before_it_and_the_refund_reads_it_anew(app, clock, sims,
                                                                                           monkeypatch):
    from simexit.store import closing_repo

    read: list[int] = []
    real = closing_repo.load_case

    def counting(conn, application_id):
        case = real(conn, application_id)
        read.append(case.balance_minor)
        return case

    monkeypatch.setattr(closing_repo, "load_case", counting)
    external, record = registry.STEPS["network_bar"]

    def topped_up_meanwhile(run):  # 7.00 arrives on the account while the closure runs
        with app.db.write() as conn:
            closing_repo.add_ledger_entry(conn, run.case.account_id, 700, run.case.currency, "top_up", "late",
                                          run.now)
        return external(run)

    monkeypatch.setitem(registry.STEPS, "network_bar", (topped_up_meanwhile, record))
    ran = _steps_run(monkeypatch)
    line = clean_line(app, "globetalk", kind="sim", balance=5000)
    sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=3)).run_until_idle()
    assert show(app, number)["status"] == "completed"
    assert ran == ["start", "network_bar", "network_deregister", "network_delete", "refund"]
    assert len(read) == 2  # start (claimed) and the refund; the three network steps read none
    with app.db.read() as conn:
        results = dict(conn.execute(select(saga_steps.c.step, saga_steps.c.result)).all())
    # the refund pays out what is there after the top-up and the final bill, not what start saw
    assert read == [5000, 5700 - results["final_bill"]["amount_minor"]]
    assert results["refund"]["remaining_minor"] == read[1]
