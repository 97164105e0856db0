"""Use cases of the execution capability that change state, each one transaction, the caller checked first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simexit.domain.application_number import normalize_application_number
from simexit.domain.errors import Conflict, InvalidInput, NotFound
from simexit.domain.roles import Permission
from simexit.domain.state_machine import Action, ActorType, Status, transition
from simexit.services.access.caller import Caller, require_staff
from simexit.services.context import Simexit
from simexit.services.execution.closing_steps import UNCERTAIN_CODES
from simexit.services.execution.views import RetryView
from simexit.store import applications_repo
from simexit.store.work_queue import failed_step, reopen_step

# Who may put a failed closure back to work (retry, confirm the outside state): the console shows its buttons
# to the same roles.
REOPEN_PERMISSION = Permission.RETRY_EXECUTION


def application_number(value: str) -> str:
    number = normalize_application_number(value)
    if number is None:
        raise InvalidInput("APPLICATION_NO_INVALID", "not a valid application number (check character)")
    return number


def uncertain(step: Mapping[str, Any]) -> bool:
    """Whether a failed step (a ``saga_steps`` row) left the outside state uncertain: only a person who looked
    can tell. The worker records the outside system's code with the error (``last_error_code``)."""
    return step["last_error_code"] in UNCERTAIN_CODES


def retry(app: Simexit, caller: Caller, application_no: str, note: str | None = None) -> RetryView:
    """A supervisor puts an application in needs_attention back to work: its failed step runs again now.
    An application of a brand outside the supervisor's brands is "not found"."""
    return _reopen(app, caller, application_no, note, confirm=False)


def confirm_outside_state(app: Simexit, caller: Caller, application_no: str, note: str) -> RetryView:
    """A supervisor who looked at the outside system (the SM-DP+) confirms that the state a failed step sets is
    already there - the step ended "state uncertain" because an earlier try's answer was lost and the repeat was
    refused for that very state. The step runs again and takes that refusal as done. Only for an uncertain step:
    a plain refusal stays a refusal. ``note`` (required) says what was checked."""
    if not (note or "").strip():
        raise InvalidInput("NOTE_REQUIRED", "say what you checked at the outside system")
    return _reopen(app, caller, application_no, note.strip(), confirm=True)


def _reopen(app: Simexit, caller: Caller, application_no: str, note: str | None, *, confirm: bool) -> RetryView:
    staff = require_staff(caller, REOPEN_PERMISSION)
    number = application_number(application_no)
    with app.db.write() as conn:
        row = applications_repo.get_by_number(conn, number, for_update=True)
        if not staff.sees_brand(row["brand"]):
            raise NotFound("APPLICATION_NOT_FOUND", f"no application {number}")
        now = app.clock.now()
        t = transition(row["status"], Action.RETRY, actor_type=ActorType.STAFF, at=now, actor_id=staff.username,
                       actor_role=staff.role.value, note=note)
        step = failed_step(conn, row["id"])
        if step is None:
            raise Conflict("NO_FAILED_STEP", "the application has no failed step to retry")
        was_uncertain = uncertain(step)
        if confirm and not was_uncertain:
            raise Conflict("OUTSIDE_STATE_NOT_UNCERTAIN", "the failed step was refused, not left uncertain: "
                           "there is no outside state to confirm (retry it, or fix the cause)")
        carry = {"confirmed": {"by": staff.username, "at": now.isoformat(), "note": note}} if confirm else \
            {"interrupted": True} if was_uncertain else None  # a plain retry of an uncertain step stays uncertain
        applications_repo.apply_transition(conn, row["id"], t, event="retried",
                                           data={"step": step["step"], **({"confirmed": True} if confirm else {})})
        reopen_step(conn, step["id"], now, carry=carry)
        return RetryView(application_no=number, status=Status.EXECUTING.value, step=step["step"],
                         last_error=step["last_error"])
