"""Building a worker from the settings, the same way for ``simexit worker`` and the worker embedded in
``simexit serve``: the integrations chosen by configuration (what it runs is in ``worker/registry.py``).
``EmbeddedWorker`` runs one in a background thread of the serving process."""

from __future__ import annotations

import logging
import threading

from simexit.config import Settings
from simexit.integrations.wiring import integrations_from_settings
from simexit.services.context import Simexit
from simexit.worker.runner import Worker, WorkerOptions

log = logging.getLogger("simexit.worker")


def worker_from_settings(app: Simexit, settings: Settings) -> Worker:
    return Worker(app, integrations_from_settings(settings, app), WorkerOptions.from_settings(settings))


class EmbeddedWorker:
    """The worker in a daemon thread with its own polling loop; ``stop`` ends the loop and waits for it."""

    def __init__(self, app: Simexit, settings: Settings) -> None:
        self.worker = worker_from_settings(app, settings)
        self.thread: threading.Thread | None = None

    def start(self) -> EmbeddedWorker:
        self.thread = threading.Thread(target=self.worker.run_forever, name="simexit-embedded-worker", daemon=True)
        self.thread.start()
        log.info("embedded worker %s started", self.worker.worker_id)
        return self

    def stop(self, timeout: float = 30) -> bool:
        """Stop after the current round; True when the thread ended within ``timeout`` seconds."""
        self.worker.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout)
            return not self.thread.is_alive()
        return True
