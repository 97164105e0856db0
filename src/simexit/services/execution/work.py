"""The worker's side of the work queues (``store/work_queue``): claiming due items with a lease and renewing the
lease, each in a transaction of its own. What an item does is up to its handler (``worker/registry``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from simexit.services.context import Simexit
from simexit.store import work_queue
from simexit.store.work_queue import LeaseLost

if TYPE_CHECKING:
    from simexit.store.database import Connection

__all__ = ["LeaseLost", "claim", "finish", "finish_in", "release", "renew"]


def claim(app: Simexit, queue: str, *, worker_id: str, lease: timedelta, limit: int) -> list[Mapping[str, Any]]:
    with app.db.write() as conn:
        return work_queue.claim(conn, queue, worker_id=worker_id, now=app.clock.now(), lease=lease, limit=limit)


def renew(app: Simexit, queue: str, ids: Collection[int], *, worker_id: str, lease: timedelta) -> set[int]:
    with app.db.write() as conn:
        return work_queue.renew(conn, queue, ids, worker_id=worker_id, now=app.clock.now(), lease=lease)


def finish(app: Simexit, queue: str, item_id: int, worker_id: str, **values: Any) -> None:
    """Record a result in a transaction of its own; LeaseLost if the item is no longer ours."""
    with app.db.write() as conn:
        work_queue.finish(conn, queue, item_id, worker_id, **values)


def finish_in(conn: Connection, queue: str, item_id: int, worker_id: str, **values: Any) -> None:
    """Record a result in the caller's transaction (a timer's handler runs in it); LeaseLost if not ours."""
    work_queue.finish(conn, queue, item_id, worker_id, **values)


def release(app: Simexit, queue: str, item_id: int, worker_id: str) -> None:
    """Give up our lease on an item not started (a stopping worker), in a transaction of its own."""
    with app.db.write() as conn:
        work_queue.release(conn, queue, item_id, worker_id)
