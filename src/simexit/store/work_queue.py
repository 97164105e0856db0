"""Claiming due work with a lease, renewing it while the work goes on, and recording a result only while the
lease is still held. The three queues: ``saga_steps``, ``outbox`` and ``timers``.

PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` so that many workers take disjoint rows. SQLite: the write
transaction (``BEGIN IMMEDIATE``) already serializes claims. A claimed row carries ``locked_by`` and
``locked_until``; when a worker dies its rows become due again at ``locked_until``. ``renew`` extends the lease
of the rows a worker still holds and says which those are: a row another worker claimed meanwhile is not
among them, and the first worker must leave it alone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, bindparam, func, insert, null, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from simexit.store.built import once
from simexit.store.locking import dialect_of, insert_ignoring, is_postgresql, skip_locked
from simexit.store.tables import outbox
from simexit.store.tables_worker import saga_steps, timers
from simexit.store.wakeups import mark_due_now

QUEUES: dict[str, Table] = {"saga_steps": saga_steps, "outbox": outbox, "timers": timers}
Item = Mapping[str, Any]


class LeaseLost(Exception):
    """Another worker holds this item now (ours expired): our result must not be recorded."""


def _claim_statements(conn: Connection, queue: str) -> tuple[Any, ...]:
    """The claim's statements for ``queue``, built once per dialect (the worker claims many times a second;
    building a statement cost more than running it). PostgreSQL: one statement (``WITH due AS (SELECT … FOR
    UPDATE SKIP LOCKED) UPDATE … FROM due RETURNING …``). SQLite: three (its RETURNING may not name the FROM
    table, which says whose claim came before; one writer at a time makes the three as good as one)."""
    return once(("claim", dialect_of(conn), queue), lambda: _build_claim(conn, QUEUES[queue]))


def _build_claim(conn: Connection, table: Table) -> tuple[Any, ...]:
    now = bindparam("now")
    # locked_by still set on a due row: the worker that claimed it last never finished it (it was killed, or
    # lost its lease) - its outside call may have been made (``taken_over``).
    due = (select(table.c.id, table.c.locked_by)
           .where(table.c.state == "pending", table.c.due_at <= now,
                  or_(table.c.locked_until.is_(None), table.c.locked_until < now))
           .order_by(table.c.due_at, table.c.id).limit(bindparam("limit")))
    lock = update(table).values(locked_by=bindparam("worker_id"), locked_until=bindparam("until"))
    if is_postgresql(conn):
        cte = skip_locked(conn, due).cte("due")
        return (lock.where(table.c.id == cte.c.id)
                .returning(*table.c, cte.c.locked_by.label("previous_locked_by")),)
    return (due, lock.where(table.c.id.in_(bindparam("ids", expanding=True))),
            select(table).where(table.c.id.in_(bindparam("ids", expanding=True))).order_by(table.c.id))


def claim(conn: Connection, queue: str, *, worker_id: str, now: datetime, lease: timedelta, limit: int
          ) -> list[dict[str, Any]]:
    """Lease up to ``limit`` due items to ``worker_id``, in id order. Each row comes with ``taken_over``: true
    when an earlier claim of it never finished (that worker died or lost its lease mid-item)."""
    statements = _claim_statements(conn, queue)
    until = now + lease
    if len(statements) == 1:
        found = conn.execute(statements[0], {"now": now, "limit": limit, "worker_id": worker_id, "until": until})
        claimed = [dict(r) for r in found.mappings()]
        for r in claimed:
            r["taken_over"] = r.pop("previous_locked_by") is not None
        return sorted(claimed, key=lambda r: r["id"])
    due, lock, rows = statements
    found = conn.execute(due, {"now": now, "limit": limit}).all()
    if not found:
        return []
    ids = [r.id for r in found]
    taken_over = {r.id for r in found if r.locked_by is not None}
    conn.execute(lock, {"ids": ids, "worker_id": worker_id, "until": until})
    return [{**r, "taken_over": r["id"] in taken_over} for r in conn.execute(rows, {"ids": ids}).mappings()]


def renew(conn: Connection, queue: str, ids: Collection[int], *, worker_id: str, now: datetime,
          lease: timedelta) -> set[int]:
    """Extend our lease on ``ids`` to ``now + lease``; returns the ids we still hold. (A lease that ran out
    while nobody claimed the row is still ours: ``claim`` is the only way another worker takes it.)"""
    if not ids:
        return set()
    stmt = once(("renew", queue), lambda: _renew_statement(QUEUES[queue]))
    res = conn.execute(stmt, {"p_ids": list(ids), "p_worker": worker_id, "p_until": now + lease})
    return set(res.scalars())


def _renew_statement(table: Table) -> Any:
    return (update(table)
            .where(table.c.id.in_(bindparam("p_ids", expanding=True)), table.c.locked_by == bindparam("p_worker"),
                   table.c.state == "pending")
            .values(locked_until=bindparam("p_until")).returning(table.c.id))


def finish(conn: Connection, queue: str, item_id: int, worker_id: str, **values: Any) -> None:
    """Record a result for a claimed item; raises LeaseLost if we no longer hold it."""
    columns = tuple(sorted(values))
    stmt = once(("finish", queue, columns), lambda: _finish_statement(QUEUES[queue], columns))
    res = conn.execute(stmt, {**values, "p_id": item_id, "p_worker": worker_id})
    if res.rowcount != 1:
        raise LeaseLost(f"{queue} {item_id}")


def _finish_statement(table: Table, columns: tuple[str, ...]) -> Any:
    return (update(table)
            .where(table.c.id == bindparam("p_id"), table.c.locked_by == bindparam("p_worker"),
                   table.c.state == "pending")
            .values({"locked_by": None, "locked_until": None, **{c: bindparam(c) for c in columns}}))


def _insert_ignore(conn: Connection, table: Table, keys: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert_ignoring(conn, table, keys), rows)  # one executemany for many rows
        if any(r["due_at"] <= r["created_at"] for r in rows):
            mark_due_now(conn)  # the workers are woken at commit (PostgreSQL)


def step_values(*, application_id: int, step: str, seq: int, key: str, due_at: datetime,
                now: datetime) -> dict[str, Any]:
    return dict(application_id=application_id, step=step, seq=seq, idempotency_key=key, state="pending",
                attempts=0, due_at=due_at, created_at=now)


def timer_values(*, kind: str, subject: str, due_at: datetime, now: datetime,
                 data: dict[str, Any] | None = None) -> dict[str, Any]:
    return dict(kind=kind, subject=subject, due_at=due_at, state="pending", attempts=0, data=data, created_at=now)


def add_step(conn: Connection, *, application_id: int, step: str, seq: int, key: str, due_at: datetime,
             now: datetime) -> None:
    add_steps(conn, [step_values(application_id=application_id, step=step, seq=seq, key=key, due_at=due_at,
                                 now=now)])


def add_held_step(conn: Connection, *, application_id: int, step: str, seq: int, key: str, due_at: datetime,
                  now: datetime, worker_id: str, until: datetime) -> dict[str, Any] | None:
    """A saga step leased, as it is made, to the worker that made it, which runs it next in the same thread
    without claiming it (issue 16: a claim per step was a fifth of the worker's time). Returns the row as a
    claim would (``taken_over`` false), or None when the application already has this step (it is left as it
    is, to be claimed). Should that worker die, the lease runs out and another claims the step, as any other."""
    stmt = once(("held_step", dialect_of(conn)), lambda: insert_ignoring(conn, saga_steps, ("application_id", "step"))
                .returning(saga_steps.c.id))
    values = {**step_values(application_id=application_id, step=step, seq=seq, key=key, due_at=due_at, now=now),
              "locked_by": worker_id, "locked_until": until}
    new_id = conn.execute(stmt, values).scalar()
    if new_id is None:
        mark_due_now(conn)
        return None
    # The row as written, from the values: RETURNING every column made psycopg describe 16 columns at each
    # execution and SQLAlchemy convert each value back (py-spy: 6 % of the worker's GIL samples for this statement,
    # against 2 % for the UPDATE that finishes a step, run more often).
    return {**_EMPTY_STEP, **values, "id": new_id, "taken_over": False}


_EMPTY_STEP = {c.name: None for c in saga_steps.c}


def release(conn: Connection, queue: str, item_id: int, worker_id: str) -> None:
    """Give up our lease on an item we have not started (a stopping worker): the next claim takes it at once,
    not as taken over."""
    conn.execute(once(("finish", queue, ()), lambda: _finish_statement(QUEUES[queue], ())),
                 {"p_id": item_id, "p_worker": worker_id})


_INSERT_STEP = insert(saga_steps)


def done_step_values(*, application_id: int, step: str, seq: int, key: str, now: datetime, worker_id: str,
                     result: dict[str, Any]) -> dict[str, Any]:
    """The row of a step run in the transaction of the step before it (no claim, no lease): done at once."""
    return {**step_values(application_id=application_id, step=step, seq=seq, key=key, due_at=now, now=now),
            "state": "done", "attempts": 1, "finished_at": now, "done_by": worker_id, "result": result}


def add_done_steps(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """``done_step_values`` rows, in one statement (an executemany)."""
    conn.execute(_INSERT_STEP, rows)


class ChainedRowsFailed(Exception):
    """The rows of the steps chained into this transaction could not be written (``finish_done_step``)."""


def finish_done_step(conn: Connection, step_id: int, worker_id: str, values: dict[str, Any], *,
                     chained: list[dict[str, Any]], next_step: dict[str, Any] | None,
                     hold_until: datetime | None) -> dict[str, Any] | None:
    """The end of a step's transaction: the claimed step marked done with ``values`` (as ``finish``: LeaseLost when
    it is no longer ours), the rows of the steps chained after it (``done_step_values``; ChainedRowsFailed when
    they cannot be written) and the step after those (``step_values`` keywords), leased to ``worker_id`` until
    ``hold_until`` when given (returned as ``add_held_step`` returns it), else left to be claimed.

    PostgreSQL: one statement (the finishing UPDATE and the INSERTs as data-modifying CTEs) where it was three,
    the second an executemany: a closure's saga bookkeeping was 13 of its 41 statements (issue 16). SQLite, which
    has no data-modifying CTE: the statements one after the other."""
    if not is_postgresql(conn):
        finish(conn, "saga_steps", step_id, worker_id, **values)
        if chained:
            try:
                add_done_steps(conn, chained)
            except Exception as exc:
                raise ChainedRowsFailed(chained[0]["step"]) from exc
        if next_step is None:
            return None
        if hold_until is None:
            add_step(conn, **next_step)
            return None
        return add_held_step(conn, **next_step, worker_id=worker_id, until=hold_until)
    columns = tuple(sorted(values))
    follow = None if next_step is None else "held" if hold_until is not None else "plain"
    stmt = once(("finish_done_step", columns, len(chained), follow),
                lambda: _finish_done_statement(columns, len(chained), follow))
    params: dict[str, Any] = {k: values[c] for k, c in _named("f_", columns)}
    params["p_id"], params["p_worker"] = step_id, worker_id
    for i, row in enumerate(chained):
        params.update({k: row[c] for k, c in _named(f"d{i}_", _DONE_COLUMNS)})
    follow_values: dict[str, Any] = {}
    if next_step is not None:
        follow_values = step_values(**next_step)
        if hold_until is not None:
            follow_values.update(locked_by=worker_id, locked_until=hold_until)
        params.update({k: follow_values[c] for k, c in _named("n_", tuple(follow_values))})
    try:
        finished, new_id = conn.execute(stmt, params).one()
    except Exception as exc:
        if chained:
            raise ChainedRowsFailed(chained[0]["step"]) from exc
        raise
    if finished != 1:
        raise LeaseLost(f"saga_steps {step_id}")
    if next_step is None:
        return None
    if hold_until is None:
        if follow_values["due_at"] <= follow_values["created_at"]:
            mark_due_now(conn)
        return None
    if new_id is None:  # the application already has this step: it is left as it is, to be claimed
        mark_due_now(conn)
        return None
    return {**_EMPTY_STEP, **follow_values, "id": new_id, "taken_over": False}


@cache
def _named(prefix: str, columns: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(parameter name, column) for each column: the names made once, not for every row of every step."""
    return tuple((prefix + c, c) for c in columns)


