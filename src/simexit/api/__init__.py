"""The REST API under /api/v1 (issue #3), the SM-DP+ ES2+ callback and the operations endpoints."""

from __future__ import annotations

from fastapi import FastAPI

from simexit.api import problems
from simexit.api.bulk_jobs import BulkJobs
from simexit.api.middleware import ApiMiddleware
from simexit.api.observability import configure_logging
from simexit.api.routes import bulk_closures, camara, customer, exports, ops, partner, public, receipts, relying, staff
from simexit.api.threads import Runner
from simexit.config import get_settings


def install(app: FastAPI) -> None:
    """Add the API's routes, error handlers and middleware to ``app``."""
    settings = get_settings()
    app.state.api_settings = settings
    app.state.api_runner = Runner(settings.api_threads)
    app.state.bulk_jobs = BulkJobs()
    configure_logging()
    problems.install(app)
    for module in (customer, staff, bulk_closures, public, partner, relying, exports, receipts, ops):
        app.include_router(module.router)
    camara.mount(app)  # the CAMARA Number Recycling API, with its own OpenAPI document and error shape
    uploads = {bulk_closures.UPLOAD_PATH: (settings.api_bulk_max_bytes, settings.api_bulk_max_lines)}
    app.add_middleware(ApiMiddleware, max_body=settings.api_max_body_bytes, log_requests=settings.log_requests,
                       uploads=uploads, upload_dir=str(settings.bulk_upload_dir) if settings.bulk_upload_dir else None)
