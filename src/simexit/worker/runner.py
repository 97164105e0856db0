"""The worker loop: claim due saga steps, outbox messages and timers (with a lease), run them, record results.

``run_once`` does one round and says how much it did; ``run_until_idle`` repeats until nothing is due (tests
drive it with a fixed clock); ``run_forever`` sleeps ``poll`` seconds whenever a round found nothing.
What each item does comes from the one registry (``worker/registry.py``). A claimed batch is never larger than
can be finished within a lease, its leases are renewed while the worker works through it, and each item's
lease is checked right before its outside call (``worker/leases.py``).

Concurrency (issue 16 item 1): the saga steps and outbox messages of a claimed batch run on a bounded thread
pool of ``concurrency`` threads, so that many outside calls are in flight at once. Threads, not asyncio: every
outside client (httpx.Client, smtplib, the ES2+ and PyHSS clients, operators' plug-in senders) and the whole
store (SQLAlchemy Core, synchronous) are blocking code; a thread pool runs them unchanged, each call releases
the GIL while it waits on the network, and a step stays one function whose record part runs in its own
transaction. asyncio would need an async twin of every client and of the store, or the same threads behind
``to_thread``. Each item keeps every promise of the sequential worker: it is claimed with SKIP LOCKED and a
lease, its lease is renewed while the batch runs (the keeper thread) and checked right before its outside call
(an item whose lease was lost is never acted on), its outside key is the one stored with it, and its record
part runs in the transaction that marks it done. The outside systems' limits (calls in flight, rate,
Retry-After) are enforced around each call (``integrations/limits.py``).

Wake-ups (item 4): on PostgreSQL a ``Listener`` (``store/wakeups.py``) sets ``wake`` when a transaction makes
work due now, and an idle worker starts its next round at once instead of at the end of its poll.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from queue import Empty, SimpleQueue
from typing import Any

from simexit.config import Settings
from simexit.integrations.wiring import Integrations
from simexit.services.access.caller import System
from simexit.services.context import Simexit
from simexit.services.execution import work
from simexit.services.execution.step_runner import run_step
from simexit.services.privacy.commands import write_audit_checkpoint
from simexit.services.privacy.export import expire_exports
from simexit.store import wakeups
from simexit.worker import registry, sweeps
from simexit.worker.leases import BatchLeases, LeaseKeeper
from simexit.worker.outbox_dispatch import dispatch

log = logging.getLogger("simexit.worker")
SIDE_WORK_S = 0.25  # the concurrent worker looks at due timers (and its sweep) at least this often


@dataclass
class WorkerOptions:
    lease_seconds: float = 60
    batch: int = 20
    max_attempts: int = 8
    backoff_seconds: float = 5
    backoff_max_seconds: float = 3600
    poll_seconds: float = 0.5
    sweep_seconds: float = 60
    supervisor_email: str = "supervisors@example.invalid"
    # The longest one item may take: its outside call's timeout. A claim of steps or messages takes no more
    # items than fit in a lease one after the other (issue 12: 20 e-mails with a 10 s SMTP timeout do not fit
    # in a 60 s lease).
    item_seconds: float = 10
    # Steps and messages run at once (threads of one pool); 1 runs them one after the other in the loop's thread.
    concurrency: int = 1

    @property
    def claim_limit(self) -> int:
        """No more than ``concurrency`` threads can finish within one lease, each item taking ``item_seconds``."""
        per_thread = max(1, int(self.lease_seconds // self.item_seconds))
        return max(1, min(self.batch, per_thread * self.concurrency))

    @classmethod
    def from_settings(cls, s: Settings) -> WorkerOptions:
        slowest = max(s.smtp_timeout_s, s.sms_timeout_s, s.payments_timeout_s, s.relying_party_timeout_s,
                      s.integration_timeout_seconds)
        return cls(lease_seconds=s.worker_lease_seconds, batch=s.worker_batch, max_attempts=s.worker_max_attempts,
                   backoff_seconds=s.worker_backoff_seconds, backoff_max_seconds=s.worker_backoff_max_seconds,
                   poll_seconds=s.worker_poll_seconds, sweep_seconds=s.worker_sweep_seconds,
                   supervisor_email=s.supervisor_email, item_seconds=slowest, concurrency=s.worker_concurrency)


@dataclass
class Worker:
    app: Simexit
    integrations: Integrations
    options: WorkerOptions = field(default_factory=WorkerOptions)
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}")
    stop_event: threading.Event = field(default_factory=threading.Event)
    _last_sweep: float = field(default=float("-inf"), init=False)
    _keeper: LeaseKeeper | None = field(default=None, init=False, repr=False)
    _pool: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    wake: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    listener: wakeups.Listener | None = field(default=None, init=False, repr=False)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.options.lease_seconds)

    def _work(self, queue: str, run_one: Callable[[Mapping[str, Any], BatchLeases], Any], limit: int) -> int:
        claimed_at = self.app.clock.now()
        rows = work.claim(self.app, queue, worker_id=self.worker_id, lease=self.lease, limit=limit)
        if not rows:
            return 0
        if self._keeper is None:
            self._keeper = LeaseKeeper(self.app, self.worker_id, self.lease)
        with self._keeper.holding(queue, [r["id"] for r in rows], claimed_at) as leases:
            def one(row: Mapping[str, Any]) -> None:
                try:
                    run_one(row, leases)
                finally:
                    leases.done(row["id"])

            if self.options.concurrency <= 1 or len(rows) == 1:
                for row in rows:
                    one(row)
            else:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.options.concurrency, thread_name_prefix="simexit-work")
                futures = [self._pool.submit(one, row) for row in rows]
                errors = [e for e in (f.exception() for f in futures) if e is not None]  # waits for every one
                if errors:
                    raise errors[0]
        return len(rows)

    def _step(self, row: Mapping[str, Any], leases: BatchLeases) -> None:
        """Run a claimed step, then the saga's steps after it in this thread, each leased to this worker by the
        transaction that made it (no claim for them; the keeper renews them with the batch). A stopping worker
        runs no further step: it gives the lease of the next one up for the next claim."""
        o = self.options
        first = row
        while row is not None:
            try:
                _, held = run_step(self.app, self.integrations, row, self.worker_id, actions=registry.STEPS,
                                   max_attempts=o.max_attempts, backoff_base=o.backoff_seconds,
                                   backoff_max=o.backoff_max_seconds, still_held=leases.check,
                                   lease_next=self.lease)
            finally:
                if row is not first:  # the claimed one is done by the caller
                    leases.done(row["id"])
            if held is not None:
                leases.adopt(held["id"], held["locked_until"])
                if self.stop_event.is_set():
                    leases.done(held["id"])
                    work.release(self.app, "saga_steps", held["id"], self.worker_id)
                    held = None
            row = held

    def _message(self, row: Mapping[str, Any], leases: BatchLeases) -> None:
        o = self.options
        dispatch(self.app, self.integrations, row, self.worker_id, max_attempts=o.max_attempts,
                 backoff_base=o.backoff_seconds, backoff_max=o.backoff_max_seconds, leases=leases)

    def run_steps(self) -> int:
        return self._work("saga_steps", self._step, self.options.claim_limit)

    def run_outbox(self) -> int:
        return self._work("outbox", self._message, self.options.claim_limit)

    def run_timers(self) -> int:
        def one(row: Mapping[str, Any], leases: BatchLeases) -> None:
            handler = registry.TIMERS.get(row["kind"])
            try:
                with self.app.db.write() as conn:
                    now = self.app.clock.now()
                    if handler is None:
                        work.finish_in(conn, "timers", row["id"], self.worker_id, state="dead",
                                       last_error=f"no handler for timer kind {row['kind']!r}")
                        return
                    later = handler(self.app, conn, row, now)
                    if later is None:
                        work.finish_in(conn, "timers", row["id"], self.worker_id, state="done", done_at=now,
                                       attempts=row["attempts"] + 1)
                    else:
                        work.finish_in(conn, "timers", row["id"], self.worker_id, due_at=later,
                                       attempts=row["attempts"] + 1)
            except work.LeaseLost:  # the handler's work is rolled back with the transaction
                log.warning("timer %s: lease lost", row["id"])

        # Timers call no outside system (their handler runs in the transaction that records it): a full batch.
        return self._work("timers", one, self.options.batch)

    def sweep(self, force: bool = False) -> int:
        if not force and time.monotonic() - self._last_sweep < self.options.sweep_seconds:
            return 0
        self._last_sweep = time.monotonic()
        done = len(sweeps.escalate_overdue(self.app, self.options.supervisor_email)) + \
            len(sweeps.approve_clean(self.app)) + expire_exports(self.app) + sweeps.follow_orders(self.app)
        try:  # the audit log's signed checkpoint, when due (not counted as work: it never makes more)
            write_audit_checkpoint(self.app, System())
        except Exception:
            log.exception("audit checkpoint failed")
        return done

    def run_once(self) -> int:
        return self.sweep() + self.run_timers() + self.run_steps() + self.run_outbox()

    def run_until_idle(self, max_rounds: int = 1000) -> int:
        total = 0
        for _ in range(max_rounds):
            n = self.run_once()
            total += n
            if n == 0:
                return total
        raise RuntimeError(f"worker still busy after {max_rounds} rounds")

    def run_forever(self) -> None:
        log.info("worker %s started", self.worker_id)
        if self.options.lease_seconds < 2 * self.options.item_seconds:
            log.warning("the lease (%.1f s) is shorter than two outside calls (%.1f s each): leases are renewed "
                        "every %.1f s while working", self.options.lease_seconds, self.options.item_seconds,
                        self.options.lease_seconds / 3)
        self.listen()
        wakeups.silence_this_thread()  # what this worker makes due, this worker claims next
        if self.options.concurrency > 1:
            try:
                self.pump()
            finally:
                self.close()
            return
        try:
            while not self.stop_event.is_set():
                self.wake.clear()  # a wake-up during the round makes the wait below return at once
                try:
                    busy = self.run_once()
                except Exception:  # a database hiccup must not end the worker; the leases protect the work
                    log.exception("worker round failed")
                    busy = 0
                if not busy:
                    self.wake.wait(self.options.poll_seconds)
        finally:
            self.close()

    def pump(self) -> None:
        """The concurrent worker's loop: keeps up to ``claim_limit`` claimed steps and messages outstanding on the
        pool (``concurrency`` of them running), claiming more as soon as a quarter of the threads is free (or half
        the items waiting for one), so that no outside system waits for the slowest item of a batch. Sweeps and
        timers (database work only) run in this thread between claims, at least every ``SIDE_WORK_S``. Each item
        keeps the promises of ``run_once``: claimed with SKIP LOCKED and a lease, the lease renewed by the keeper
        while it waits or runs, checked right before its outside call."""
        o = self.options
        wakeups.silence_this_thread()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(o.concurrency, thread_name_prefix="simexit-work",
                                            initializer=wakeups.silence_this_thread)
        if self._keeper is None:
            self._keeper = LeaseKeeper(self.app, self.worker_id, self.lease)
        keeper, pool = self._keeper, self._pool
        outstanding: dict[Future[None], BatchLeases] = {}
        left: dict[int, int] = {}  # id(batch) -> its items not finished yet
        queues: list[tuple[str, Callable[[Mapping[str, Any], BatchLeases], Any]]] = [
            ("saga_steps", self._step), ("outbox", self._message)]
        last_side = float("-inf")
        # A claim when a quarter of the threads is free, or, with more claimed than there are threads, when half
        # of the items waiting for a thread have gone: every thread still has one to take, and there are fewer
        # claims (each its own transaction, returning every column of each row it leases): with the benchmark's
        # 32 threads and 128 items, 0.36 claims of steps and messages per closure instead of 0.76 (PostgreSQL).
        refill = max(1, o.concurrency // 4, (o.claim_limit - o.concurrency) // 2)
        # Each item's future, once done, lands here. (``concurrent.futures.wait`` over the outstanding futures
        # installed and removed a waiter on every one of them at each wake-up: with 128 outstanding that was
        # 4.5 % of the worker's GIL samples, py-spy, PostgreSQL quick.)
        finished_q: SimpleQueue[Future[None]] = SimpleQueue()

        def run_item(run_one: Callable[[Mapping[str, Any], BatchLeases], Any], row: Mapping[str, Any],
                     batch: BatchLeases) -> None:
            try:
                run_one(row, batch)
            finally:
                batch.done(row["id"])

        while not self.stop_event.is_set():
            self.wake.clear()
            busy = 0
            if time.monotonic() - last_side >= SIDE_WORK_S:  # not after every item: a step's follow-up first
                last_side = time.monotonic()
                try:
                    busy += self.sweep() + self.run_timers()
                except Exception:  # a database hiccup must not end the worker
                    log.exception("worker sweep or timers failed")
            free = o.claim_limit - len(outstanding)
            if free >= refill or (free > 0 and not outstanding):
                queues.reverse()  # neither queue waits for the other to run dry
                for queue, run_one in queues:
                    if free <= 0:
                        break
                    claimed_at = self.app.clock.now()
                    try:
                        rows = work.claim(self.app, queue, worker_id=self.worker_id, lease=self.lease, limit=free)
                    except Exception:
                        log.exception("claiming %s failed", queue)
                        rows = []
                    if not rows:
                        continue
                    batch = keeper.hold(queue, [r["id"] for r in rows], claimed_at)
                    left[id(batch)] = len(rows)
                    for row in rows:
                        future = pool.submit(run_item, run_one, row, batch)
                        outstanding[future] = batch
                        future.add_done_callback(finished_q.put)
                    free -= len(rows)
                    busy += len(rows)
            if outstanding:
                finished = _drain(finished_q, o.poll_seconds)
                for f in finished:
                    batch = outstanding.pop(f)
                    if f.exception() is not None:
                        log.error("%s item failed", batch.queue, exc_info=f.exception())
                    left[id(batch)] -= 1
                    if left[id(batch)] == 0:
                        del left[id(batch)]
                        keeper.release(batch)
            elif not busy:
                self.wake.wait(o.poll_seconds)
                last_side = float("-inf")  # idle: the next round looks at timers and sweeps first
        wait(list(outstanding))  # a stop lets the items under way finish and record their results

    def stop(self) -> None:
        """End ``run_forever`` after the current round (the SIGTERM handler, the embedded worker's stop)."""
        self.stop_event.set()
        self.wake.set()

    def listen(self) -> bool:
        """Start listening for wake-ups (PostgreSQL); False where there are none (SQLite: the poll only)."""
        url = wakeups.libpq_url(self.app.db.url)
        if url is None or self.listener is not None:
            return self.listener is not None
        self.listener = wakeups.Listener(url, self.wake, self.stop_event).start()
        return True

    def close(self) -> None:
        self.stop_event.set()
        self.wake.set()
        if self._keeper is not None:
            self._keeper.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _drain(q: SimpleQueue[Future[None]], timeout: float) -> list[Future[None]]:
    """What is in ``q``, after waiting up to ``timeout`` for the first."""
    try:
        got = [q.get(timeout=timeout)]
    except Empty:
        return []
    while True:
        try:
            got.append(q.get_nowait())
        except Empty:
            return got
