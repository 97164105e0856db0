"""The pooled PostgreSQL connections: pinged before use only after waiting in the pool (store/database.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from simexit.store import database as database_module
from simexit.store.database import Database

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def pg_url(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("the ping at checkout is PostgreSQL's pool (SQLite has no connection to lose)")
    return db_url


def _backend_pid(db: Database) -> int:
    with db.read() as conn:
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def _counting_pings(db: Database, monkeypatch) -> list[int]:
    pings: list[int] = []
    real = db.engine.dialect.do_ping

    def counted(dbapi_conn):  # type: ignore[no-untyped-def]
        pings.append(1)
        return real(dbapi_conn)

    monkeypatch.setattr(db.engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_used_a_moment_ago_is_not_pinged(pg_url, monkeypatch):
    db = Database(pg_url, pool_size=2)
    try:
        pings = _counting_pings(db, monkeypatch)
        pids = {_backend_pid(db) for _ in range(20)}
        assert pings == [] and len(pids) == 1  # one connection, reused, no extra round trip
        monkeypatch.setattr(database_module, "IDLE_PING_S", 0.0)
        _backend_pid(db)
        assert pings == [1]  # waited longer than the threshold: pinged
    finally:
        db.dispose()


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(pg_url, monkeypatch):
    db = Database(pg_url, pool_size=2)
    admin = create_engine(pg_url)
    try:
        old = _backend_pid(db)
        with admin.begin() as conn:
            assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({old})").scalar_one() is True
        monkeypatch.setattr(database_module, "IDLE_PING_S", 0.0)  # as if it had waited in the pool for long
        new = _backend_pid(db)  # no error: the ping failed, the pool connected anew
        assert new != old
        with db.write() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        admin.dispose()
        db.dispose()
