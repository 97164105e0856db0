"""State-changing use cases of closure: ``fn(app, caller, …)``, the caller checked first, one transaction each.

Every door builds its caller and calls the same function here:
- a customer (API, portal) acts only on their own lines and applications; applying and withdrawing also need
  the second factor confirmed in this session (services.access.commands.confirm_second_factor);
- staff (API, console) act only within their brands and their role's permissions; agents and clerks submit on
  a customer's behalf on their role's channels and record how they checked identity — never a self-service
  check such as a code sent to the line;
- an operator at the command line acts under the name given, with every right; simexit itself (the worker,
  the public cancellation entry once its code is confirmed) likewise;
- the public (no sign-in) only submits and confirms a cancellation request.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from simexit.domain.access import Scope
from simexit.domain.errors import Forbidden, InvalidInput
from simexit.domain.identity import SELF_SERVICE_METHODS, IdentityMethod
from simexit.domain.roles import INTAKE_CHANNELS, Permission
from simexit.domain.state_machine import ActorType
from simexit.services.access.caller import (
    Caller,
    CustomerSession,
    Operator,
    Public,
    StaffIdentity,
    System,
    require_customer,
    require_staff,
)
from simexit.services.closure import applications, public_cancellation
from simexit.services.closure.applications import Actor, ApplyRequest
from simexit.services.closure.views import ApplicationView, ApplyResult
from simexit.services.context import Simexit

__all__ = ["CUSTOMER_CHANNELS", "ApplyRequest", "apply", "apply_cancellation", "approve", "auto_approve_clean",
           "confirm_cancellation", "reject", "submit_cancellation", "withdraw"]

CUSTOMER_CHANNELS = ("online", "app")


def _refused() -> Forbidden:
    return Forbidden("CALLER_NOT_PERMITTED", "this use case is not open to this caller")


def _operator_actor(op: Operator, channel: str | None) -> Actor:
    if op.role == "customer":
        return Actor(ActorType.CUSTOMER, op.username, None, channel or op.channel)
    return Actor(ActorType.STAFF, op.username, op.role, channel or op.channel)


def _check_staff_channel(who: StaffIdentity, channel: str | None, verb: str) -> None:
    channels = INTAKE_CHANNELS[who.role]
    if channel not in channels:
        raise Forbidden("CHANNEL_NOT_ALLOWED_FOR_ROLE", f"a {who.role.value} {verb} "
                        f"{', '.join(sorted(channels))}", allowed=sorted(channels))


def apply(app: Simexit, caller: Caller, req: ApplyRequest) -> ApplyResult:
    """Submit an application; an open one for the same line is returned instead (never a second one)."""
    if isinstance(caller, CustomerSession):
        s = require_customer(caller, app.clock.now())
        if req.channel not in CUSTOMER_CHANNELS:
            raise InvalidInput("CHANNEL_NOT_ALLOWED", "customers apply online or in the app",
                               allowed=list(CUSTOMER_CHANNELS))
        evidence = {"second_factor": "id_tail", **req.identity_evidence, "session": s.session_id}
        req = dataclasses.replace(req, identity_method=IdentityMethod.OTP.value, identity_evidence=evidence,
                                  staff_ref=None, staff_role=None, scope=Scope.customer(s.customer_id))
    elif isinstance(caller, StaffIdentity):
        who = require_staff(caller, Permission.APPLY_ON_BEHALF)
        _check_staff_channel(who, req.channel, "takes applications on")
        try:
            method = IdentityMethod(req.identity_method)
        except ValueError:
            method = None
        if method in SELF_SERVICE_METHODS - {IdentityMethod.ID_NUMBER}:
            raise InvalidInput("IDENTITY_METHOD_NOT_ALLOWED", f"{req.identity_method} is a self-service check; "
                               "record how you checked the customer's identity")
        req = dataclasses.replace(req, staff_ref=who.username, staff_role=who.role.value,
                                  scope=Scope.staff(who.brands))
    elif isinstance(caller, System | Operator):
        req = dataclasses.replace(req, scope=None)
    else:
        raise _refused()
    return applications.apply(app, req)


def approve(app: Simexit, caller: Caller, application_no: str, note: str | None = None, *,
            channel: str | None = None) -> ApplicationView:
    """A reviewer approves; execution is scheduled in the same transaction."""
    actor, scope = _decider(caller, channel)
    return _as_seen_by(caller, applications.approve(app, application_no, actor, note, scope=scope))


def reject(app: Simexit, caller: Caller, application_no: str, reasons: list[str], note: str | None = None, *,
           channel: str | None = None) -> ApplicationView:
    actor, scope = _decider(caller, channel)
    return _as_seen_by(caller, applications.reject(app, application_no, actor, reasons, note, scope=scope))


def _as_seen_by(caller: Caller, view: ApplicationView) -> ApplicationView:
    """simexit's internal notes: masked for staff, a plain message for customers (as queries.show)."""
    if isinstance(caller, CustomerSession):
        return view.for_customer(None)
    if isinstance(caller, StaffIdentity):
        return view.for_staff()
    return view


