"""The CAMARA Number Recycling API, as published (the project's current text of ``number-recycling.yaml``,
``info.version`` ``wip``; kept in ``api/specs/``): ``POST /number-recycling/v<version>/check`` with
``phoneNumber`` and ``specifiedDate`` → ``phoneNumberRecycled``.

It is a separate ASGI application mounted at ``/number-recycling/v<version>`` (``vwip`` for the current
text), so that its errors have CAMARA's shape (``{"status", "code", "message"}``, not problem+json) and its
OpenAPI document is served on its own at ``/number-recycling/v<version>/openapi.json``: the published
file's paths, schemas and error codes, with the ``CAMARA_common.yaml`` parts it names written out (phone
number, error, x-correlator) and its OpenID security replaced by simexit's partner keys (``Authorization:
Bearer <partner key>`` or ``X-Api-Key``) with the ``number_recycling`` scope. Two-legged use only: the
number is always given in ``phoneNumber`` (a missing one is ``422 MISSING_IDENTIFIER``).
"""

from __future__ import annotations

import copy
import re
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from simexit.domain.errors import DomainError, Forbidden, InvalidInput, NotFound
from simexit.services.access import queries as access
from simexit.services.numbers import recycling

SPEC_FILE = "camara-number-recycling.yaml"
COMMON = "../common/CAMARA_common.yaml#/components/"
PHONE = re.compile(r"^\+[1-9][0-9]{4,14}$")
CORRELATOR = re.compile(r"^[a-zA-Z0-9-_:;.\/<>{}]{0,256}$")
FIELDS = {"phoneNumber", "specifiedDate"}

# The parts of CAMARA_common.yaml the file refers to, as CAMARA Commonalities defines them.
COMMON_PARTS: dict[str, dict[str, Any]] = {
    "parameters/x-correlator": {
        "name": "x-correlator", "in": "header", "description": "Correlation id for the different services",
        "schema": {"$ref": "#/components/schemas/XCorrelator"}},
    "headers/x-correlator": {"description": "Correlation id for the different services",
                             "schema": {"$ref": "#/components/schemas/XCorrelator"}},
    "schemas/XCorrelator": {"type": "string", "pattern": CORRELATOR.pattern, "example": "b4333c46-49c0-4f62-80d7"},
    "schemas/PhoneNumber": {
        "description": "A public identifier addressing a telephone subscription, in E.164 format with a '+'",
        "type": "string", "pattern": PHONE.pattern, "example": "+123456789"},
    "schemas/ErrorInfo": {
        "type": "object", "required": ["status", "code", "message"],
        "properties": {"status": {"type": "integer", "description": "HTTP response status code"},
                       "code": {"type": "string", "description": "A human-readable code to describe the error"},
                       "message": {"type": "string", "description": "A human-readable description of the error"}}},
}
SECURITY = {"partnerKey": {"type": "http", "scheme": "bearer",
                           "description": "a simexit partner key with the number_recycling scope"}}


def published() -> dict[str, Any]:
    """The published file as it is."""
    return yaml.safe_load(resources.files("simexit.api.specs").joinpath(SPEC_FILE).read_text(encoding="utf-8"))


def version() -> str:
    return "v" + str(published()["info"]["version"])


def _resolve(node: Any) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(COMMON):
            kind, _, name = ref[len(COMMON):].partition("/")
            return {"$ref": f"#/components/{kind}/{name}"}
        return {k: _resolve(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v) for v in node]
    return node


@cache
def served_document() -> dict[str, Any]:
    """The document served at ``…/openapi.json``: the file's paths, schemas and error codes."""
    doc = _resolve(copy.deepcopy(published()))
    comps = doc.setdefault("components", {})
    for key, part in COMMON_PARTS.items():
        kind, _, name = key.partition("/")
        comps.setdefault(kind, {}).setdefault(name, copy.deepcopy(part))
    comps["securitySchemes"] = copy.deepcopy(SECURITY)
    for item in doc["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "security" in op:
                op["security"] = [{"partnerKey": []}]
    doc["servers"] = [{"url": f"/number-recycling/{version()}"}]
    return doc


class CamaraError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str, correlator: str | None) -> JSONResponse:
    headers = {"x-correlator": correlator} if correlator else None
    return JSONResponse({"status": status, "code": code, "message": message}, status_code=status, headers=headers)


