"""Who is calling: customer and staff sessions (cookie for browsers, bearer token for apps), partner keys.

Dependencies only read the credentials from the request (``async def``: FastAPI would run a plain ``def`` in a
thread of its own); the session is looked up inside the worker thread that runs the use case (one thread hop
per request).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from simexit.domain.errors import DomainError
from simexit.services.access import queries as access
from simexit.services.access.caller import CustomerSession, Partner, Public, StaffIdentity
from simexit.services.context import Simexit

CUSTOMER_COOKIE = "simexit_session"
STAFF_COOKIE = "simexit_staff"

_bearer = HTTPBearer(auto_error=False, description="a session token from sign-in")
_customer_cookie = APIKeyCookie(name=CUSTOMER_COOKIE, auto_error=False, description="customer session (browser)")
_staff_cookie = APIKeyCookie(name=STAFF_COOKIE, auto_error=False, description="staff session (browser)")
_partner_key = APIKeyHeader(name="X-Api-Key", auto_error=False, description="a partner API key")


class Unauthenticated(DomainError):
    status = 401


def _missing() -> Unauthenticated:
    return Unauthenticated("UNAUTHENTICATED", "sign in first (session cookie or bearer token)")


@dataclass(frozen=True)
class Credentials:
    token: str | None
    client: str


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def customer_credentials(request: Request, bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
                         cookie: str | None = Depends(_customer_cookie)) -> Credentials:
    return Credentials(bearer.credentials if bearer else cookie, _client(request))


async def staff_credentials(request: Request, bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
                      cookie: str | None = Depends(_staff_cookie)) -> Credentials:
    return Credentials(bearer.credentials if bearer else cookie, _client(request))


async def partner_credentials(request: Request, key: str | None = Depends(_partner_key)) -> Credentials:
    return Credentials(key, _client(request))


async def client_of(request: Request) -> Credentials:
    return Credentials(None, _client(request))


def public(creds: Credentials) -> Public:
    """Someone who has not signed in, known by address (sign-in, the public entries)."""
    return Public(creds.client)


def customer(app: Simexit, creds: Credentials) -> CustomerSession:
    """Inside the worker thread: the customer session, or 401."""
    if creds.token and len(creds.token) <= 128:
        session = access.customer_session(app, creds.token)
        if session is not None:
            return session
    raise _missing()


def staff(app: Simexit, creds: Credentials) -> StaffIdentity:
    if creds.token and len(creds.token) <= 128:
        who = access.staff_session(app, creds.token)
        if who is not None:
            return who
    raise _missing()


def partner(app: Simexit, creds: Credentials, scope: str) -> Partner:
    found = access.partner_for_key(app, creds.token, scope) if creds.token and len(creds.token) <= 128 else None
    if found is None:
        raise Unauthenticated("API_KEY_INVALID", f"a valid partner key with the {scope} scope is required "
                              "(X-Api-Key header)")
    return found