def _decider(caller: Caller, channel: str | None) -> tuple[Actor, Scope | None]:
    if isinstance(caller, StaffIdentity):
        who = require_staff(caller, Permission.REVIEW)
        return Actor.of_staff(who, channel), Scope.staff(who.brands)
    if isinstance(caller, Operator):
        return _operator_actor(caller, channel), None
    if isinstance(caller, System):
        return Actor.system(), None
    raise _refused()


def withdraw(app: Simexit, caller: Caller, application_no: str, note: str | None = None, *,
             channel: str | None = None) -> ApplicationView:
    """The customer (or staff on their behalf, on their role's channels) withdraws before execution."""
    if isinstance(caller, CustomerSession):
        s = require_customer(caller, app.clock.now())
        actor = Actor(ActorType.CUSTOMER, f"customer:{s.customer_id}", None, channel or "online")
        scope: Scope | None = Scope.customer(s.customer_id)
    elif isinstance(caller, StaffIdentity):
        who = require_staff(caller, Permission.APPLY_ON_BEHALF)
        _check_staff_channel(who, channel, "acts on")
        actor, scope = Actor.of_staff(who, channel), Scope.staff(who.brands)
    elif isinstance(caller, Operator):
        actor, scope = _operator_actor(caller, channel), None
    else:
        raise _refused()
    return _as_seen_by(caller, applications.withdraw(app, application_no, actor, note, scope=scope))


def auto_approve_clean(app: Simexit, caller: Caller, limit: int = 500) -> list[str]:
    """Approve pending applications that need no person, for brands whose policy allows it (simexit's sweep,
    or an operator)."""
    if not isinstance(caller, System | Operator):
        raise _refused()
    return applications.auto_approve_clean(app, limit)


def submit_cancellation(app: Simexit, caller: Caller, *, kind: str, reason: str | None, customer_name: str,
                        msisdn: str, end_date_wanted: date | None, email: str, locale: str = "en",
                        brand: str | None = None,
                        submission_key: str | None = None) -> public_cancellation.CancellationReceipt:
    """The public cancellation entry: anyone, without signing in; throttled by the caller's address. A number
    without +country is read in ``brand``'s region; the same ``submission_key`` and fields answer the same."""
    if not isinstance(caller, Public):
        raise _refused()
    return public_cancellation.submit(app, kind=kind, reason=reason, customer_name=customer_name, msisdn=msisdn,
                                      end_date_wanted=end_date_wanted, email=email, locale=locale,
                                      client_address=caller.client_address, brand=brand,
                                      submission_key=submission_key)


def confirm_cancellation(app: Simexit, caller: Caller, request_no: str, code: str) -> dict[str, Any]:
    """The code sent to the line confirms the request; it becomes an application (or says what blocks it)."""
    if not isinstance(caller, Public):
        raise _refused()
    return public_cancellation.confirm(app, request_no, code)


def apply_cancellation(app: Simexit, caller: Caller, request_no: str, *, proof: str, consequences: list[str],
                       id_tail: str | None = None) -> dict[str, Any]:
    """After the code: the consequences confirmed (and the ID tail where the brand's rule asks for it), the
    request becomes an application (or says what blocks it)."""
    if not isinstance(caller, Public):
        raise _refused()
    return public_cancellation.apply_request(app, request_no, proof=proof, consequences=consequences,
                                             id_tail=id_tail)
