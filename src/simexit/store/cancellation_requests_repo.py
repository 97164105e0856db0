"""Requests of the public cancellation entry: written on submission, confirmed with the code sent to the line."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from simexit.store.tables_public import cancellation_requests


def insert_request(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(cancellation_requests).values(**values))


def get(conn: Connection, request_no: str, *, for_update: bool = False) -> RowMapping | None:
    """The request; ``for_update`` locks its row, so simultaneous code guesses are checked one at a time."""
    q = select(cancellation_requests).where(cancellation_requests.c.request_no == request_no)
    return conn.execute(q.with_for_update() if for_update else q).mappings().first()


def count_wrong_code(conn: Connection, request_id: int) -> None:
    conn.execute(update(cancellation_requests).where(cancellation_requests.c.id == request_id)
                 .values(attempts=cancellation_requests.c.attempts + 1))


def record_outcome(conn: Connection, request_no: str, *, state: str, application_id: int | None,
                   outcome: dict[str, Any]) -> None:
    conn.execute(update(cancellation_requests).where(cancellation_requests.c.request_no == request_no)
                 .values(state=state, application_id=application_id, outcome=outcome))
