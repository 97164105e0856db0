"""The customer portal and the staff console (issue #4): server-rendered Jinja2 + htmx (vendored:
static/vendor/htmx-2.0.11.min.js, from npm htmx.org@2.0.11, sha256
d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717), in zh-CN, English and German."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from simexit.domain.errors import Unavailable
from simexit.web import i18n


class _ChooseLocale:
    """Sets the request's language for the templates and messages. A plain ASGI middleware: Starlette's
    ``@app.middleware("http")`` wraps every request in a task group and memory streams, which cost more than
    many a request's own work."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loc, chosen = i18n.choose_locale(Request(scope))
        token, chosen_token = i18n.current_locale.set(loc), i18n.locale_chosen.set(chosen)
        try:
            await self.app(scope, receive, send)
        finally:
            i18n.current_locale.reset(token)
            i18n.locale_chosen.reset(chosen_token)


def install(app: FastAPI) -> None:
    """Add the portal's and the console's routes and static files to ``app``."""
    from simexit.web import console, portal, public
    app.mount("/static", StaticFiles(packages=[("simexit.web", "static")]), name="static")

    app.add_middleware(_ChooseLocale)

    app.include_router(public.router)
    app.include_router(portal.router)
    app.include_router(console.router)

    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from simexit.domain.errors import DomainError
    from simexit.store.database import OUTAGES
    from simexit.web import errors

    # Browsers get HTML error pages, API clients problem+json (simexit.web.errors.wants_problem).
    app.add_exception_handler(StarletteHTTPException, errors.on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, errors.on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, errors.on_domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(Unavailable, _on_unavailable)  # type: ignore[arg-type]
    for outage in OUTAGES:
        app.add_exception_handler(outage, errors.on_outage)
    app.add_exception_handler(Exception, errors.on_unexpected)


async def _on_unavailable(request: Request, exc: Unavailable) -> Response:
    """A system simexit needs does not answer (FACTS_UNAVAILABLE: the operator's BSS): nothing was decided."""
    from simexit.api.problems import from_domain
    from simexit.web import errors
    from simexit.web.i18n import _

    if request.url.path.startswith("/api/"):  # the pages answer in HTML whatever the client accepts
        return from_domain(exc)
    message = _("We cannot check your line right now: the operator's systems do not answer. Nothing was "
                "decided. Please try again in a few minutes.")
    return errors.error_page(request, 503, message, {"Retry-After": str(exc.data.get("retry_after", 30))})
