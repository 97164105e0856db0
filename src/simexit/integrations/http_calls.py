"""One HTTP call to an outside system, with transport failures and HTTP statuses mapped to IntegrationError."""

from __future__ import annotations

from typing import Any

import httpx

from simexit.integrations.errors import IntegrationError

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def request(client: httpx.Client, system: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Send it; a timeout or refused connection is a retryable ``UNREACHABLE``/``TIMEOUT``."""
    try:
        return client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise IntegrationError(system, "TIMEOUT", f"{method} {_path(url)} timed out", retryable=True) from exc
    except httpx.TransportError as exc:
        raise IntegrationError(system, "UNREACHABLE", f"{method} {_path(url)}: {type(exc).__name__}",
                               retryable=True) from exc


def raise_for_status(system: str, resp: httpx.Response, *, ok: tuple[int, ...] = (200,)) -> None:
    if resp.status_code in ok:
        return
    code = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND"}.get(resp.status_code, f"HTTP_{resp.status_code}")
    raise IntegrationError(system, code, f"{resp.request.method} {resp.request.url.path} → {resp.status_code}",
                           retryable=resp.status_code in RETRYABLE_STATUSES)


def json_body(system: str, resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError as exc:
        raise IntegrationError(system, "BAD_RESPONSE", f"{resp.request.url.path}: the body is not JSON",
                               retryable=True) from exc


def _path(url: str) -> str:
    return httpx.URL(url).path
