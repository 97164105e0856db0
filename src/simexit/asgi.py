"""The HTTP application: the REST API (``simexit.api``) and the portal and console (``simexit.web``)
served by one FastAPI app, built by the composition root. ``simexit serve`` runs it on uvicorn."""

from __future__ import annotations

import sys

from fastapi import FastAPI

from simexit.bootstrap import InsecureSettings, refuse_insecure_settings, web_app
from simexit.config import get_settings
from simexit.services.context import Simexit


def create_app(ctx: Simexit | None = None) -> FastAPI:
    """The app; without ``ctx`` (a real start, e.g. ``uvicorn --factory simexit.asgi:create_app``) it refuses
    insecure settings with a message and exit code 2."""
    if ctx is None:
        try:
            refuse_insecure_settings(get_settings())
        except InsecureSettings as e:
            print(f"simexit: {e}", file=sys.stderr)
            raise SystemExit(2) from None
    return web_app(ctx)
