"""The REST API under /api/v1 (issue #3), the SM-DP+ ES2+ callback and the operations endpoints."""

from __future__ import annotations

from fastapi import FastAPI

from simexit.api import problems
from simexit.api.middleware import ApiMiddleware
from simexit.api.observability import configure_logging
from simexit.api.routes import customer, exports, ops, partner, public, receipts, relying, staff
from simexit.api.threads import Runner
from simexit.config import get_settings


def install(app: FastAPI) -> None:
    """Add the API's routes, error handlers and middleware to ``app``."""
    settings = get_settings()
    app.state.api_settings = settings
    app.state.api_runner = Runner(settings.api_threads)
    configure_logging()
    problems.install(app)
    for module in (customer, staff, public, partner, relying, exports, receipts, ops):
        app.include_router(module.router)
    app.add_middleware(ApiMiddleware, max_body=settings.api_max_body_bytes, log_requests=settings.log_requests)
