"""Issue 16 items 1, 2 and 4: the worker keeps many outside calls in flight at once, with every promise of the
one-at-a-time worker kept (each effect once, with its one key; the record part in the step's transaction);
Retry-After sets the next try's due time; on PostgreSQL a transaction that makes work due wakes an idle worker
at once (LISTEN/NOTIFY) instead of at the end of its poll."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from simexit.integrations.errors import IntegrationError
from simexit.integrations.messaging.smtp import message_id
from simexit.integrations.wiring import Integrations
from simexit.services.closure.applications import show
from simexit.services.execution import outbox
from simexit.store.tables import outbox as outbox_table
from simexit.store.tables_worker import saga_steps
from simexit.worker.runner import Worker, WorkerOptions
from tests.simulated_world import apply_for, clean_line


class InFlight:
    """Counts the calls under way at once."""

    def __init__(self) -> None:
        self.now = self.peak = 0
        self.lock = threading.Lock()

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


class SlowMail:
    kind = "email"

    def __init__(self, seconds: float) -> None:
        self.seconds, self.flight, self.keys = seconds, InFlight(), Counter()
        self.lock = threading.Lock()

    def send(self, message) -> str:  # type: ignore[no-untyped-def]
        with self.flight:
            time.sleep(self.seconds)
        with self.lock:
            self.keys[message.idempotency_key] += 1
        return message_id(message.idempotency_key, "simexit.localhost")


class CountingNetwork:
    """The PyHSS client, counting the network steps under way at once."""

    def __init__(self, inner, delay: float) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.delay, self.flight = inner, delay, InFlight()
        self.name = inner.name

    def _call(self, what: str, *args):  # type: ignore[no-untyped-def]
        with self.flight:
            time.sleep(self.delay)
            return getattr(self.inner, what)(*args)

    def bar(self, sub, key):  # type: ignore[no-untyped-def]
        return self._call("bar", sub, key)

    def deregister(self, sub, key):  # type: ignore[no-untyped-def]
        return self._call("deregister", sub, key)

    def delete(self, sub, key):  # type: ignore[no-untyped-def]
        return self._call("delete", sub, key)


def _enqueue(app, clock, n: int) -> None:
    with app.db.write() as conn:
        for i in range(n):
            outbox.enqueue(conn, kind="email", recipient=f"c{i}@example.com", template="closure_confirmation",
                           payload={}, idempotency_key=f"SX-CONC-{i}:confirmation:email", now=clock.now())


def test_a_batch_of_messages_is_sent_many_at_once_each_once(app, clock):
    mail = SlowMail(0.2)
    worker = Worker(app, Integrations(network=None, smdp=None, senders={"email": mail}),  # type: ignore[arg-type]
                    WorkerOptions(batch=24, concurrency=8, item_seconds=10), worker_id="A")
    _enqueue(app, clock, 24)
    t0 = time.monotonic()
    assert worker.run_outbox() == 24
    elapsed = time.monotonic() - t0
    worker.close()
    assert mail.flight.peak == 8  # the pool's size: never more
    assert len(mail.keys) == 24 and set(mail.keys.values()) == {1}
    assert elapsed < 24 * 0.2 / 2  # one after the other would take 4.8 s
    with app.db.read() as conn:
        assert set(conn.execute(select(outbox_table.c.state)).scalars()) == {"sent"}


def test_the_running_worker_keeps_many_closures_in_flight(app, clock, sims):
    """``run_forever`` with threads: the pump claims more as threads free up; every closure completes, each
    effect once."""
    numbers = []
    for i in range(12):
        line = clean_line(app, ["globetalk", "liuliang"][i % 2])
        sims.seed_line(app, line["msisdn"])
        numbers.append(apply_for(app, line["msisdn"]))
    integrations = sims.integrations()
    network = CountingNetwork(integrations.network, 0.05)
    integrations.network = network  # type: ignore[assignment]
    worker = Worker(app, integrations, WorkerOptions(concurrency=6, poll_seconds=0.05), worker_id="A")
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and {show(app, n)["status"] for n in numbers} != {"completed"}:
            time.sleep(0.1)
    finally:
        worker.stop()
        thread.join(10)
    assert {show(app, n)["status"] for n in numbers} == {"completed"} and not thread.is_alive()
    assert network.flight.peak > 1
    effects = Counter((e["kind"], e["imsi"], e.get("type")) for e in sims.effects(sims.hss))
    assert effects and set(effects.values()) == {1}
    keys = Counter(c["key"] for c in sims.recorder.calls)
    assert set(keys.values()) == {1}
    with app.db.read() as conn:
        assert set(conn.execute(select(outbox_table.c.state)).scalars()) == {"sent"}


def test_a_concurrent_claim_takes_what_its_threads_can_finish_within_a_lease():
    assert WorkerOptions(lease_seconds=60, item_seconds=10, batch=100, concurrency=1).claim_limit == 6
    assert WorkerOptions(lease_seconds=60, item_seconds=10, batch=100, concurrency=8).claim_limit == 48
    assert WorkerOptions(lease_seconds=60, item_seconds=10, batch=20, concurrency=8).claim_limit == 20


def test_many_closures_at_once_through_the_simulators_each_effect_once(app, clock, sims):
    numbers = []
    for i in range(16):
        line = clean_line(app, ["globetalk", "liuliang"][i % 2])
        sims.seed_line(app, line["msisdn"])
        numbers.append(apply_for(app, line["msisdn"]))
    integrations = sims.integrations()
    network = CountingNetwork(integrations.network, 0.05)
    integrations.network = network  # type: ignore[assignment]
    worker = Worker(app, integrations, WorkerOptions(batch=16, concurrency=8), worker_id="A")
    worker.run_until_idle()
    worker.close()
    assert {show(app, n)["status"] for n in numbers} == {"completed"}
    assert network.flight.peak > 1
    with app.db.read() as conn:
        assert set(conn.execute(select(saga_steps.c.attempts)).scalars()) == {1}
    effects = Counter((e["kind"], e["imsi"], e.get("type")) for e in sims.effects(sims.hss))
    assert effects and set(effects.values()) == {1}
    assert set(Counter(e["iccid"] for e in sims.effects(sims.smdp)).values()) == {1}
    keys = Counter(c["key"] for c in sims.recorder.calls)
    assert set(keys.values()) == {1}


class RateLimitedNetwork:
    name = "pyhss"

    def bar(self, sub, key):  # type: ignore[no-untyped-def]
        raise IntegrationError("pyhss", "HTTP_429", "PATCH /subscriber/1 → 429", retryable=True, retry_after=300)


def test_retry_after_sets_the_next_try_no_earlier_than_asked(app, clock, sims):
    line = clean_line(app, "globetalk")
    sims.seed_line(app, line["msisdn"])
    apply_for(app, line["msisdn"])
    integrations = sims.integrations()
    integrations.network = RateLimitedNetwork()  # type: ignore[assignment]
    worker = Worker(app, integrations, WorkerOptions(backoff_seconds=5), worker_id="A")
    worker.run_until_idle()
    with app.db.read() as conn:
        bar = conn.execute(select(saga_steps).where(saga_steps.c.step == "network_bar")).mappings().one()
    assert bar["state"] == "pending" and bar["attempts"] == 1
    assert bar["due_at"] >= clock.now() + timedelta(seconds=300)  # not the 5 s backoff


@pytest.mark.postgres_only
@pytest.mark.parametrize("concurrency", [1, 8])
def test_work_due_now_wakes_an_idle_worker_at_once(app, clock, concurrency):
    if app.db.dialect != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite the worker polls")
    mail = SlowMail(0)
    worker = Worker(app, Integrations(network=None, smdp=None, senders={"email": mail}),  # type: ignore[arg-type]
                    WorkerOptions(poll_seconds=30, sweep_seconds=3600, concurrency=concurrency), worker_id="A")
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while worker.listener is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.listener is not None and worker.listener.listening.wait(10)
        time.sleep(0.3)  # the worker is idle now, waiting up to 30 s
        waits = []
        for i in range(3):
            t0 = time.monotonic()
            with app.db.write() as conn:
                outbox.enqueue(conn, kind="email", recipient=f"w{i}@example.com", template="closure_confirmation",
                               payload={}, idempotency_key=f"SX-WAKE-{i}:confirmation:email", now=clock.now())
            while len(mail.keys) <= i and time.monotonic() - t0 < 10:
                time.sleep(0.005)
            waits.append(time.monotonic() - t0)
            time.sleep(0.2)
        assert len(mail.keys) == 3 and max(waits) < 2, waits  # the poll alone would take up to 30 s
    finally:
        worker.stop()
        thread.join(10)
    assert not thread.is_alive()


def test_the_lease_check_renews_when_half_the_lease_is_gone_and_sees_a_take_over(app, clock):
    from simexit.services.execution import work
    from simexit.worker.leases import BatchLeases

    lease = timedelta(seconds=60)
    _enqueue(app, clock, 2)
    claimed_at = clock.now()
    rows = work.claim(app, "outbox", worker_id="A", lease=lease, limit=2)
    first, second = (r["id"] for r in rows)
    leases = BatchLeases(app, "outbox", "A", lease, [first, second], claimed_at=claimed_at)
    clock.advance(seconds=20)
    assert leases.check(first)  # two thirds of the lease left: ours, no renewal needed
    assert work.claim(app, "outbox", worker_id="B", lease=lease, limit=2) == []
    clock.advance(seconds=20)
    assert leases.check(first)  # a third left: renewed in the database, now until +100 s
    clock.advance(seconds=30)  # the second's lease ran out at +60 s; B takes it over
    assert [r["id"] for r in work.claim(app, "outbox", worker_id="B", lease=lease, limit=2)] == [second]
    assert not leases.check(second)  # never acted on
    assert leases.check(first)
    with pytest.raises(work.LeaseLost):
        work.finish(app, "outbox", second, "A", state="sent")
