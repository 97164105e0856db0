"""The HTTP application: the REST API (``simexit.api``) and the portal and console (``simexit.web``)
served by one FastAPI app. ``simexit serve`` runs it on uvicorn."""

from __future__ import annotations

from fastapi import FastAPI

from simexit import __version__
from simexit.services.context import Simexit, bootstrap


def create_app(ctx: Simexit | None = None) -> FastAPI:
    simexit = ctx or bootstrap()
    app = FastAPI(title="simexit", version=__version__, openapi_url="/openapi.json", docs_url="/api/docs",
                  redoc_url=None)
    app.state.simexit = simexit
    from simexit.api import install as install_api
    from simexit.web import install as install_web

    install_api(app)
    install_web(app)
    return app