_DONE_COLUMNS = ("application_id", "step", "seq", "idempotency_key", "state", "attempts", "due_at", "created_at",
                 "finished_at", "done_by", "result")
_STEP_COLUMNS = ("application_id", "step", "seq", "idempotency_key", "state", "attempts", "due_at", "created_at")


def _finish_done_statement(columns: tuple[str, ...], chained: int, follow: str | None) -> Any:
    t = saga_steps
    # As ``_finish_statement``, with NULL written out and no parameter named as a column: SQLAlchemy makes a
    # parameter that has a column's name a value of every INSERT and UPDATE in the statement, the CTEs' included.
    finished = (update(t).where(t.c.id == bindparam("p_id"), t.c.locked_by == bindparam("p_worker"),
                                t.c.state == "pending")
                .values({"locked_by": null(), "locked_until": null(),
                         **{c: bindparam(f"f_{c}", type_=t.c[c].type) for c in columns}})
                .returning(t.c.id).cte("finished"))
    parts: list[Any] = []
    # A CTE per chained row: an INSERT of several VALUES rows has no cache key in SQLAlchemy (2.1), and was
    # compiled again at every execution (1.1 ms of CPU for the statement against 0.35 ms for the three it replaced).
    for i in range(chained):
        parts.append(insert(t).values({c: bindparam(f"d{i}_{c}", type_=t.c[c].type) for c in _DONE_COLUMNS})
                     .cte(f"chained{i}"))
    new_id: Any = None
    if follow is not None:
        cols = _STEP_COLUMNS + (("locked_by", "locked_until") if follow == "held" else ())
        made = (pg_insert(t).values({c: bindparam(f"n_{c}", type_=t.c[c].type) for c in cols})
                .on_conflict_do_nothing(index_elements=["application_id", "step"]).returning(t.c.id).cte("made"))
        new_id = select(made.c.id).scalar_subquery()
    stmt = select(select(func.count()).select_from(finished).scalar_subquery().label("finished"),
                  (new_id if new_id is not None else null()).label("new_id"))
    return stmt.add_cte(*parts) if parts else stmt


