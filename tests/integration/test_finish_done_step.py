"""``work_queue.finish_done_step``: the end of a saga step's transaction (the step done, the rows of the steps
chained after it, the next step, handed on or left to be claimed). One statement on PostgreSQL, three on
SQLite; the same rows either way, the same refusals: a step no longer ours is a lost lease, a chained row
that cannot be written says so, and a next step the application already has is left as it is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from simexit.services.execution import work
from simexit.store import work_queue
from simexit.store.tables_worker import saga_steps
from tests.simulated_world import apply_for, clean_line

LEASE = timedelta(seconds=60)
DONE = dict(state="done", result={"barred": True}, done_by="w1", attempts=1, last_error=None, last_error_code=None)


def _claimed(app, sims) -> dict:
    line = clean_line(app, "globetalk", kind="sim", balance=5000)
    sims.seed_line(app, line["msisdn"])
    apply_for(app, line["msisdn"])
    (row,) = work.claim(app, "saga_steps", worker_id="w1", lease=LEASE, limit=5)
    return dict(row)


def _chained(row: dict, now, names: list[str]) -> list[dict]:
    return [work_queue.done_step_values(application_id=row["application_id"], step=name, seq=row["seq"] + 1 + i,
                                        key=f"{row['idempotency_key']}:{name}", now=now, worker_id="w1",
                                        result={"n": i}) for i, name in enumerate(names)]


def _next(row: dict, now, step: str, seq: int) -> dict:
    return dict(application_id=row["application_id"], step=step, seq=seq, key=f"{row['idempotency_key']}:{step}",
                due_at=now, now=now)


def _rows(app, application_id: int) -> dict[str, dict]:
    with app.db.read() as conn:
        return {r["step"]: dict(r) for r in conn.execute(
            select(saga_steps).where(saga_steps.c.application_id == application_id)).mappings()}


@pytest.mark.parametrize("chained", [0, 1, 3])
def test_the_step_the_chained_rows_and_the_handed_on_step_are_written_as_one(app, clock, sims, chained):
    row = _claimed(app, sims)
    now = clock.now()
    names = ["x_one", "x_two", "x_three"][:chained]
    with app.db.write() as conn:
        held = work_queue.finish_done_step(conn, row["id"], "w1", {**DONE, "finished_at": now},
                                           chained=_chained(row, now, names),
                                           next_step=_next(row, now, "x_next", row["seq"] + 1 + chained),
                                           hold_until=now + LEASE)
    stored = _rows(app, row["application_id"])
    first = stored[row["step"]]
    assert (first["state"], first["result"], first["finished_at"], first["locked_by"], first["locked_until"]) == \
        ("done", {"barred": True}, now, None, None)
    assert [(n, stored[n]["state"], stored[n]["result"], stored[n]["done_by"]) for n in names] == \
        [(n, "done", {"n": i}, "w1") for i, n in enumerate(names)]
    assert held is not None and not held["taken_over"]
    assert held == {**stored["x_next"], "taken_over": False}  # the row handed on is the row written
    assert (held["state"], held["locked_by"], held["locked_until"]) == ("pending", "w1", now + LEASE)


def test_a_next_step_left_to_be_claimed_is_not_leased(app, clock, sims):
    row = _claimed(app, sims)
    now = clock.now()
    with app.db.write() as conn:
        assert work_queue.finish_done_step(conn, row["id"], "w1", {**DONE, "finished_at": now}, chained=[],
                                           next_step=_next(row, now, "x_next", row["seq"] + 1),
                                           hold_until=None) is None
    following = _rows(app, row["application_id"])["x_next"]
    assert (following["state"], following["locked_by"], following["locked_until"]) == ("pending", None, None)
    assert [r["step"] for r in work.claim(app, "saga_steps", worker_id="w2", lease=LEASE, limit=5)] == ["x_next"]


def test_a_step_another_worker_holds_is_a_lost_lease_and_nothing_is_written(app, clock, sims):
    row = _claimed(app, sims)
    clock.advance(seconds=61)
    assert [r["id"] for r in work.claim(app, "saga_steps", worker_id="w2", lease=LEASE, limit=5)] == [row["id"]]
    now = clock.now()
    with pytest.raises(work_queue.LeaseLost), app.db.write() as conn:
        work_queue.finish_done_step(conn, row["id"], "w1", {**DONE, "finished_at": now},
                                    chained=_chained(row, now, ["x_one"]),
                                    next_step=_next(row, now, "x_next", row["seq"] + 2), hold_until=now + LEASE)
    stored = _rows(app, row["application_id"])
    assert set(stored) == {row["step"]}
    assert (stored[row["step"]]["state"], stored[row["step"]]["locked_by"]) == ("pending", "w2")


def test_a_next_step_the_application_has_is_left_as_it_is(app, clock, sims):
    row = _claimed(app, sims)
    now = clock.now()
    with app.db.write() as conn:
        work_queue.add_step(conn, **_next(row, now, "x_next", row["seq"] + 1))
    with app.db.write() as conn:
        assert work_queue.finish_done_step(conn, row["id"], "w1", {**DONE, "finished_at": now}, chained=[],
                                           next_step=_next(row, now, "x_next", row["seq"] + 1),
                                           hold_until=now + LEASE) is None
    stored = _rows(app, row["application_id"])
    assert stored[row["step"]]["state"] == "done"
    assert (stored["x_next"]["locked_by"], stored["x_next"]["idempotency_key"]) == \
        (None, f"{row['idempotency_key']}:x_next")


def test_a_chained_row_that_cannot_be_written_says_so(app, clock, sims):
    row = _claimed(app, sims)
    now = clock.now()
    with app.db.write() as conn:
        work_queue.add_step(conn, **_next(row, now, "x_one", row["seq"] + 1))  # the chained step is already there
    with pytest.raises(work_queue.ChainedRowsFailed, match="x_one"), app.db.write() as conn:
        work_queue.finish_done_step(conn, row["id"], "w1", {**DONE, "finished_at": now},
                                    chained=_chained(row, now, ["x_one"]),
                                    next_step=_next(row, now, "x_next", row["seq"] + 2), hold_until=now + LEASE)
    assert _rows(app, row["application_id"])[row["step"]]["state"] == "pending"


@pytest.mark.parametrize("chained", [0, 1, 2, 3])
@pytest.mark.parametrize("follow", [None, "plain", "held"])
def test_the_postgresql_statement_is_compiled_once(chained, follow):
    # An INSERT of several VALUES rows has no cache key: SQLAlchemy compiled the statement at every execution.
    statement = work_queue._finish_done_statement(("attempts", "result", "state"), chained, follow)
    assert statement._generate_cache_key() is not None
