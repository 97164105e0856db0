"""Use cases as a signed-in customer or staff member: the session's reach and rights, then the core use case.

- A customer acts only on their own lines and applications; applying and withdrawing also need the
  second factor confirmed in this session (services.access.commands.confirm_second_factor).
- Staff act only within their brands and their role's permissions; agents and clerks submit on a
  customer's behalf on their role's channels and record how they checked identity.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from simexit.domain.access import Scope
from simexit.domain.errors import Forbidden, InvalidInput, NotFound
from simexit.domain.identity import SELF_SERVICE_METHODS, IdentityMethod
from simexit.domain.roles import INTAKE_CHANNELS, Permission
from simexit.domain.state_machine import ActorType
from simexit.services.access.caller import CustomerSession, StaffIdentity
from simexit.services.closure import applications
from simexit.services.closure.applications import Actor, ApplyRequest, ApplyResult
from simexit.services.context import Simexit

CUSTOMER_CHANNELS = ("online", "app")


def _second_factor(app: Simexit, session: CustomerSession) -> None:
    if not session.second_factor_valid(app.clock.now()):
        raise Forbidden("SECOND_FACTOR_REQUIRED",
                        "confirm the last 6 characters of your ID number first (valid for 10 minutes)")


def customer_actor(session: CustomerSession, channel: str = "online") -> Actor:
    return Actor(ActorType.CUSTOMER, f"customer:{session.customer_id}", None, channel)


def apply_as_customer(app: Simexit, session: CustomerSession, req: ApplyRequest) -> ApplyResult:
    _second_factor(app, session)
    if req.channel not in CUSTOMER_CHANNELS:
        raise InvalidInput("CHANNEL_NOT_ALLOWED", "customers apply online or in the app",
                           allowed=list(CUSTOMER_CHANNELS))
    evidence = {**req.identity_evidence, "session": session.session_id, "second_factor": "id_tail"}
    return applications.apply(app, dataclasses.replace(
        req, identity_method=IdentityMethod.OTP.value, identity_evidence=evidence, staff_ref=None,
        staff_role=None, scope=Scope.customer(session.customer_id)))


def withdraw_as_customer(app: Simexit, session: CustomerSession, application_no: str,
                         note: str | None = None) -> dict[str, Any]:
    _second_factor(app, session)
    return applications.withdraw(app, application_no, customer_actor(session), note,
                                 scope=Scope.customer(session.customer_id))


def require(who: StaffIdentity, permission: Permission) -> None:
    if not who.can(permission):
        raise Forbidden("ROLE_NOT_PERMITTED", f"the {who.role.value} role may not {permission.value}")


def staff_actor(who: StaffIdentity, channel: str | None = None) -> Actor:
    return Actor(ActorType.STAFF, who.username, who.role.value, channel)


def apply_on_behalf(app: Simexit, who: StaffIdentity, req: ApplyRequest) -> ApplyResult:
    require(who, Permission.APPLY_ON_BEHALF)
    channels = INTAKE_CHANNELS[who.role]
    if req.channel not in channels:
        raise Forbidden("CHANNEL_NOT_ALLOWED_FOR_ROLE", f"a {who.role.value} takes applications on "
                        f"{', '.join(sorted(channels))}", allowed=sorted(channels))
    try:
        method = IdentityMethod(req.identity_method)
    except ValueError:
        method = None
    if method in SELF_SERVICE_METHODS - {IdentityMethod.ID_NUMBER}:
        raise InvalidInput("IDENTITY_METHOD_NOT_ALLOWED", f"{req.identity_method} is a self-service check; record "
                           "how you checked the customer's identity")
    return applications.apply(app, dataclasses.replace(
        req, staff_ref=who.username, staff_role=who.role.value, scope=Scope.staff(who.brands)))


def approve(app: Simexit, who: StaffIdentity, application_no: str, note: str | None = None) -> dict[str, Any]:
    require(who, Permission.REVIEW)
    return applications.approve(app, application_no, staff_actor(who), note, scope=Scope.staff(who.brands))


def reject(app: Simexit, who: StaffIdentity, application_no: str, reasons: list[str],
           note: str | None = None) -> dict[str, Any]:
    require(who, Permission.REVIEW)
    return applications.reject(app, application_no, staff_actor(who), reasons, note,
                               scope=Scope.staff(who.brands))


def withdraw_on_behalf(app: Simexit, who: StaffIdentity, application_no: str, channel: str,
                       note: str | None = None) -> dict[str, Any]:
    require(who, Permission.APPLY_ON_BEHALF)
    if channel not in INTAKE_CHANNELS[who.role]:
        raise Forbidden("CHANNEL_NOT_ALLOWED_FOR_ROLE", f"a {who.role.value} acts on "
                        f"{', '.join(sorted(INTAKE_CHANNELS[who.role]))}", allowed=sorted(INTAKE_CHANNELS[who.role]))
    return applications.withdraw(app, application_no, staff_actor(who, channel), note, scope=Scope.staff(who.brands))


def staff_scope(who: StaffIdentity) -> Scope:
    require(who, Permission.VIEW_APPLICATIONS)
    return Scope.staff(who.brands)


def request_export_as_customer(app: Simexit, session: CustomerSession, msisdn: str | None = None) -> int:
    """A customer asks for an export of their data (needs the second factor); the worker builds it."""
    from simexit.services.access import queries as access
    from simexit.services.privacy import export

    _second_factor(app, session)
    numbers = access.customer_lines(app, session)
    if msisdn is None and numbers:
        msisdn = numbers[0]
    if not msisdn:
        raise NotFound("LINE_NOT_FOUND", "you have no line")
    return export.request_export(app, msisdn, scope=Scope.customer(session.customer_id))


def request_export_on_behalf(app: Simexit, who: StaffIdentity, msisdn: str) -> int:
    """An agent (or clerk, supervisor, admin) asks for a customer's export, within their brands."""
    from simexit.services.privacy import export

    require(who, Permission.APPLY_ON_BEHALF)
    return export.request_export(app, msisdn, requested_by=who.username, scope=Scope.staff(who.brands))
