"""Use case: record an SM-DP+ handleDownloadProgressInfo notification and update the profile's state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from simexit.domain.errors import InvalidInput
from simexit.domain.esim_notifications import STATUSES, new_state, normalize_iccid
from simexit.domain.saga import DELETE_PENDING
from simexit.services.access.caller import Partner
from simexit.services.context import Simexit
from simexit.services.execution.scheduling import profile_deleted
from simexit.store.tables import esim_profiles
from simexit.store.tables_api import esim_notifications


def record_download_progress(app: Simexit, partner: Partner, *, requester: str, call_id: str, iccid: str,
                             point_id: int, status: str, event_at: datetime, payload: dict[str, Any],
                             eid: str | None = None, profile_type: str | None = None) -> bool:
    """Store the notification once per (requester, call id) and apply it; returns False for a repeat."""
    number = normalize_iccid(iccid)
    if number is None:
        raise InvalidInput("ICCID_INVALID", "iccid is 18 to 20 digits")
    if status not in STATUSES:
        raise InvalidInput("STATUS_UNKNOWN", f"unknown notificationPointStatus.status {status!r}",
                           allowed=list(STATUSES))
    state = new_state(point_id, status)
    with app.db.write() as conn:
        now = app.clock.now()
        profile = conn.execute(select(esim_profiles.c.id).where(esim_profiles.c.iccid == number)).scalar()
        ins = pg_insert(esim_notifications) if conn.dialect.name == "postgresql" else sqlite_insert(esim_notifications)
        new_id = conn.execute(ins.values(
            partner_key_id=partner.id, requester=requester, function_call_id=call_id, iccid=number, eid=eid,
            profile_type=profile_type, notification_point_id=point_id, status=status, event_at=event_at,
            new_state=state if profile is not None else None, matched=profile is not None, payload=payload,
            received_at=now,
        ).on_conflict_do_nothing(index_elements=["requester", "function_call_id"])
            .returning(esim_notifications.c.id)).scalar()
        if new_id is None:  # a retry of a notification already recorded
            return False
        if profile is not None and state == "Deleted":
            profile_deleted(conn, number, now)  # the saga's own path: the ICCID becomes reusable
        elif profile is not None and state is not None:
            # A profile the closing saga is waiting to see deleted keeps that state until the delete arrives.
            conn.execute(update(esim_profiles).where(esim_profiles.c.id == profile,
                                                     esim_profiles.c.state != DELETE_PENDING)
                         .values(state=state, updated_at=now))
    return True
