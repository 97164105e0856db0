"""Use cases are synchronous (one database transaction each): requests run them in a bounded thread pool.

On SQLite, writes additionally queue on the database's write lock (simexit.store.database).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

T = TypeVar("T")


class Runner:
    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._limiter: CapacityLimiter | None = None

    async def __call__(self, fn: Callable[..., T], *args: object) -> T:
        if self._limiter is None:  # created lazily, inside the event loop
            self._limiter = CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)