def add_steps(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Saga steps (``step_values``); a step the application already has is left as it is (with its key: the
    key goes outside and must stay the same on every try)."""
    _insert_ignore(conn, saga_steps, ("application_id", "step"), rows)


def add_timer(conn: Connection, *, kind: str, subject: str, due_at: datetime, now: datetime,
              data: dict[str, Any] | None = None) -> None:
    add_timers(conn, [timer_values(kind=kind, subject=subject, due_at=due_at, now=now, data=data)])


def add_timers(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Timers (``timer_values``); one already there for the same kind and subject is left as it is."""
    _insert_ignore(conn, timers, ("kind", "subject"), rows)


def failed_step(conn: Connection, application_id: int) -> RowMapping | None:
    return conn.execute(select(saga_steps).where(saga_steps.c.application_id == application_id,
                                                 saga_steps.c.state == "failed")).mappings().first()


def steps_of(conn: Connection, application_id: int) -> list[RowMapping]:
    return list(conn.execute(select(saga_steps).where(saga_steps.c.application_id == application_id)
                             .order_by(saga_steps.c.seq)).mappings())


def step_state(conn: Connection, application_id: int, step: str) -> str | None:
    return conn.execute(select(saga_steps.c.state).where(saga_steps.c.application_id == application_id,
                                                         saga_steps.c.step == step)).scalar()


def reopen_step(conn: Connection, step_id: int, now: datetime, *, carry: dict[str, Any] | None = None) -> None:
    """A failed step due again now. ``carry`` is what its next try must know (kept in ``result`` until it is done):
    that an earlier try may have reached the outside system, or a supervisor's confirmation of the outside state."""
    conn.execute(update(saga_steps).where(saga_steps.c.id == step_id)
                 .values(state="pending", attempts=0, due_at=now, locked_by=None, locked_until=None, result=carry))
    mark_due_now(conn)
