"""ES2+ download-progress notifications as received, and the eSIM profile state they set."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from simexit.domain.saga import DELETE_PENDING
from simexit.store.locking import insert_ignore
from simexit.store.tables import esim_profiles
from simexit.store.tables_api import esim_notifications


def profile_id(conn: Connection, iccid: str) -> int | None:
    return conn.execute(select(esim_profiles.c.id).where(esim_profiles.c.iccid == iccid)).scalar()


def record(conn: Connection, **values: Any) -> int | None:
    """Store one notification; None when the same one (same requester and dedupe key) is already stored."""
    return insert_ignore(conn, esim_notifications, values, ["requester", "function_call_id"])


def set_state_unless_delete_pending(conn: Connection, profile: int, state: str, now: datetime) -> None:
    """A profile the closing saga waits to see deleted keeps that state until the delete arrives."""
    conn.execute(update(esim_profiles).where(esim_profiles.c.id == profile, esim_profiles.c.state != DELETE_PENDING)
                 .values(state=state, updated_at=now))
