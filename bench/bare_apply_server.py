"""The framework-and-database floor for bench/http_apply.py: FastAPI, one ``async def`` endpoint that takes the
staff apply JSON and inserts one row with the database driver (stdlib ``sqlite3`` or psycopg), no ORM.

Served with the same settings as ``simexit serve`` (uvicorn, one worker, no access log):

    BARE_DATABASE_URL=sqlite:///… python bench/bare_apply_server.py PORT
"""

from __future__ import annotations

import asyncio
import json
import os
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

app = FastAPI()


class _Sqlite:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.execute(DDL.format(pk="INTEGER PRIMARY KEY"))
        self.sql = INSERT.format(m="?")

    async def insert(self, row: tuple) -> int:
        cur = self.conn.execute(self.sql, row)  # autocommit: one single-row transaction
        return int(cur.lastrowid or 0)


class _Postgres:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.sql = INSERT.format(m="%s") + " RETURNING id"
        self.pool: asyncio.Queue | None = None
        self.lock = asyncio.Lock()

    async def _open(self) -> asyncio.Queue:
        import psycopg

        q: asyncio.Queue = asyncio.Queue()
        for k in range(POOL):
            conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
            if k == 0:
                await conn.execute(DDL.format(pk="BIGSERIAL PRIMARY KEY"))
            q.put_nowait(conn)
        return q

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
    row_id = await store.insert((body.msisdn, body.channel, body.identity_method,
                                 json.dumps(body.model_dump(mode="json"))))
    return {"application_no": f"F-{row_id}", "status": "submitted", "replayed": False}


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), workers=1, access_log=False, log_level="warning")
