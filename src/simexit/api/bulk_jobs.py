"""Bulk closures uploaded through the API run in background threads, one per batch.

The uploaded file stays on disk while its batch runs and is deleted when it is done. A batch is resumable
by design: if the process dies, a later upload of the same file continues it where it stopped.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from simexit.services.access.caller import System
from simexit.services.bulk import commands as bulk_commands
from simexit.services.context import Simexit

log = logging.getLogger("simexit.bulk")


class BulkJobs:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, threading.Thread] = {}

    def start(self, app: Simexit, batch_id: str, path: Path) -> bool:
        """Run the batch in a thread unless one already runs it here (then ``path`` is deleted)."""
        with self._lock:
            if batch_id in self._running:
                path.unlink(missing_ok=True)
                return False
            thread = threading.Thread(target=self._run, args=(app, batch_id, path), name=f"bulk-{batch_id}",
                                      daemon=True)
            self._running[batch_id] = thread
        thread.start()
        return True

    def _run(self, app: Simexit, batch_id: str, path: Path) -> None:
        try:
            bulk_commands.run(app, System(), batch_id, path)
        except Exception:
            log.exception("bulk batch stopped; upload the same file again to resume it", extra={"batch": batch_id})
        finally:
            path.unlink(missing_ok=True)
            with self._lock:
                self._running.pop(batch_id, None)

    def join(self, timeout: float = 30.0) -> None:
        """Wait for the running batches (tests, shutdown)."""
        with self._lock:
            threads = list(self._running.values())
        for t in threads:
            t.join(timeout)
