"""Read-only use cases of the execution capability, scoped by the caller."""

from __future__ import annotations

from datetime import date

from simexit.domain.errors import DomainError, NotFound
from simexit.domain.roles import Permission
from simexit.services.access.caller import Caller, Public, System, require_staff, require_system
from simexit.services.closure.views import mask_technical
from simexit.services.context import Simexit
from simexit.services.execution import receipts, refunds
from simexit.services.execution.commands import application_number, uncertain
from simexit.services.execution.views import FailedStepView, PayoutRow, StepView
from simexit.store import applications_repo, outbox_repo
from simexit.store.work_queue import failed_step as failed_step_row
from simexit.store.work_queue import steps_of


def steps(app: Simexit, caller: Caller, application_no: str) -> list[StepView]:
    """The closing steps of an application: simexit's operators, or staff who see its brand."""
    number = application_number(application_no)
    if not isinstance(caller, System):
        require_staff(caller, Permission.VIEW_APPLICATIONS)
    with app.db.read() as conn:
        row = applications_repo.get_by_number(conn, number)
        if not isinstance(caller, System) and not caller.sees_brand(row["brand"]):  # type: ignore[union-attr]
            raise NotFound("APPLICATION_NOT_FOUND", f"no application {number}")
        # What an outside system said may carry a subscriber's number: staff read it masked (as in the timeline
        # and on the failed-step panel), simexit's operators whole.
        shown = (lambda e: e) if isinstance(caller, System) else mask_technical
        return [StepView(step=s["step"], state=s["state"], attempts=s["attempts"], last_error=shown(s["last_error"]),
                         finished_at=s["finished_at"].isoformat() if s["finished_at"] else None)
                for s in steps_of(conn, row["id"])]


def failed_step(app: Simexit, caller: Caller, application_no: str) -> FailedStepView | None:
    """The step that stopped an application in needs_attention (None in any other state), for staff who see its
    brand; what the outside system said is masked as staff read it in the timeline."""
    staff = require_staff(caller, Permission.VIEW_APPLICATIONS)
    number = application_number(application_no)
    with app.db.read() as conn:
        row = applications_repo.get_by_number(conn, number)
        if not staff.sees_brand(row["brand"]):
            raise NotFound("APPLICATION_NOT_FOUND", f"no application {number}")
        step = failed_step_row(conn, row["id"]) if row["status"] == "needs_attention" else None
    if step is None:
        return None
    error = step["last_error"]
    system = error.split(": ", 1)[0] if error and ": " in error else None
    return FailedStepView(step=step["step"], attempts=step["attempts"], system=system, code=step["last_error_code"],
                          error=mask_technical(error), uncertain=uncertain(step))


def payouts(app: Simexit, caller: Caller, day: date) -> list[PayoutRow]:
    """The refunds recorded on ``day`` (UTC) for finance's payout file: simexit's operators only."""
    require_system(caller)
    return [PayoutRow(**r) for r in refunds.payout_rows(app, day)]


def receipt_html(app: Simexit, caller: Caller, application_no: str, locale: str, token: str | None = None
                 ) -> str | None:
    """The printable certificate of cancellation. Someone with the link (``Public``) needs its token; a wrong
    token, an unknown number and a closure not yet completed all answer None (they look alike)."""
    if isinstance(caller, Public):
        if not receipts.check_receipt_token(app, application_no, token or ""):
            return None
        try:
            return receipts.render_receipt(app, application_no, locale)
        except DomainError:
            return None
    require_system(caller)
    return receipts.render_receipt(app, application_no, locale)


def payout_file(app: Simexit, caller: Caller, day: date) -> tuple[str, int]:
    """Finance's payout CSV of ``day`` (UTF-8, header row) and the number of refunds in it."""
    rows = payouts(app, caller, day)
    return refunds.payout_csv([r.to_dict() for r in rows]), len(rows)


def pending_messages(app: Simexit, caller: Caller, kind: str | None, limit: int) -> list[dict]:
    """Messages waiting in the outbox, newest first: operators only (a demo aid, it shows one-time codes)."""
    require_system(caller)
    with app.db.read() as conn:
        return outbox_repo.pending(conn, kind=kind, limit=limit)
