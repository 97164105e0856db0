"""Whose batch is it: a batch belongs to the brands of the staff member who uploaded it.

Staff see a batch only when their brands cover all of the uploader's brands (anyone else gets 404
``BATCH_NOT_FOUND``, as for a batch that does not exist); a batch started by simexit's operators (the CLI, no
brands) is seen by staff of every brand (``*``) only. ``System`` sees every batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from simexit.domain.errors import NotFound
from simexit.domain.roles import Permission
from simexit.services.access.caller import Caller, System, require_staff
from simexit.store import bulk_repo as repo

if TYPE_CHECKING:
    from simexit.store.database import Connection


def batch_for(conn: Connection, caller: Caller, batch_id: str, *, for_update: bool = False) -> Mapping[str, Any]:
    """The batch, if the caller may see it; else 404 ``BATCH_NOT_FOUND``."""
    if isinstance(caller, System):
        return repo.get_batch(conn, batch_id, for_update=for_update)
    who = require_staff(caller, Permission.VIEW_APPLICATIONS)
    try:
        batch = repo.get_batch(conn, batch_id, for_update=for_update)
    except NotFound:
        batch = None
    brands = (batch["options"] or {}).get("brands") if batch is not None else None
    if batch is None or not ("*" in who.brands or (brands and "*" not in brands and set(brands) <= set(who.brands))):
        raise NotFound("BATCH_NOT_FOUND", f"no batch {batch_id}")
    return batch
