"""The one mapping of HTTP calls to IntegrationError, for every client in ``integrations/``.

A transport failure is retryable (``TIMEOUT`` / ``UNREACHABLE``); a status is retryable when a later try
may get another answer (408, 425, 429 and 5xx) and a refusal otherwise. Each request takes a slot of its
system's gate (``integrations.limits``: calls in flight, rate); a 429 or 503 with ``Retry-After`` pauses the
system's gate for that long, a 429 (refused before any work was done) is sent again in place up to
``IN_PLACE_TRIES`` times, and the error of the last answer carries the wait for the next try's due time.
Each outside system names its codes once in an ``HttpErrors`` (the SMS gateway says ``SMS_TIMEOUT``, the
payment system ``PAYMENT_TIMEOUT``);
the defaults below serve the network and eSIM clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from simexit.integrations import limits
from simexit.integrations.errors import IntegrationError

RETRYABLE_STATUSES = frozenset({408, 425, 429})
BACKOFF_STATUSES = frozenset({429, 503})
IN_PLACE_TRIES = 3  # sends of one request answered 429 before the error goes up to the step's retry schedule
IN_PLACE_MAX_WAIT_S = 5.0  # a longer Retry-After is left to the step's retry schedule


def retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


@dataclass(frozen=True)
class HttpErrors:
    """The codes one outside system's errors get. ``server_error``/``client_error`` name the statuses that
    ``statuses`` does not; None gives ``HTTP_<status>``."""

    system: str
    timeout: str = "TIMEOUT"
    unreachable: str = "UNREACHABLE"
    bad_response: str = "BAD_RESPONSE"
    statuses: Mapping[int, str] = field(default_factory=lambda: {401: "UNAUTHORIZED", 403: "FORBIDDEN",
                                                                 404: "NOT_FOUND"})
    server_error: str | None = None
    client_error: str | None = None

    def transport(self, exc: httpx.TransportError, what: str) -> IntegrationError:
        if isinstance(exc, httpx.TimeoutException):
            return IntegrationError(self.system, self.timeout, f"{what} timed out", retryable=True)
        return IntegrationError(self.system, self.unreachable, f"{what}: {type(exc).__name__}", retryable=True)

    def status(self, resp: httpx.Response, detail: str | None = None) -> IntegrationError:
        s = resp.status_code
        code = self.statuses.get(s) or (self.server_error if s >= 500 else self.client_error) or f"HTTP_{s}"
        what = detail or f"{resp.request.method} {resp.request.url.path} → {s}"
        return IntegrationError(self.system, code, what, retryable=retryable_status(s),
                                retry_after=limits.retry_after_seconds(resp.headers.get("retry-after")))

    def bad(self, message: str) -> IntegrationError:
        return IntegrationError(self.system, self.bad_response, message, retryable=True)


_DEFAULTS: dict[str, HttpErrors] = {}


def errors_of(system: str | HttpErrors) -> HttpErrors:
    if isinstance(system, HttpErrors):
        return system
    return _DEFAULTS.setdefault(system, HttpErrors(system))


def request(client: httpx.Client, system: str | HttpErrors, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Send it within its system's limits; a timeout or refused connection (a failed TLS handshake included) is
    retryable. A 429 is sent again in place after the wait it asked for (the same request, the same key)."""
    errors = errors_of(system)
    gate = limits.gate(errors.system)
    if not url.startswith(("http://", "https://")):
        prefix = _base_of(client)
        if prefix is not None:
            url = prefix + url.lstrip("/")
    for attempt in range(1, IN_PLACE_TRIES + 1):
        with gate.slot():
            try:
                resp = client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                raise errors.transport(exc, f"{method} {_path(url)}") from exc
        if resp.status_code not in BACKOFF_STATUSES:
            return resp
        wait = limits.retry_after_seconds(resp.headers.get("retry-after"))
        if wait is not None:
            gate.pause(wait)  # every thread of this process holds off the system for that long
        if resp.status_code != 429 or attempt == IN_PLACE_TRIES or (wait or 0) > IN_PLACE_MAX_WAIT_S:
            return resp
        if wait is None:
            gate.pause(0.2 * 2 ** (attempt - 1))
    return resp


# Each client's base URL as a string, kept with the URL object it was made from (a client whose base URL is
# replaced gets a new one). httpx merges a relative path into ``base_url`` by copying the base URL with the new
# path, which parses the whole URL again (host, port, IPv4 octets) on every request: 4 % of the worker's GIL
# samples (py-spy, PostgreSQL quick). Joined here as httpx joins them (the base's path, which httpx ends with
# "/", then the path without its leading "/"), the URL is parsed once, as an absolute one.
# A base with a query or fragment (or none) is left to httpx.
_BASES: dict[int, tuple[httpx.URL, str | None]] = {}


def _base_of(client: httpx.Client) -> str | None:
    base = client.base_url
    kept = _BASES.get(id(client))
    if kept is not None and kept[0] is base:
        return kept[1]
    prefix = None
    if base.is_absolute_url and not base.query and not base.fragment:
        prefix = str(base) if str(base).endswith("/") else f"{base}/"
    if len(_BASES) > 1024:  # clients made per call (tests, CLI commands): the map never grows without bound
        _BASES.clear()
    _BASES[id(client)] = (base, prefix)
    return prefix


def raise_for_status(system: str | HttpErrors, resp: httpx.Response, *, ok: tuple[int, ...] = (200,),
                     detail: str | None = None) -> None:
    if resp.status_code not in ok:
        raise errors_of(system).status(resp, detail)


def json_body(system: str | HttpErrors, resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError as exc:
        raise errors_of(system).bad(f"{resp.request.url.path}: the body is not JSON") from exc


def _path(url: str) -> str:
    return httpx.URL(url).path
