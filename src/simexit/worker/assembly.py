"""``EmbeddedWorker`` runs a worker (built by ``simexit.bootstrap.worker_from_settings``) in a background thread
of the serving process (``simexit serve``)."""

from __future__ import annotations

import logging
import threading

from simexit.worker.runner import Worker

log = logging.getLogger("simexit.worker")


class EmbeddedWorker:
    """The worker in a daemon thread with its own polling loop; ``stop`` ends the loop and waits for it."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.thread: threading.Thread | None = None

    def start(self) -> EmbeddedWorker:
        self.thread = threading.Thread(target=self.worker.run_forever, name="simexit-embedded-worker", daemon=True)
        self.thread.start()
        log.info("embedded worker %s started", self.worker.worker_id)
        return self

    def stop(self, timeout: float = 30) -> bool:
        """Stop after the current round; True when the thread ended within ``timeout`` seconds."""
        self.worker.stop()
        if self.thread is not None:
            self.thread.join(timeout)
            return not self.thread.is_alive()
        return True
