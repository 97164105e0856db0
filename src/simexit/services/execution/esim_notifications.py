"""Use case: record an SM-DP+ handleDownloadProgressInfo notification and update the profile's state.

Deduplicated on the whole notification, not on its ``functionCallIdentifier``: the FCI is for tracing (pySim
starts its counter again with each client, one vendor sends a constant FCI), so only a byte-for-byte repeat
of the same notification is a retry. The stored ``function_call_id`` is the FCI (shortened) and the SHA-256
of the whole notification."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from simexit.domain.errors import InvalidInput
from simexit.domain.esim_notifications import STATUSES, new_state, normalize_iccid, operation_of
from simexit.services.access.caller import Partner
from simexit.services.context import Simexit
from simexit.services.execution.scheduling import profile_deleted
from simexit.store import esim_notifications_repo as repo


def dedupe_key(call_id: str, notification: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(notification, sort_keys=True, separators=(",", ":"),
                                       default=str).encode()).hexdigest()
    return f"{call_id[:55]}#{digest}"


def record_download_progress(app: Simexit, partner: Partner, *, requester: str, call_id: str, iccid: str,
                             point_id: int, status: str, event_at: datetime, payload: dict[str, Any],
                             eid: str | None = None, profile_type: str | None = None,
                             result_data: str | None = None, points: dict[int, str] | None = None) -> bool:
    """Store the notification once and apply it; returns False for a repeat of the same notification.
    ``points`` is this SM-DP+'s notificationPointId mapping (default: the published values)."""
    number = normalize_iccid(iccid)
    if number is None:
        raise InvalidInput("ICCID_INVALID", "iccid is 18 to 20 digits")
    if status not in STATUSES:
        raise InvalidInput("STATUS_UNKNOWN", f"unknown notificationPointStatus.status {status!r}",
                           allowed=list(STATUSES))
    if event_at.tzinfo is None:
        raise InvalidInput("TIMESTAMP_WITHOUT_TIME_ZONE", "timestamp needs a UTC offset (YYYY-MM-DDThh:mm:ssZ)")
    state = new_state(operation_of(point_id, result_data, points), status)
    key = dedupe_key(call_id, {**payload, "resultData": result_data})
    with app.db.write() as conn:
        now = app.clock.now()
        profile = repo.profile_id(conn, number)
        new_id = repo.record(conn, partner_key_id=partner.id, requester=requester, function_call_id=key,
                             iccid=number, eid=eid, profile_type=profile_type, notification_point_id=point_id,
                             status=status, event_at=event_at, new_state=state if profile is not None else None,
                             matched=profile is not None, payload=payload, received_at=now)
        if new_id is None:  # a retry of a notification already recorded
            return False
        if profile is not None and state == "Deleted":
            profile_deleted(conn, number, now)  # the saga's own path: the ICCID becomes reusable
        elif profile is not None and state is not None:
            repo.set_state_unless_delete_pending(conn, profile, state, now)
    return True
