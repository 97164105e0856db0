"""Who may ask for a customer's data export (moved out of closure's former ``acting`` module; the privacy
capability may fold it into its own commands): the customer with the second factor, or staff who may apply on a
customer's behalf, within their brands."""

from __future__ import annotations

from simexit.domain.access import Scope
from simexit.domain.errors import NotFound
from simexit.domain.roles import Permission
from simexit.services.access import queries as access
from simexit.services.access.caller import Caller, require_customer, require_staff
from simexit.services.context import Simexit
from simexit.services.privacy import export


def request_export_as_customer(app: Simexit, caller: Caller, msisdn: str | None = None) -> int:
    """A customer asks for an export of their data (needs the second factor); the worker builds it."""
    session = require_customer(caller, app.clock.now())
    numbers = access.customer_lines(app, session)
    if msisdn is None and numbers:
        msisdn = numbers[0]
    if not msisdn:
        raise NotFound("LINE_NOT_FOUND", "you have no line")
    return export.request_export(app, msisdn, scope=Scope.customer(session.customer_id))


def request_export_on_behalf(app: Simexit, caller: Caller, msisdn: str) -> int:
    """An agent (or clerk, supervisor, admin) asks for a customer's export, within their brands."""
    who = require_staff(caller, Permission.APPLY_ON_BEHALF)
    return export.request_export(app, msisdn, requested_by=who.username, scope=Scope.staff(who.brands))


def staff_scope(caller: Caller) -> Scope:
    """The exports a member of staff may read: their brands' (staff who may view applications)."""
    who = require_staff(caller, Permission.VIEW_APPLICATIONS)
    return Scope.staff(who.brands)
