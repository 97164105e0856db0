"""Per-request values shared by the middleware, the error handlers and the logs."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("simexit_request_id", default=None)
