"""The worker loop: claim due saga steps, outbox messages and timers (with a lease), run them, record results.

``run_once`` does one round and says how much it did; ``run_until_idle`` repeats until nothing is due (tests
drive it with a fixed clock); ``run_forever`` sleeps ``poll`` seconds whenever a round found nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from simexit.config import Settings
from simexit.integrations.wiring import Integrations
from simexit.services.access.caller import System
from simexit.services.context import Simexit
from simexit.services.execution.scheduling import run_step
from simexit.services.privacy.commands import write_audit_checkpoint
from simexit.services.privacy.export import expire_exports
from simexit.store.tables import outbox
from simexit.store.tables_worker import saga_steps, timers
from simexit.store.work_queue import LeaseLost, claim, finish
from simexit.worker import sweeps
from simexit.worker.outbox_dispatch import dispatch
from simexit.worker.timers import TIMER_HANDLERS

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

    @classmethod
    def from_settings(cls, s: Settings) -> WorkerOptions:
        return cls(lease_seconds=s.worker_lease_seconds, batch=s.worker_batch, max_attempts=s.worker_max_attempts,
                   backoff_seconds=s.worker_backoff_seconds, backoff_max_seconds=s.worker_backoff_max_seconds,
                   poll_seconds=s.worker_poll_seconds, sweep_seconds=s.worker_sweep_seconds,
                   supervisor_email=s.supervisor_email)


@dataclass
class Worker:
    app: Simexit
    integrations: Integrations
    options: WorkerOptions = field(default_factory=WorkerOptions)
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}")
    stop_event: threading.Event = field(default_factory=threading.Event)
    _last_sweep: float = field(default=float("-inf"), init=False)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.options.lease_seconds)

    def _claim(self, table):  # type: ignore[no-untyped-def]
        with self.app.db.write() as conn:
            return claim(conn, table, worker_id=self.worker_id, now=self.app.clock.now(), lease=self.lease,
                         limit=self.options.batch)

    def run_steps(self) -> int:
        rows = self._claim(saga_steps)
        o = self.options
        for row in rows:
            run_step(self.app, self.integrations, row, self.worker_id, max_attempts=o.max_attempts,
                     backoff_base=o.backoff_seconds, backoff_max=o.backoff_max_seconds)
        return len(rows)

    def run_outbox(self) -> int:
        rows = self._claim(outbox)
        o = self.options
        for row in rows:
            dispatch(self.app, self.integrations, row, self.worker_id, max_attempts=o.max_attempts,
                     backoff_base=o.backoff_seconds, backoff_max=o.backoff_max_seconds)
        return len(rows)

    def run_timers(self) -> int:
        rows = self._claim(timers)
        for row in rows:
            handler = TIMER_HANDLERS.get(row["kind"])
            try:
                with self.app.db.write() as conn:
                    now = self.app.clock.now()
                    if handler is None:
                        finish(conn, timers, row["id"], self.worker_id, state="dead",
                               last_error=f"no handler for timer kind {row['kind']!r}")
                        continue
                    later = handler(self.app, conn, row, now)
                    if later is None:
                        finish(conn, timers, row["id"], self.worker_id, state="done", done_at=now,
                               attempts=row["attempts"] + 1)
                    else:
                        finish(conn, timers, row["id"], self.worker_id, due_at=later, attempts=row["attempts"] + 1)
            except LeaseLost:
                log.warning("timer %s: lease lost", row["id"])
        return len(rows)

    def sweep(self, force: bool = False) -> int:
        if not force and time.monotonic() - self._last_sweep < self.options.sweep_seconds:
            return 0
        self._last_sweep = time.monotonic()
        done = len(sweeps.escalate_overdue(self.app, self.options.supervisor_email)) + \
            len(sweeps.approve_clean(self.app)) + expire_exports(self.app)
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
        while not self.stop_event.is_set():
            try:
                busy = self.run_once()
            except Exception:  # a database hiccup must not end the worker; the leases protect the work
                log.exception("worker round failed")
                busy = 0
            if not busy:
                self.stop_event.wait(self.options.poll_seconds)
