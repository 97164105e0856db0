"""The customer portal and the staff console (issue #4): server-rendered Jinja2 + htmx (vendored:
static/vendor/htmx-2.0.11.min.js, from npm htmx.org@2.0.11, sha256
d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717), in zh-CN and English."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
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
        token = i18n.current_locale.set(i18n.pick_locale(Request(scope)))
        try:
            await self.app(scope, receive, send)
        finally:
            i18n.current_locale.reset(token)


def install(app: FastAPI) -> None:
    """Add the portal's and the console's routes and static files to ``app``."""
    from simexit.web import console, portal, public
    from simexit.web.rendering import render

    app.mount("/static", StaticFiles(packages=[("simexit.web", "static")]), name="static")

    app.add_middleware(_ChooseLocale)

    app.include_router(public.router)
    app.include_router(portal.router)
    app.include_router(console.router)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        path = request.url.path
        if path.startswith(("/api/", "/gsma/")) or path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
            from simexit.api.problems import http_problem

            return http_problem(request, exc)  # the API answers in application/problem+json
        if exc.status_code in (303, 302) and exc.headers:
            return Response(status_code=exc.status_code, headers=exc.headers)
        return render(request, "error.html", status_code=exc.status_code, message=str(exc.detail))

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, exc: Unavailable) -> Response:
        """A system simexit needs does not answer (FACTS_UNAVAILABLE: the operator's BSS): nothing was decided."""
        if request.url.path.startswith("/api/"):
            from simexit.api.problems import from_domain

            return from_domain(exc)
        from simexit.web.i18n import _

        message = _("We cannot check your line right now: the operator's systems do not answer. Nothing was "
                    "decided. Please try again in a few minutes.")
        r = render(request, "error.html", status_code=503, message=message)
        r.headers["Retry-After"] = str(exc.data.get("retry_after", 30))
        return r

