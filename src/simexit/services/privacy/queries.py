"""Read-only use cases of personal data and the audit log, scoped by the caller (a record outside the caller's
reach is "not found").

- ``export``: one export — the customer's own, staff's brands, or any for simexit; ``latest_export``: the
  signed-in customer's newest.
- ``open_download``: anyone holding a link (``Public``), rate-limited per address before the token is checked.
- ``erasure_plan``: simexit, or staff who may see reports. ``verify_audit``: simexit. ``audit_entries``: staff
  who may see applications (their brands), or simexit.
"""

from __future__ import annotations

from simexit.domain.application_number import normalize_application_number
from simexit.domain.errors import NotFound
from simexit.domain.roles import Permission
from simexit.services.access.caller import (
    Caller,
    Public,
    StaffIdentity,
    System,
    require_customer,
    require_staff,
    require_system,
    scope_of,
)
from simexit.services.access.link_limits import count_link_request
from simexit.services.context import Simexit
from simexit.services.privacy import audit, erasure
from simexit.services.privacy import export as exports
from simexit.services.privacy.views import AuditEntry, ExportView, PlannedErasure, VerifyReport
from simexit.store import applications_repo


def export(app: Simexit, caller: Caller, export_id: int) -> ExportView:
    if isinstance(caller, StaffIdentity):
        require_staff(caller, Permission.VIEW_APPLICATIONS)
    scope = scope_of(caller)
    if scope is None:
        return exports.get_export(app, export_id)
    return exports.export_for(app, export_id, scope)


def latest_export(app: Simexit, caller: Caller) -> ExportView | None:
    return exports.latest_for_customer(app, require_customer(caller).customer_id)


def open_download(app: Simexit, caller: Public, token: str) -> ExportView:
    """The ready export a download token opens (EXPORT_TOKEN_INVALID, EXPORT_EXPIRED, EXPORT_GONE otherwise);
    429 RATE_LIMITED past 30 requests in 15 minutes from the caller's address."""
    count_link_request(app, caller, "export")
    return exports.verify_download_token(app, token)


def erasure_plan(app: Simexit, caller: Caller) -> list[PlannedErasure]:
    if not isinstance(caller, System):
        require_staff(caller, Permission.VIEW_REPORTS)
    plan = erasure.plan(app)
    if isinstance(caller, StaffIdentity):
        plan = [p for p in plan if caller.sees_brand(p.brand)]
    return plan


def verify_audit(app: Simexit, caller: Caller) -> VerifyReport:
    require_system(caller)
    return audit.verify(app)


def audit_entries(app: Simexit, caller: Caller, application_no: str) -> list[AuditEntry]:
    """An application's audit entries, oldest first."""
    if not isinstance(caller, System):
        who = require_staff(caller, Permission.VIEW_APPLICATIONS)
        number = normalize_application_number(application_no)
        if number is None:
            raise NotFound("APPLICATION_NOT_FOUND", "no such application")
        with app.db.lookup() as conn:
            try:
                brand = applications_repo.get_by_number(conn, number)["brand"]
            except NotFound:
                raise NotFound("APPLICATION_NOT_FOUND", "no such application") from None
        if not who.sees_brand(brand):
            raise NotFound("APPLICATION_NOT_FOUND", "no such application")
    return audit.entries_of(app, application_no)
