"""Holding the leases of a claimed batch while the worker works through it (issue 12: a batch that outlived its
lease was claimed and sent again by a second worker: 62 e-mails for 41 confirmations).

Three rules, each enforced here or by the runner:
- claim no more than can be finished within one lease (``WorkerOptions.claim_limit``);
- right before each item's outside call, ``check`` says whether the item is still ours (renewing its lease
  when less than half of it is left); an item another worker claimed is skipped, never acted on;
- while an outside call is under way, a keeper thread renews the batch every third of a lease, so that a slow
  provider (a mail server answering each command just within its timeout) does not make the lease run out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from simexit.services.context import Simexit
from simexit.services.execution import work

log = logging.getLogger("simexit.worker")


class BatchLeases:
    """The leases one worker holds on one claimed batch of one queue.

    ``claimed_at``: the worker's clock read right before the claim, so that every lease of the batch runs at
    least until ``claimed_at + lease``. ``check`` asks the database only when less than half a lease is left
    on the item: before that no other worker can have claimed it (a claim takes only rows whose lease ran out
    by the claiming worker's clock), provided the workers' clocks agree within half a lease (30 s by default;
    NTP keeps them within milliseconds). With many items at once, one renewal per item was one write
    transaction per outside call."""

    def __init__(self, app: Simexit, queue: str, worker_id: str, lease: timedelta, ids: Iterable[int],
                 claimed_at: datetime | None = None) -> None:
        self.app, self.queue, self.worker_id, self.lease = app, queue, worker_id, lease
        self._held = set(ids)
        self._until: dict[int, datetime] = {} if claimed_at is None else dict.fromkeys(self._held,
                                                                                        claimed_at + lease)
        self._lock = threading.Lock()

    def check(self, item_id: int) -> bool:
        """True when ``item_id`` is still ours for at least half a lease; renews its lease in the database when
        less is left. Only this item is renewed (the keeper renews the whole batch)."""
        now = self.app.clock.now()
        with self._lock:
            if item_id not in self._held:
                return False
            until = self._until.get(item_id)
            if until is not None and now < until - self.lease / 2:
                return True
        still = item_id in work.renew(self.app, self.queue, {item_id}, worker_id=self.worker_id, lease=self.lease)
        with self._lock:
            if still:
                self._until[item_id] = now + self.lease
            else:
                self._held.discard(item_id)
                self._until.pop(item_id, None)
        if not still:
            log.warning("%s %s: lease lost before the outside call; left to the worker that holds it",
                        self.queue, item_id)
        return still

    def adopt(self, item_id: int, until: datetime) -> None:
        """Hold one more item, leased to us until ``until`` by the transaction that made it (a saga's next step,
        run next by the thread that ran the step before: ``work_queue.finish_done_step``)."""
        with self._lock:
            self._held.add(item_id)
            self._until[item_id] = until

    def done(self, item_id: int) -> None:
        with self._lock:
            self._held.discard(item_id)
            self._until.pop(item_id, None)

    def renew_all(self) -> None:
        now = self.app.clock.now()
        with self._lock:
            held = set(self._held)
        if not held:
            return
        still = work.renew(self.app, self.queue, held, worker_id=self.worker_id, lease=self.lease)
        with self._lock:
            for item_id in held - still:
                self._held.discard(item_id)
                self._until.pop(item_id, None)
            for item_id in still & self._held:
                self._until[item_id] = now + self.lease


class LeaseKeeper:
    """One worker's keeper thread: every third of a lease it renews the batches the worker is working through
    (one at a time in ``run_once``; several at once in the concurrent worker's pump). It starts with the first
    batch and ends by itself after a lease without work."""

    def __init__(self, app: Simexit, worker_id: str, lease: timedelta) -> None:
        self.app, self.worker_id, self.lease = app, worker_id, lease
        self.period = lease.total_seconds() / 3
        self._current: list[BatchLeases] = []
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def hold(self, queue: str, ids: Iterable[int], claimed_at: datetime | None = None) -> BatchLeases:
        """Keep renewing the leases of a claimed batch until ``release``."""
        leases = BatchLeases(self.app, queue, self.worker_id, self.lease, ids, claimed_at)
        with self._lock:
            self._current.append(leases)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._keep, name="simexit-lease-keeper", daemon=True)
                self._thread.start()
        return leases

    def release(self, leases: BatchLeases) -> None:
        with self._lock:
            if leases in self._current:
                self._current.remove(leases)

    @contextmanager
    def holding(self, queue: str, ids: Iterable[int], claimed_at: datetime | None = None) -> Iterator[BatchLeases]:
        leases = self.hold(queue, ids, claimed_at)
        try:
            yield leases
        finally:
            self.release(leases)

    def stop(self) -> None:
        self._stop.set()

    def _keep(self) -> None:
        idle = 0
        while not self._stop.wait(self.period):
            with self._lock:
                current = list(self._current)
                if not current:
                    idle += 1
                    if idle > 3:
                        self._thread = None
                        return
                    continue
            idle = 0
            for batch in current:
                try:
                    batch.renew_all()
                except Exception:  # a database hiccup: the next renewal (or check) tries again
                    log.exception("renewing the leases of %s failed", batch.queue)
