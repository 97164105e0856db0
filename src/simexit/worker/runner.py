"""The worker loop: claim due saga steps, outbox messages and timers (with a lease), run them, record results.

``run_once`` does one round and says how much it did; ``run_until_idle`` repeats until nothing is due (tests
drive it with a fixed clock); ``run_forever`` sleeps ``poll`` seconds whenever a round found nothing.
What each item does comes from the one registry (``worker/registry.py``). A claimed batch is never larger than
can be finished within a lease, its leases are renewed while the worker works through it, and each item's
lease is checked right before its outside call (``worker/leases.py``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from simexit.config import Settings
from simexit.integrations.wiring import Integrations
from simexit.services.access.caller import System
from simexit.services.context import Simexit
from simexit.services.execution import work
from simexit.services.execution.step_runner import run_step
from simexit.services.privacy.commands import write_audit_checkpoint
from simexit.services.privacy.export import expire_exports
from simexit.worker import registry, sweeps
from simexit.worker.leases import BatchLeases, LeaseKeeper
from simexit.worker.outbox_dispatch import dispatch

log = logging.getLogger("simexit.worker")


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

    @property
    def claim_limit(self) -> int:
        return max(1, min(self.batch, int(self.lease_seconds // self.item_seconds)))

    @classmethod
    def from_settings(cls, s: Settings) -> WorkerOptions:
        slowest = max(s.smtp_timeout_s, s.sms_timeout_s, s.payments_timeout_s, s.relying_party_timeout_s,
                      s.integration_timeout_seconds)
        return cls(lease_seconds=s.worker_lease_seconds, batch=s.worker_batch, max_attempts=s.worker_max_attempts,
                   backoff_seconds=s.worker_backoff_seconds, backoff_max_seconds=s.worker_backoff_max_seconds,
                   poll_seconds=s.worker_poll_seconds, sweep_seconds=s.worker_sweep_seconds,
                   supervisor_email=s.supervisor_email, item_seconds=slowest)


@dataclass
class Worker:
    app: Simexit
    integrations: Integrations
    options: WorkerOptions = field(default_factory=WorkerOptions)
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}")
    stop_event: threading.Event = field(default_factory=threading.Event)
    _last_sweep: float = field(default=float("-inf"), init=False)
    _keeper: LeaseKeeper | None = field(default=None, init=False, repr=False)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.options.lease_seconds)

    def _work(self, queue: str, run_one: Callable[[Mapping[str, Any], BatchLeases], Any], limit: int) -> int:
        rows = work.claim(self.app, queue, worker_id=self.worker_id, lease=self.lease, limit=limit)
        if not rows:
            return 0
        if self._keeper is None:
            self._keeper = LeaseKeeper(self.app, self.worker_id, self.lease)
        with self._keeper.holding(queue, [r["id"] for r in rows]) as leases:
            for row in rows:
                try:
                    run_one(row, leases)
                finally:
                    leases.done(row["id"])
        return len(rows)

    def run_steps(self) -> int:
        o = self.options

        def one(row: Mapping[str, Any], leases: BatchLeases) -> None:
            run_step(self.app, self.integrations, row, self.worker_id, actions=registry.STEPS,
                     max_attempts=o.max_attempts, backoff_base=o.backoff_seconds, backoff_max=o.backoff_max_seconds,
                     still_held=leases.check)

        return self._work("saga_steps", one, o.claim_limit)

    def run_outbox(self) -> int:
        o = self.options

        def one(row: Mapping[str, Any], leases: BatchLeases) -> None:
            dispatch(self.app, self.integrations, row, self.worker_id, max_attempts=o.max_attempts,
                     backoff_base=o.backoff_seconds, backoff_max=o.backoff_max_seconds, leases=leases)

        return self._work("outbox", one, o.claim_limit)

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
        try:
            while not self.stop_event.is_set():
                try:
                    busy = self.run_once()
                except Exception:  # a database hiccup must not end the worker; the leases protect the work
                    log.exception("worker round failed")
                    busy = 0
                if not busy:
                    self.stop_event.wait(self.options.poll_seconds)
        finally:
            if self._keeper is not None:
                self._keeper.stop()
