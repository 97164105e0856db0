"""Error pages for browsers; application/problem+json for API clients.

A request gets problem+json when it is an API call (``/api/``, ``/gsma/``, the operations paths) or does not
accept HTML (``Accept: application/json``, scripts). A browser (``Accept: text/html…``, or htmx) gets an HTML page
in its language, with the brand and a way back (the step's start page, or the start). GET on a step that only
takes POST (a bookmarked quote, a language switch or Back after a form) leads to the step's start."""

from __future__ import annotations

import re

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from simexit.api import problems
from simexit.domain.errors import DomainError
from simexit.web.i18n import _

API_PREFIXES = ("/api/", "/gsma/", "/partner/")
API_PATHS = ("/healthz", "/readyz", "/metrics", "/openapi.json")
# A step that only takes POST → the page its visitor starts it from.
_STEP_STARTS = ((re.compile(r"^/lines/(\d+)/(quote|confirm|submit)/?$"), r"/lines/\1/close"),
                (re.compile(r"^/sign-in(/code)?/?$"), "/"), (re.compile(r"^/sign-out/?$"), "/"),
                (re.compile(r"^/cancel/confirm/?$"), "/cancel"),
                (re.compile(r"^/console/applications/([^/]+)/(decide|retry|confirm-state)/?$"),
                 r"/console/applications/\1"),
                (re.compile(r"^/console/sign-out/?$"), "/console"))


def wants_problem(request: Request) -> bool:
    path = request.url.path
    if path.startswith(API_PREFIXES) or path in API_PATHS:
        return True
    if request.headers.get("hx-request") == "true":
        return False
    return "text/html" not in (request.headers.get("accept") or "").lower()  # browsers navigate with text/html


def _has_get(request: Request, path: str) -> bool:
    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)


def start_of(request: Request, path: str) -> str:
    """Where to go instead of ``path`` when it cannot be opened with GET: the step's start page, else the nearest
    page above it, else the start."""
    for pattern, start in _STEP_STARTS:
        if pattern.match(path):
            return pattern.sub(start, path)
    if _has_get(request, path):
        return path
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        candidate = "/".join(parts) or "/"
        if _has_get(request, candidate):
            return candidate
    return "/console" if path.startswith("/console") else "/"


def _texts(status: int) -> tuple[str, str]:
    if status == 404:
        return _("Page not found"), _("There is no page at this address. It may have moved, or the link is "
                                      "incomplete.")
    if status == 405:
        return _("This step cannot be opened directly"), _("This page shows the answer to a form. Please start "
                                                           "the step again from its first page.")
    if status == 403:
        return _("Not allowed"), _("You may not open this page.")
    if status == 429:
        return _("Too many requests"), _("Too many requests. Please wait and try again.")
    if status == 503:
        return _("Please try again shortly"), _("The service is briefly unavailable. Please try again in a few "
                                                "minutes.")
    if status >= 500:
        return _("Something went wrong"), _("Something went wrong on our side. Please try again in a few "
                                            "minutes.")
    return _("Something went wrong"), _("This request could not be completed.")


def error_page(request: Request, status: int, message: str | None = None,
               headers: dict[str, str] | None = None) -> Response:
    from simexit.web.rendering import render

    title, default = _texts(status)
    back = start_of(request, request.url.path)
    if back == request.url.path and status in (404, 405):
        back = "/console" if back.startswith("/console") else "/"
    response = render(request, "error.html", status_code=status, title=title, message=message or default,
                      back=back, request_id=_request_id())
    for k, v in (headers or {}).items():
        if k.lower() in ("allow", "retry-after"):
            response.headers[k] = v
    response.headers["Cache-Control"] = "no-store"
    return response


def _request_id() -> str | None:
    from simexit.api.context import request_id_var

    return request_id_var.get()


async def on_http_error(request: Request, exc: HTTPException) -> Response:
    if wants_problem(request):
        return problems.http_problem(request, exc)
    if exc.status_code in (301, 302, 303, 307, 308) and exc.headers:
        return Response(status_code=exc.status_code, headers=exc.headers)
    # Messages that simexit's pages raise are already sentences in the reader's language; the framework's own
    # ("Not Found", "Method Not Allowed") are replaced by ours.
    own = isinstance(exc.detail, str) and exc.detail and exc.detail not in (
        "Not Found", "Method Not Allowed", "Forbidden", "Bad Request", "Internal Server Error")
    if exc.status_code == 403 and exc.detail == "the form expired; reload the page and try again":
        return error_page(request, 403, _("The form expired. Please go back, reload the page and try again."))
    if exc.status_code == 413:
        return error_page(request, 413, _("What you sent is too large."))
    return error_page(request, exc.status_code, str(exc.detail) if own else None, dict(exc.headers or {}))


async def on_validation_error(request: Request, exc: RequestValidationError) -> Response:
    if wants_problem(request):
        return problems._validation(request, exc)
    return error_page(request, 404 if request.method == "GET" else 400)


async def on_domain_error(request: Request, exc: DomainError) -> Response:
    if wants_problem(request):
        return problems.from_domain(exc)
    from simexit.web.labels import error_text

    return error_page(request, exc.status if 400 <= exc.status < 600 else 400, error_text(exc))


async def on_unexpected(request: Request, exc: Exception) -> Response:
    response = problems._unexpected(request, exc)  # logs it
    if wants_problem(request):
        return response
    return error_page(request, 500)


async def on_outage(request: Request, exc: Exception) -> Response:
    response = problems._outage(request, exc)  # logs it
    if wants_problem(request):
        return response
    return error_page(request, 503, _("The service is briefly unavailable. Please try again in a few minutes."),
                      {"Retry-After": str(problems.OUTAGE_RETRY_AFTER_SECONDS)})
