"""What the TMF routes share: the partner (``tmf`` scope) from the X-Api-Key header, request bodies and paging
read by hand (so that every refusal is a TMF ``Error`` with a status the published document lists, never
FastAPI's 422), and errors rendered as TMF ``Error``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from simexit.api import auth
from simexit.api.auth import Credentials
from simexit.api.routes.common import wiring
from simexit.api.tmf import render
from simexit.domain.errors import DomainError, InvalidInput
from simexit.services.access.caller import Partner
from simexit.services.context import Simexit

M = TypeVar("M", bound=BaseModel)
# Statuses the published documents list for every implemented operation; any other refusal reads as 400.
LISTED = {400, 401, 403, 404, 405, 409}
JSON_TYPES = ("application/json", "application/merge-patch+json")


def bss(app: Simexit, creds: Credentials) -> Partner:
    return auth.partner(app, creds, "tmf")


def error_response(e: DomainError) -> JSONResponse:
    status = e.status if e.status in LISTED else 400
    headers = {"WWW-Authenticate": 'ApiKey header="X-Api-Key"'} if status == 401 else None
    return JSONResponse(render.error(status, e.code, e.message), status_code=status, headers=headers)


async def body(request: Request, model: type[M], types: tuple[str, ...] = ("application/json",)) -> M:
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype not in types:
        raise InvalidInput("UNSUPPORTED_MEDIA_TYPE", f"send {' or '.join(types)}")
    try:
        raw = await request.body()
    except HTTPException as e:  # the middleware's limit on a body sent without a length
        if e.status_code != 413:
            raise
        raise InvalidInput("BODY_TOO_LARGE", "the request body is too large") from None
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        raise InvalidInput("MALFORMED_JSON", "the request body is not valid JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as e:
        where = "; ".join(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors()[:5])
        raise InvalidInput("VALIDATION_FAILED", f"the request is not valid ({where})") from None


def page(request: Request) -> tuple[int, int]:
    def number(name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not raw.strip().isdigit() or len(raw.strip()) > 10:
            raise InvalidInput("PAGING_INVALID", f"{name} is a whole number")
        return int(raw)

    return max(1, min(number("limit", 100), 500)), number("offset", 0)


def fields(request: Request) -> str | None:
    return request.query_params.get("fields")


async def respond(request: Request, work: Callable[[Simexit], Any], status: int = 200) -> Response:
    """Run ``work(app)`` in the thread pool; it returns a JSON body, or (body, headers)."""
    app, run = wiring(request)
    try:
        result = await run(lambda: work(app))
    except DomainError as e:
        return error_response(e)
    if status == 204:
        return Response(status_code=204)
    headers = None
    if isinstance(result, tuple):
        result, headers = result
    return JSONResponse(result, status_code=status, headers=headers)

