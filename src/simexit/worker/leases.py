"""Holding the leases of a claimed batch while the worker works through it (issue 12: a batch that outlived its
lease was claimed and sent again by a second worker: 62 e-mails for 41 confirmations).

Three rules, each enforced here or by the runner:
- claim no more than can be finished within one lease (``WorkerOptions.claim_limit``);
- right before each item's outside call, ``check`` renews the item's lease and says whether the item is still
  ours; an item another worker claimed is skipped, never acted on;
- while an outside call is under way, a keeper thread renews the batch every third of a lease, so that a slow
  provider (a mail server answering each command just within its timeout) does not make the lease run out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from simexit.services.context import Simexit
from simexit.services.execution import work

log = logging.getLogger("simexit.worker")


class BatchLeases:
    """The leases one worker holds on one claimed batch of one queue."""

    def __init__(self, app: Simexit, queue: str, worker_id: str, lease: timedelta, ids: Iterable[int]) -> None:
        self.app, self.queue, self.worker_id, self.lease = app, queue, worker_id, lease
        self._held = set(ids)
        self._lock = threading.Lock()

    def check(self, item_id: int) -> bool:
        """Renew ``item_id``'s lease now; True when it is still ours (then for a whole lease). Only this item is
        renewed (the keeper renews the whole batch): with many items running at once, renewing the batch at
        every check was a batch-sized UPDATE per item."""
        with self._lock:
            if item_id not in self._held:
                return False
        still = item_id in work.renew(self.app, self.queue, {item_id}, worker_id=self.worker_id, lease=self.lease)
        if not still:
            with self._lock:
                self._held.discard(item_id)
            log.warning("%s %s: lease lost before the outside call; left to the worker that holds it",
                        self.queue, item_id)
        return still

    def done(self, item_id: int) -> None:
        with self._lock:
            self._held.discard(item_id)

    def renew_all(self) -> None:
        with self._lock:
            if self._held:
                self._held = work.renew(self.app, self.queue, self._held, worker_id=self.worker_id,
                                        lease=self.lease)


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

    def hold(self, queue: str, ids: Iterable[int]) -> BatchLeases:
        """Keep renewing the leases of a claimed batch until ``release``."""
        leases = BatchLeases(self.app, queue, self.worker_id, self.lease, ids)
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
    def holding(self, queue: str, ids: Iterable[int]) -> Iterator[BatchLeases]:
        leases = self.hold(queue, ids)
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
