"""store.many_rows stores exactly what SQLAlchemy's own insert stores (on PostgreSQL through COPY)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from simexit.store.many_rows import COPY_FROM, insert_many
from simexit.store.tables_audit import audit_log


def _rows(start: int, n: int) -> list[dict]:
    at = datetime(2026, 11, 22, 8, 30, 15, 123456, tzinfo=UTC)
    return [dict(seq=start + i, at=at + timedelta(seconds=i % 3), actor="simexit", role="system",
                 action="test.many", subject_type="test", subject_ref=f"r{i}",
                 data={"n": i, "text": "退还 \"quoted\" \\ tab\there", "none": None, "list": [1, 2]},
                 prev_hash="0" * 64, hash=f"{i:064d}") for i in range(n)]


def test_many_rows_are_stored_as_sqlalchemy_stores_them(app):
    n = COPY_FROM + 5
    with app.db.write() as conn:
        insert_many(conn, audit_log, _rows(1, n))
        conn.execute(insert(audit_log), _rows(1001, n))
    with app.db.read() as conn:
        got = [dict(r) for r in conn.execute(select(audit_log).order_by(audit_log.c.seq)).mappings()]
    ours, theirs = got[:n], got[n:]
    strip = ("id", "seq")
    assert [{k: v for k, v in r.items() if k not in strip} for r in ours] == \
        [{k: v for k, v in r.items() if k not in strip} for r in theirs]
    assert ours[0]["data"]["text"] == "退还 \"quoted\" \\ tab\there" and ours[0]["at"].tzinfo is not None


def test_a_few_rows_take_the_plain_path(app):
    with app.db.write() as conn:
        insert_many(conn, audit_log, _rows(1, 2))
        insert_many(conn, audit_log, [])
    with app.db.read() as conn:
        assert conn.execute(select(audit_log.c.subject_ref).order_by(audit_log.c.seq)).scalars().all() == ["r0", "r1"]
