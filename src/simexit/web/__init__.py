"""The customer portal and the staff console (issue #4)."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Add the portal's and the console's routes and static files to ``app``."""
