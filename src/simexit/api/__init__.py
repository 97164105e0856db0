"""The REST API under /api/v1 (issue #3)."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Add the API's routes, error handlers and middleware to ``app``."""
