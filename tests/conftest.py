"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL when
SIMEXIT_TEST_DATABASE_URL says so), emptied before every test, and a Simexit on a fixed clock."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from simexit.bootstrap import bootstrap
from simexit.clock import FixedClock
from simexit.config import DEMO_POLICY_DIR, Settings
from simexit.domain.policy import load_policies
from simexit.services.context import Simexit
from simexit.store.database import Database
from simexit.store.migrate import upgrade
from simexit.store.schema import metadata

# Demo mode: the CLI and server processes the tests start accept the demo secret key (issue 12, item 3).
os.environ.setdefault("SIMEXIT_DEMO", "1")

# Monday 23 November 2026, 10:00 in Beijing.
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SECRET = "test-secret-key-0123456789"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:
        pytest.fail(f"PostgreSQL at {make_url(url).render_as_string(hide_password=True)} is not reachable: "
                    f"{exc}", pytrace=False)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("SIMEXIT_TEST_DATABASE_URL")
    if url:
        if make_url(url).get_backend_name() == "postgresql":
            _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'simexit-test.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def database(db_url: str) -> Database:
    db = Database(db_url, pool_size=20)
    yield db
    db.dispose()


def _empty(db: Database) -> None:
    names = [t.name for t in reversed(metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            # A connection a test leaked with an open transaction would make TRUNCATE wait for ever: fail loudly.
            conn.execute(text("SET LOCAL lock_timeout = '60s'"))
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            for n in names:
                conn.execute(text(f"DELETE FROM {n}"))


@pytest.fixture(scope="session")
def policies():
    return load_policies(DEMO_POLICY_DIR)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def app(database: Database, policies, clock: FixedClock) -> Simexit:
    _empty(database)
    return bootstrap(Settings(database_url=database.url, secret_key=SECRET), db=database, clock=clock,
                     policies=policies, fast_password_hash=True)
