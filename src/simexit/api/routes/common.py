"""What every route module shares: the wiring, the thread runner and JSON answers."""

from __future__ import annotations

from typing import Any

from fastapi import Path, Request
from fastapi.responses import JSONResponse

from simexit.api.threads import Runner
from simexit.services.context import Simexit

ApplicationNo = Path(min_length=1, max_length=20, description="SX-XXXX-XXXX-C")


def wiring(request: Request) -> tuple[Simexit, Runner]:
    return request.app.state.simexit, request.app.state.api_runner


def answer(payload: Any, status: int = 200, replayed: bool = False) -> JSONResponse:
    return JSONResponse(payload, status_code=status, headers={"Idempotency-Replayed": "true"} if replayed else None)


def api_settings(request: Request) -> Any:
    return request.app.state.api_settings
