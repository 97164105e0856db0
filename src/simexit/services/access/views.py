"""What the access use cases give the doors: frozen dataclasses with ``to_dict()``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simexit.services.access.caller import CustomerSession, StaffIdentity


@dataclass(frozen=True)
class CodeSent:
    """The answer to "send me a code": the same whether or not the number is a customer's."""

    expires_in_seconds: int

    def to_dict(self) -> dict[str, Any]:
        return {"status": "code_sent_if_the_number_is_a_customers", "expires_in_seconds": self.expires_in_seconds}


@dataclass(frozen=True)
class CustomerSignIn:
    """A new customer session; the token is shown once (a cookie or a bearer token)."""

    token: str
    session: CustomerSession
    max_age_seconds: int


@dataclass(frozen=True)
class StaffSignIn:
    """A new staff session; the token is shown once."""

    token: str
    identity: StaffIdentity
    max_age_seconds: int


@dataclass(frozen=True)
class StaffAccount:
    username: str
    display_name: str
    role: str
    brands: list[str]
    active: bool
    totp: bool

    def to_dict(self) -> dict[str, Any]:
        return {"username": self.username, "display_name": self.display_name, "role": self.role,
                "brands": list(self.brands), "active": self.active, "totp": self.totp}


@dataclass(frozen=True)
class NewStaffAccount:
    username: str
    totp_secret: str | None  # to enrol an authenticator app; shown once


@dataclass(frozen=True)
class PartnerKey:
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "prefix": self.prefix, "scopes": list(self.scopes),
                "created_at": self.created_at, "revoked_at": self.revoked_at}


@dataclass(frozen=True)
class NewPartnerKey:
    prefix: str
    key: str  # the whole key: not stored, shown once
