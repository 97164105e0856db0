"""Engine and transactions, the same API on the embedded SQLite default and on PostgreSQL.

Use ``db.write()`` for a unit of work that changes data and ``db.read()`` for one that only reads.
On SQLite a write transaction starts with ``BEGIN IMMEDIATE``: it takes the single write lock up
front (waiting in the busy handler), instead of failing half-way when a read turns into a write
while another connection writes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, InvalidatePoolError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from simexit.store import applications_repo, audit_repo, numbers_repo, wakeups
from simexit.store.transaction_info import transaction_scoped

# What an unreachable, restarting or overloaded database raises (connection refused or lost, no connection free
# in the pool, SQLite's file locked or missing): the doors answer "try again later" (HTTP 503) to these.
OUTAGES: tuple[type[Exception], ...] = (OperationalError, InterfaceError, PoolTimeout)
# A pooled PostgreSQL connection that has waited in the pool longer than this is pinged before it is handed out.
IDLE_PING_S = 5.0
# The chain key of a Database nobody gave one (Simexit sets the real one, derived from the secret key).
UNSET_AUDIT_KEY = b"simexit audit chain key not set"


def json_text(value: Any) -> str:
    """JSON columns are written with orjson: a bulk chunk serialises tens of thousands of values, and the json
    module was a sixth of its time. Non-ASCII is kept as UTF-8 (not \\u escapes); keys that are not strings
    become strings, as with the json module."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, *, pool_size: int = 10, audit_key: Callable[[], bytes] = lambda: UNSET_AUDIT_KEY) -> Engine:
    engine = _make_engine(url, pool_size=pool_size)
    # Audit entries are chained (under the chain key ``audit_key()``) and written at commit; both keys are
    # dropped when a transaction ends.
    transaction_scoped(engine, audit_repo.PENDING, on_commit=lambda conn: audit_repo.flush(conn, audit_key()))
    transaction_scoped(engine, applications_repo.NUMBERS)
    transaction_scoped(engine, numbers_repo.HOLDING_DAYS)
    wakeups.install(engine)  # PostgreSQL: NOTIFY the workers at the commit of work due now
    return engine


def _make_engine(url: str, *, pool_size: int) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, connect_args={"timeout": 30, "check_same_thread": False},
                               pool_size=pool_size, max_overflow=pool_size, json_serializer=json_text)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = "IMMEDIATE" if conn.get_execution_options().get("simexit_write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    # PostgreSQL's JIT compiles a query when the planner's cost estimate is high, which on freshly bulk-loaded,
    # not yet analysed tables happened to a bulk chunk's facts query: 620 ms of compiling for a 90 ms query.
    # simexit's queries are short index lookups, so JIT is off on its connections (unless the URL sets options).
    connect_args = {} if "options" in u.query else {"options": "-c jit=off"}
    engine = create_engine(u, pool_size=pool_size, max_overflow=pool_size, connect_args=connect_args,
                           json_serializer=json_text)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a connection at checkout only when it has waited in the pool for more than ``IDLE_PING_S``, instead of
    at every checkout (``pool_pre_ping``), which cost a round trip each time: a closure's worker steps check a
    connection out about 12 times. The connections a server or a proxy drops are the
    idle ones (a restart, an idle timeout); one dropped in the few seconds after its last use fails its first
    statement, which SQLAlchemy sees as a disconnect: it invalidates the pool, the request answers 503 and the
    worker's item is tried again. A failed ping raises ``InvalidatePoolError``: the pool drops every connection made
    before it (a restart took them all) and connects anew (SQLAlchemy's pessimistic disconnect handling)."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):  # type: ignore[no-untyped-def]
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since <= IDLE_PING_S:
            return  # a new connection, or one used a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise InvalidatePoolError("a pooled connection did not answer its ping") from exc


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.audit_key = UNSET_AUDIT_KEY  # the audit chain's MAC key (``Simexit`` sets it from its settings)
        self.engine = make_engine(url, pool_size=pool_size, audit_key=lambda: self.audit_key)
        # SQLite has one write lock per file: threads of this process queue here, in order, instead of
        # colliding in SQLite's busy handler (see PERFORMANCE.md). PostgreSQL needs no such queue.
        self._write_queue = threading.RLock() if self.engine.dialect.name == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self._write_queue or nullcontext(), self.engine.connect() as conn:
            conn = conn.execution_options(simexit_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def lookup(self) -> Iterator[Connection]:
        """Reads on the hot path (pre-check, session lookups): on PostgreSQL in autocommit, which spares the
        BEGIN and COMMIT round trips and sees what a READ COMMITTED transaction would (each statement its own
        snapshot). Not for server-side cursors (``yield_per``), which need a transaction: use ``read``.
        On SQLite the same as ``read`` (a read transaction is one snapshot, and costs no round trip)."""
        if self._write_queue is not None:  # SQLite
            with self.read() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")

    def ping(self) -> None:
        """One round trip (``SELECT 1``); raises when the database does not answer."""
        with self.read() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