def _correlator(request: Request) -> str | None:
    value = request.headers.get("x-correlator")
    return value if value is not None and CORRELATOR.match(value) else None


def _partner(request: Request, simexit: Any) -> Any:
    auth = request.headers.get("authorization", "")
    key = auth[7:].strip() if auth[:7].lower() == "bearer " else request.headers.get("x-api-key")
    if not key or len(key) > 128:
        raise CamaraError(401, "UNAUTHENTICATED", "Request not authenticated due to missing, invalid, or expired "
                          "credentials. A new authentication is required.")
    partner = access.partner_for_key(simexit, key, recycling.SCOPE)
    if partner is None:
        if any(access.partner_for_key(simexit, key, s) for s in ("smdp", "relying_party")):
            raise CamaraError(403, "PERMISSION_DENIED", "Client does not have sufficient permissions to perform "
                              "this action")
        raise CamaraError(401, "UNAUTHENTICATED", "Request not authenticated due to missing, invalid, or expired "
                          "credentials. A new authentication is required.")
    return partner


def _body(raw: Any) -> tuple[str, date]:
    invalid = CamaraError(400, "INVALID_ARGUMENT", "Client specified an invalid argument, request body or query "
                          "param.")
    if not isinstance(raw, dict) or set(raw) - FIELDS:
        raise invalid
    day, number = raw.get("specifiedDate"), raw.get("phoneNumber")
    if not isinstance(day, str) or len(day) > 64 or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        raise invalid
    try:
        specified = date.fromisoformat(day)
    except ValueError:
        raise invalid from None
    if number is None:
        raise CamaraError(422, "MISSING_IDENTIFIER", "The phone number cannot be identified")
    if not isinstance(number, str) or not PHONE.match(number):
        raise invalid
    return number, specified


def create(parent: FastAPI) -> FastAPI:
    """The CAMARA application; it reads simexit's wiring from ``parent`` on each call."""
    api = FastAPI(title="Number Recycling", openapi_url=None, docs_url=None, redoc_url=None)

    @api.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        return JSONResponse(served_document())

    @api.post("/check", include_in_schema=False)
    async def check(request: Request) -> JSONResponse:
        correlator = _correlator(request)
        if request.headers.get("x-correlator") is not None and correlator is None:
            return _error(400, "INVALID_ARGUMENT", "Client specified an invalid argument, request body or query "
                          "param.", None)
        simexit, run = parent.state.simexit, parent.state.api_runner
        try:
            try:
                raw = await request.json()
            except ValueError:
                raise CamaraError(400, "INVALID_ARGUMENT", "Client specified an invalid argument, request body "
                                  "or query param.") from None
            number, specified = _body(raw)

            def work() -> bool:
                return recycling.check(simexit, _partner(request, simexit), number, specified)

            recycled = await run(work)
        except CamaraError as e:
            return _error(e.status, e.code, e.message, correlator)
        except NotFound as e:
            return _error(404, "IDENTIFIER_NOT_FOUND", "Phone number not found.", correlator) if \
                e.code == "IDENTIFIER_NOT_FOUND" else _error(404, "IDENTIFIER_NOT_FOUND", str(e), correlator)
        except Forbidden:
            return _error(403, "PERMISSION_DENIED", "Client does not have sufficient permissions to perform this "
                          "action", correlator)
        except InvalidInput as e:
            if e.code == "OUT_OF_RANGE":
                return _error(400, "OUT_OF_RANGE", e.message, correlator)
            return _error(400, "INVALID_ARGUMENT", e.message, correlator)
        except DomainError as e:
            return _error(422, "SERVICE_NOT_APPLICABLE", e.message, correlator)
        headers = {"x-correlator": correlator} if correlator else None
        return JSONResponse({"phoneNumberRecycled": recycled}, headers=headers)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "INVALID_ARGUMENT")
        return _error(exc.status_code, code, str(exc.detail), None)

    return api


def mount(app: FastAPI) -> None:
    app.mount(f"/number-recycling/{version()}", create(app))
