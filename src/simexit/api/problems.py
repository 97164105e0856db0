"""Errors as ``application/problem+json`` (RFC 9457) with the stable codes of simexit.domain.errors."""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from simexit.api.context import request_id_var
from simexit.domain.errors import DomainError
from simexit.store.database import OUTAGES

log = logging.getLogger("simexit.api")
PROBLEM = "application/problem+json"
# The problem's own members. Error data with one of these names (TRANSITION_NOT_ALLOWED carries the application's
# ``status``) is rendered under ``data`` instead: spreading it into the call once gave every refusal a 500.
_RESERVED = {"type", "title", "status", "detail", "code", "instance", "request_id", "data"}
_HTTP_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 406: "NOT_ACCEPTABLE", 413: "BODY_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
               429: "RATE_LIMITED"}


class Problem(BaseModel):
    """An error. ``code`` is stable (see the README); other members (e.g. ``findings``) depend on it."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="urn:simexit:problem:<code>")
    title: str
    status: int
    detail: str
    code: str
    request_id: str | None = None


def _safe(value: Any) -> Any:
    """``value`` as plain JSON: dates as ISO text, sets sorted, enums by value, anything else as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return _safe(value.value)
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _safe(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((_safe(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [_safe(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    return _safe(to_dict()) if callable(to_dict) else str(value)


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None,
            data: dict[str, Any] | None = None, **members: Any) -> JSONResponse:
    """A problem+json answer; ``data`` (and ``members``) may hold anything, with any names."""
    body: dict[str, Any] = {"type": f"urn:simexit:problem:{code.lower()}", "title": code.replace("_", " ").capitalize(),
                            "status": status, "detail": detail, "code": code, "request_id": request_id_var.get()}
    extra = {**(data or {}), **members}
    body.update({k: _safe(v) for k, v in extra.items() if k not in _RESERVED})
    clashing = {k: _safe(v) for k, v in extra.items() if k in _RESERVED}
    if clashing:
        body["data"] = clashing
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def from_domain(e: DomainError) -> JSONResponse:
    headers = {"Retry-After": str(e.data["retry_after"])} if "retry_after" in e.data else None
    if e.status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return problem(e.status, e.code, e.message, headers, e.data)


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        return problem(400, "MALFORMED_JSON", "the request body is not valid JSON")
    # Never echo the input back: it may hold phone or ID numbers.
    cleaned = [{"loc": [str(x) for x in err.get("loc", ())], "msg": str(err.get("msg", "")),
                "type": str(err.get("type", ""))} for err in errors]
    return problem(422, "VALIDATION_FAILED", "the request is not valid", errors=cleaned)


def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else code
    return problem(exc.status_code, code, detail, dict(exc.headers) if exc.headers else None)


# Seconds a client waits before trying again when the database does not answer (a restart or fail-over).
OUTAGE_RETRY_AFTER_SECONDS = 5


def _outage(request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable: %s", type(exc).__name__, exc_info=exc)
    return problem(503, "DATABASE_UNAVAILABLE", "the database does not answer; try again shortly",
                   {"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)}, retry_after=OUTAGE_RETRY_AFTER_SECONDS)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return problem(500, "INTERNAL_ERROR", "something went wrong on our side; the request id identifies it")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, lambda r, e: from_domain(e))  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_problem)  # type: ignore[arg-type]
    for outage in OUTAGES:
        app.add_exception_handler(outage, _outage)
    app.add_exception_handler(Exception, _unexpected)


def _content() -> dict[str, Any]:
    return {PROBLEM: {"schema": Problem.model_json_schema()}}


_DESCRIPTIONS = {400: "Malformed JSON (MALFORMED_JSON) or request", 401: "Not signed in, or sign-in failed",
                 403: "Signed in, but the role or session may not do this (e.g. SECOND_FACTOR_REQUIRED)",
                 404: "Not found, or not yours (the same answer)", 409: "Conflicts with the current state",
                 413: "Request body too large", 415: "Unsupported media type (send text/csv or application/x-ndjson)",
                 422: "Validation failed or the request was refused (stable code)",
                 429: "Too many attempts (Retry-After)",
                 503: "Not ready (NOT_READY), or the database does not answer (DATABASE_UNAVAILABLE, Retry-After)"}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: {"description": _DESCRIPTIONS[c], "content": _content()} for c in codes}


COMMON = responses(400, 401, 403, 404, 409, 413, 422, 429)
