"""Who is calling: customer and staff sessions (cookie for browsers, bearer token for apps), partner keys.

Dependencies only read the credentials from the request (``async def``: FastAPI would run a plain ``def`` in a
thread of its own); the session is looked up inside the worker thread that runs the use case (one thread hop
per request).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from simexit.domain.errors import DomainError
from simexit.integrations.tls import dn_key, fingerprint, normalize_fingerprint, peer_certificate
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
    certificate: tuple[str, ...] = ()  # a verified client certificate's names: fingerprints, subject


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def customer_credentials(request: Request, bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
                         cookie: str | None = Depends(_customer_cookie)) -> Credentials:
    return Credentials(bearer.credentials if bearer else cookie, _client(request))


async def staff_credentials(request: Request, bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
                      cookie: str | None = Depends(_staff_cookie)) -> Credentials:
    return Credentials(bearer.credentials if bearer else cookie, _client(request))


async def partner_credentials(request: Request, key: str | None = Depends(_partner_key)) -> Credentials:
    """The API key and/or the verified client certificate: from the TLS connection when simexit terminates
    TLS itself, or from a trusted proxy's header. ES2+ peers send no header credential (PROTOCOLS.md §A)."""
    settings = request.app.state.api_settings
    names: tuple[str, ...] = ()
    peer = peer_certificate(request.scope)
    if peer is not None:
        der, subject = peer
        names = (fingerprint(der), hashlib.sha1(der).hexdigest(), *((subject,) if subject else ()))
    elif settings.trusted_proxies and _client(request) in settings.trusted_proxies:
        value = request.headers.get(settings.client_cert_header, "").strip()
        if value and len(value) <= 1024:
            names = (normalize_fingerprint(value), value)
    return Credentials(key if settings.partner_api_key_allowed else None, _client(request), names)


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


def partner(app: Simexit, creds: Credentials, scope: str, certificates: dict[str, str] | None = None) -> Partner:
    """The partner of a verified client certificate named in ``certificates`` (fingerprint or subject →
    partner name), else of the API key; 401 otherwise."""
    found = None
    if creds.certificate and certificates:
        mapped = {normalize_fingerprint(k) if _hexlike(k) else dn_key(k): v for k, v in certificates.items()}
        name = next((mapped[k] for k in (dn_key(n) for n in creds.certificate) if k in mapped), None)
        found = access.partner_by_name(app, name, scope) if name else None
    if found is None and creds.token and len(creds.token) <= 128:
        found = access.partner_for_key(app, creds.token, scope)
    if found is None:
        raise Unauthenticated("API_KEY_INVALID", f"a valid partner key with the {scope} scope is required "
                              "(X-Api-Key header) or a client certificate mapped to such a partner")
    return found


def _hexlike(value: str) -> bool:
    v = normalize_fingerprint(value)
    return len(v) in (40, 64) and all(c in "0123456789abcdef" for c in v)
