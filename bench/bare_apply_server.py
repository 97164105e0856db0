"""The framework-and-database floors for bench/http_apply.py: FastAPI, one ``async def`` endpoint that takes the
staff apply JSON (validated by the same model) and, with the database driver (stdlib ``sqlite3`` or psycopg, no
ORM), either

- ``BARE_STATEMENTS=<file>`` (the floor the goals are measured against): runs, in one transaction, the
  statements a real apply ran (captured by http_apply.py from one apply through simexit's own HTTP stack: the
  session look-up, the pre-check's reads, the idempotency record, the inserts and updates, the audit entry), with
  their captured parameters. Writes go to constraint-free copies of their tables (``floor_<table>``), so that
  the one captured apply can run again for every request without unique-key conflicts; reads read the real
  tables. (This leaves out the unique-index checks and the rule evaluation in Python: it is a floor.)
- otherwise: inserts one row (the former, single-insert floor; still reported as a second ratio).

Served with the same settings as ``simexit serve`` (uvicorn, one worker, no access log):

    BARE_DATABASE_URL=sqlite:///… [BARE_STATEMENTS=…] python bench/bare_apply_server.py PORT [WORKERS]
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import re
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi import FastAPI

from simexit.api.models import StaffApply

URL = os.environ.get("BARE_DATABASE_URL", "")
POOL = 8
DDL = ("CREATE TABLE IF NOT EXISTS floor_apply (id {pk}, msisdn TEXT NOT NULL, channel TEXT NOT NULL, "
       "identity_method TEXT NOT NULL, body TEXT NOT NULL)")
INSERT = "INSERT INTO floor_apply (msisdn, channel, identity_method, body) VALUES ({m}, {m}, {m}, {m})"

STATEMENTS = os.environ.get("BARE_STATEMENTS")
_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.I)
_WRITE = re.compile(r"^(\s*(?:INSERT\s+INTO|DELETE\s+FROM)\s+)(\w+)", re.I)
_UPSERT = re.compile(r"\s+ON\s+CONFLICT\s*\([^)]*\)\s*DO\s+NOTHING", re.I)

app = FastAPI()


def captured() -> tuple[list[tuple[str, object, bool]], set[str]]:
    """The captured apply's statements and the tables inserted into. Inserts (and deletes) go to the floor
    copies, without their ON CONFLICT clauses (the copies have no unique keys); updates update the real rows
    (the audit chain's head, as in a real apply, is the one row every apply writes)."""
    assert STATEMENTS
    with open(STATEMENTS, "rb") as f:
        raw: list[tuple[str, object, bool]] = pickle.load(f)
    out, written = [], set()
    for sql, params, many in raw:
        if _CONTROL.match(sql):
            continue
        m = _WRITE.match(sql)
        if m:
            table = m.group(2)
            written.add(table)
            sql = _UPSERT.sub("", _WRITE.sub(lambda g: f"{g.group(1)}floor_{g.group(2)}", sql, count=1))
            at = sql.upper().rfind(" RETURNING ")
            if at > 0:
                sql = sql[:at] + sql[at:].replace(f"{table}.", f"floor_{table}.")
        out.append((sql, params, many))
    return out, written


class _Sqlite:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.execute(DDL.format(pk="INTEGER PRIMARY KEY"))
        self.sql = INSERT.format(m="?")
        if STATEMENTS:
            self.statements, written = captured()
            for t in written:
                self.conn.execute(f"CREATE TABLE IF NOT EXISTS floor_{t} AS SELECT * FROM {t} WHERE 0")

    async def insert(self, row: tuple) -> int:
        cur = self.conn.execute(self.sql, row)  # autocommit: one single-row transaction
        return int(cur.lastrowid or 0)

    async def replay(self) -> int:
        self.conn.execute("BEGIN IMMEDIATE")  # as simexit's write transactions on SQLite
        try:
            for sql, params, many in self.statements:
                if many:
                    self.conn.executemany(sql, params)
                else:
                    self.conn.execute(sql, params).fetchall()
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return len(self.statements)


class _Postgres:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.sql = INSERT.format(m="%s") + " RETURNING id"
        self.pool: asyncio.Queue | None = None
        self.lock = asyncio.Lock()
        self.statements, self.written = captured() if STATEMENTS else ([], set())

    async def _open(self) -> asyncio.Queue:
        import psycopg

        q: asyncio.Queue = asyncio.Queue()
        for k in range(POOL):
            conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
            if k == 0:
                await conn.execute(DDL.format(pk="BIGSERIAL PRIMARY KEY"))
                for t in self.written:
                    await conn.execute(f"CREATE TABLE IF NOT EXISTS floor_{t} (LIKE {t} INCLUDING DEFAULTS)")
            q.put_nowait(conn)
        return q

    async def replay(self) -> int:
        conn = await self._conn()
        try:
            async with conn.transaction(), conn.cursor() as cur:
                for sql, params, many in self.statements:
                    if many:
                        await cur.executemany(sql, params)
                    else:
                        await cur.execute(sql, params)
            return len(self.statements)
        finally:
            assert self.pool is not None
            self.pool.put_nowait(conn)

    async def _conn(self):  # type: ignore[no-untyped-def]
        if self.pool is None:
            async with self.lock:
                if self.pool is None:
                    self.pool = await self._open()
        return await self.pool.get()

    async def insert(self, row: tuple) -> int:
        if self.pool is None:
            async with self.lock:
                if self.pool is None:
                    self.pool = await self._open()
        conn = await self.pool.get()
        try:
            cur = await conn.execute(self.sql, row)
            return int((await cur.fetchone())[0])
        finally:
            self.pool.put_nowait(conn)


if URL.startswith("postgresql"):
    store: _Sqlite | _Postgres = _Postgres(URL.replace("postgresql+psycopg://", "postgresql://"))
else:
    store = _Sqlite(URL.removeprefix("sqlite:///"))


@app.post("/api/v1/staff/applications", status_code=201)
async def bare_apply(body: StaffApply) -> dict:
    if STATEMENTS:
        row_id = await store.replay()
    else:
        row_id = await store.insert((body.msisdn, body.channel, body.identity_method,
                                     json.dumps(body.model_dump(mode="json"))))
    return {"application_no": f"F-{row_id}", "status": "submitted", "replayed": False}


if __name__ == "__main__":
    import uvicorn

    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    uvicorn.run("bench.bare_apply_server:app" if workers > 1 else app, host="127.0.0.1", port=int(sys.argv[1]),
                workers=workers, access_log=False, log_level="warning")
