"""Use cases: staff run a bulk closure through the API, limited to their brands and their role's permissions.

A batch belongs to the brands of the staff member who uploaded it: each of its lines outside those brands is
refused as ``LINE_NOT_FOUND`` (as a line that does not exist), and the batch itself is visible only to staff
whose brands cover all of the uploader's brands (anyone else gets 404 ``BATCH_NOT_FOUND``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simexit.domain.errors import Forbidden, NotFound
from simexit.domain.roles import INTAKE_CHANNELS, Permission
from simexit.services.access.caller import StaffIdentity
from simexit.services.bulk import approval as bulk_approval
from simexit.services.bulk import closure as bulk_closure
from simexit.services.bulk.decision import BulkOptions
from simexit.services.bulk.input import file_sha256
from simexit.services.closure.acting import require, staff_actor
from simexit.services.context import Simexit
from simexit.store import bulk_repo as repo


def options_for(who: StaffIdentity, channel: str, identity_method: str, *, confirm: list[str] | None = None,
                refund_method: str | None = None) -> BulkOptions:
    require(who, Permission.APPLY_ON_BEHALF)
    channels = INTAKE_CHANNELS[who.role]
    if channel not in channels:
        raise Forbidden("CHANNEL_NOT_ALLOWED_FOR_ROLE", f"a {who.role.value} takes applications on "
                        f"{', '.join(sorted(channels))}", allowed=sorted(channels))
    return BulkOptions(channel=channel, identity_method=identity_method, staff_ref=who.username,
                       staff_role=who.role.value, confirm=confirm, refund_method=refund_method,
                       brands=sorted(who.brands))


def start(app: Simexit, who: StaffIdentity, path: Path, fmt: str, opts: BulkOptions) -> dict[str, Any]:
    """Register the uploaded file as a batch (or find it again); the batch runs elsewhere."""
    require(who, Permission.APPLY_ON_BEHALF)
    return bulk_closure.start_batch(app, path, opts, fmt=fmt)


def upload_digest(path: Path) -> str:
    return file_sha256(path)


def _visible(app: Simexit, who: StaffIdentity, batch_id: str) -> None:
    require(who, Permission.VIEW_APPLICATIONS)
    with app.db.read() as conn:
        try:
            batch = repo.get_batch(conn, batch_id)
        except NotFound:
            batch = None
    brands = (batch or {}).get("options", {}).get("brands") if batch is not None else None
    if batch is None or not ("*" in who.brands or (brands and "*" not in brands and set(brands) <= set(who.brands))):
        raise NotFound("BATCH_NOT_FOUND", f"no batch {batch_id}")


def progress(app: Simexit, who: StaffIdentity, batch_id: str) -> dict[str, Any]:
    _visible(app, who, batch_id)
    return bulk_closure.batch_progress(app, batch_id)


def results(app: Simexit, who: StaffIdentity, batch_id: str, *, after_row: int, limit: int) -> list[dict[str, Any]]:
    _visible(app, who, batch_id)
    return bulk_closure.batch_results(app, batch_id, after_row=after_row, limit=limit)


def approve(app: Simexit, who: StaffIdentity, batch_id: str, *, only: Sequence[str] | None = None,
            note: str | None = None) -> dict[str, Any]:
    require(who, Permission.REVIEW)
    _visible(app, who, batch_id)
    return bulk_approval.approve_batch(app, batch_id, staff_actor(who), only=only, note=note)
