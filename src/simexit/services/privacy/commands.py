"""State-changing use cases of personal data and the audit log, ``fn(app, caller, ...)``: the caller is checked
first, each runs its own transaction(s).

- ``request_export``: a signed-in customer with a confirmed second factor (their own data), staff who may apply
  on a customer's behalf (their brands), or simexit itself (``simexit export request``).
- ``build_export``, ``expire_exports``, ``erase_due``, ``write_audit_checkpoint``, ``create_audit_signing_key``:
  simexit itself (the worker, its sweep, operators' commands).
"""

from __future__ import annotations

from pathlib import Path

from simexit.domain.access import Scope
from simexit.domain.errors import Conflict
from simexit.domain.roles import Permission
from simexit.services.access.caller import (
    Caller,
    StaffIdentity,
    System,
    require_customer,
    require_staff,
    require_system,
)
from simexit.services.context import Simexit
from simexit.services.privacy import audit, erasure, export
from simexit.services.privacy.views import Checkpoint, ErasureReport, ExportView
from simexit.store import audit_checkpoints


def request_export(app: Simexit, caller: Caller, msisdn: str | None = None, *,
                   staff_name: str | None = None) -> ExportView:
    """Ask for an export of everything held about a customer (an export already waiting is returned). A customer
    asks for their own (``msisdn``: one of their lines, default the first); staff and simexit name the line.
    ``staff_name``: simexit only, the member of staff the operator asks for (recorded as the requester)."""
    if isinstance(caller, StaffIdentity):
        who = require_staff(caller, Permission.APPLY_ON_BEHALF)
        return export.request(app, msisdn=msisdn or "", requested_by=who.username, scope=Scope.staff(who.brands))
    if isinstance(caller, System):
        return export.request(app, msisdn=msisdn or "", requested_by=staff_name)
    session = require_customer(caller, app.clock.now())
    return export.request(app, msisdn=msisdn, customer_id=session.customer_id,
                          scope=Scope.customer(session.customer_id))


def build_export(app: Simexit, caller: Caller, export_id: int) -> ExportView:
    """Build a requested export now (what the worker's ``export_build`` timer does)."""
    require_system(caller)
    return export.build_export(app, export_id)


def expire_exports(app: Simexit, caller: Caller) -> int:
    """Delete the files of exports past their expiry (the worker's sweep)."""
    require_system(caller)
    return export.expire_exports(app)


def erase_due(app: Simexit, caller: Caller) -> ErasureReport:
    """Carry out every erasure stage due today (one transaction per subject and stage)."""
    require_system(caller)
    return erasure.erase_due(app)


def write_audit_checkpoint(app: Simexit, caller: Caller, *, force: bool = False) -> Checkpoint | None:
    """Sign the audit log's head into the checkpoint sink when due (``force``: whenever the head moved)."""
    require_system(caller)
    return audit.write_checkpoint(app, force=force)


def create_audit_signing_key(caller: Caller, path: Path) -> str:
    """Write a new Ed25519 private key for the checkpoints to ``path`` (never over an existing file); returns the
    public key as PEM (give it to whoever verifies the log elsewhere)."""
    require_system(caller)
    if path.exists():
        raise Conflict("KEY_FILE_EXISTS", f"{path} exists; refusing to overwrite a signing key")
    return audit_checkpoints.public_pem(audit_checkpoints.generate_key(path))
