"""Wake-ups instead of polling on PostgreSQL (issue 16 item 4): a transaction that makes work due now (a saga
step, an outbox message or a timer due at once) sends ``NOTIFY simexit_work`` as it commits, and each worker
``LISTEN``s on a connection of its own and starts a round as soon as one arrives. A notification is only a
hint: the worker still claims with ``SKIP LOCKED`` and leases, and its poll (``SIMEXIT_WORKER_POLL_SECONDS``)
stays as the fallback (a lost connection, a notification sent while no worker listened) and is the only way on
SQLite, which has no notifications.

``mark_due_now(conn)`` flags the transaction; ``install(engine)`` (store/database.py) sends one NOTIFY at the
commit of every flagged transaction (PostgreSQL folds repeated identical notifications anyway), none on a
rollback. ``Listener`` is the worker's side.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url

from simexit.store.transaction_info import transaction_scoped

log = logging.getLogger("simexit.worker")
CHANNEL = "simexit_work"
WAKE = "simexit_wake"
_THREAD = threading.local()


def install(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return

    def notify(conn: Connection) -> None:
        if conn.info.get(WAKE):
            conn.exec_driver_sql(f"NOTIFY {CHANNEL}")

    transaction_scoped(engine, WAKE, on_commit=notify)


def mark_due_now(conn: Connection) -> None:
    """In the caller's transaction: work it adds is due now; the workers are woken at commit (PostgreSQL)."""
    if conn.dialect.name == "postgresql" and not getattr(_THREAD, "silent", False):
        conn.info[WAKE] = True


def silence_this_thread() -> None:
    """A running worker's threads wake no one: the next step or message they make due is claimed by the same
    worker's loop, which is awake (and PostgreSQL serialises the commits that NOTIFY: one per step was a queue
    at every commit). Other workers find that work at their poll."""
    _THREAD.silent = True


def libpq_url(url: str) -> str | None:
    """The URL for a plain psycopg connection, or None for a database without notifications (SQLite)."""
    u = make_url(url)
    if u.get_backend_name() != "postgresql":
        return None
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """A daemon thread that LISTENs on its own connection and sets ``wake`` on each notification; it reconnects
    after an error (the worker's poll covers the gap) and ends when ``stop`` is set."""

    def __init__(self, url: str, wake: threading.Event, stop: threading.Event, *, reconnect_s: float = 2.0) -> None:
        self.url, self.wake, self.stop, self.reconnect_s = url, wake, stop, reconnect_s
        self.listening = threading.Event()
        self.thread = threading.Thread(target=self._run, name="simexit-wakeups", daemon=True)

    def start(self) -> Listener:
        self.thread.start()
        return self

    def _run(self) -> None:
        import psycopg

        while not self.stop.is_set():
            conn: Any = None
            try:
                conn = psycopg.connect(self.url, autocommit=True)
                conn.execute(f"LISTEN {CHANNEL}")
                self.listening.set()
                self.wake.set()  # work may have become due while nobody listened
                while not self.stop.is_set():
                    for _ in conn.notifies(timeout=1.0, stop_after=1):
                        self.wake.set()
            except Exception:  # the poll is the fallback until the listener is back
                log.warning("listening for wake-ups failed; polling until reconnected", exc_info=True)
                self.listening.clear()
                self.stop.wait(self.reconnect_s)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
