"""Issue 16: a closing step that calls no outside system runs in the transaction of the step before it, so a
closure is claimed step by step only where it calls outside - and is just as durable."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from simexit.domain.saga import STEPS
from simexit.services.closure.applications import show
from simexit.services.execution import work
from simexit.store.tables import outbox
from simexit.store.tables_worker import saga_steps
from simexit.worker import registry
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


@pytest.mark.parametrize(("kind", "brand", "outside"), [
    ("sim", "globetalk", ["start", "network_bar", "network_deregister", "network_delete", "refund"]),
    ("esim", "globetalk", ["start", "network_bar", "network_deregister", "esim_release", "network_delete",
                           "refund"]),
])
def test_only_steps_that_call_outside_are_claimed(app, clock, sims, monkeypatch, kind, brand, outside):
    claimed = _claimed_steps(monkeypatch)
    line = clean_line(app, brand, kind=kind, balance=5000)
    sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=3)).run_until_idle()
    assert show(app, number)["status"] == "completed"
    assert claimed == outside
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
            record(conn, run, data)  # its writes are rolled back with the savepoint
            raise RuntimeError("the template store is down")
        return record(conn, run, data)

    monkeypatch.setitem(registry.STEPS, "confirmation", (external, once_broken))
    claimed = _claimed_steps(monkeypatch)
    line = clean_line(app, "globetalk", kind="sim", balance=5000)
    sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=3)).run_until_idle()
    view = show(app, number)
    assert view["status"] == "completed", view["timeline"][-1]
    # the steps before it were kept; the confirmation ran as a step of its own, its messages queued once
    assert claimed[-2:] == ["refund", "confirmation"]
    with app.db.read() as conn:
        keys = conn.execute(select(outbox.c.idempotency_key).where(outbox.c.idempotency_key.like("%confirmation%"))
                            ).scalars().all()
    assert len(keys) == len(set(keys)) and keys
