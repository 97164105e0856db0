"""Who is calling a use case. A door (API, console, portal, CLI, worker) only *builds* a caller from its
credentials — a session cookie, a bearer token, a partner key, a CLI flag, the worker's own identity — and
passes it to ``services/<capability>/commands`` or ``queries``. Every use case checks the caller first, with
the functions below, and scopes its lookups by it: a resource outside the caller's reach is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from simexit.domain.access import Scope
from simexit.domain.errors import Forbidden
from simexit.domain.roles import Permission, Role, allowed


@dataclass(frozen=True)
class CustomerSession:
    """A customer signed in with a one-time code; ``second_factor_until`` when the ID tail was confirmed."""

    session_id: int
    customer_id: int
    msisdn: str
    expires_at: datetime
    second_factor_until: datetime | None

    def second_factor_valid(self, now: datetime) -> bool:
        return self.second_factor_until is not None and self.second_factor_until > now


@dataclass(frozen=True)
class StaffIdentity:
    """A member of staff: role and brands ("*" for all); ``session_id`` when signed in through a session."""

    id: int
    username: str
    display_name: str
    role: Role
    brands: tuple[str, ...]
    session_id: int | None = None

    def can(self, permission: Permission) -> bool:
        return allowed(self.role, permission)

    def sees_brand(self, brand: str) -> bool:
        return "*" in self.brands or brand in self.brands


@dataclass(frozen=True)
class Partner:
    """The holder of a partner API key (an SM-DP+ operator, a relying party), with the key's scopes."""

    id: int
    name: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class System:
    """simexit itself: the worker, timers, sweeps, and operators' commands run on the server."""

    name: str = "simexit"


@dataclass(frozen=True)
class Public:
    """Someone who has not signed in (the status look-up, the public cancellation entry), known by address."""

    client_address: str


Caller = CustomerSession | StaffIdentity | Partner | System | Public


def scope_of(caller: Caller) -> Scope | None:
    """The records the caller may see: a customer their own, staff their brands, the system everything."""
    if isinstance(caller, CustomerSession):
        return Scope.customer(caller.customer_id)
    if isinstance(caller, StaffIdentity):
        return Scope.staff(caller.brands)
    if isinstance(caller, System):
        return None
    raise Forbidden("CALLER_NOT_PERMITTED", "this use case is not open to this caller")


def require_staff(caller: Caller, permission: Permission | None = None) -> StaffIdentity:
    if not isinstance(caller, StaffIdentity):
        raise Forbidden("CALLER_NOT_PERMITTED", "staff only")
    if permission is not None and not caller.can(permission):
        raise Forbidden("ROLE_NOT_PERMITTED", f"the {caller.role.value} role may not {permission.value}")
    return caller


def require_customer(caller: Caller, now: datetime | None = None) -> CustomerSession:
    """The signed-in customer; with ``now``, the second factor must also be confirmed and still valid."""
    if not isinstance(caller, CustomerSession):
        raise Forbidden("CALLER_NOT_PERMITTED", "customers only")
    if now is not None and not caller.second_factor_valid(now):
        raise Forbidden("SECOND_FACTOR_REQUIRED",
                        "confirm the last 6 characters of your ID number first (valid for 10 minutes)")
    return caller


def require_operator(caller: Caller) -> Caller:
    """Staff accounts and partner keys: simexit's own operators (the CLI, on the server) or an admin."""
    if not isinstance(caller, System):
        require_staff(caller, Permission.MANAGE_STAFF)
    return caller


def require_public(caller: Caller) -> Public:
    """Sign-in and other entries for someone who is not signed in (known by address)."""
    if not isinstance(caller, Public):
        raise Forbidden("CALLER_NOT_PERMITTED", "this entry is for callers who have not signed in")
    return caller


def require_partner(caller: Caller, scope: str) -> Partner:
    if not isinstance(caller, Partner) or scope not in caller.scopes:
        raise Forbidden("CALLER_NOT_PERMITTED", f"partners with the {scope} scope only")
    return caller


def require_system(caller: Caller) -> System:
    if not isinstance(caller, System):
        raise Forbidden("CALLER_NOT_PERMITTED", "simexit's own processes only")
    return caller
