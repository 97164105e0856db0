"""Operations: liveness, readiness (the database answers) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from simexit.api.models import Health
from simexit.api.observability import exposition
from simexit.api.problems import problem, responses
from simexit.api.routes.common import answer, wiring
from simexit.services.reports import work_waiting_for_a_person
from simexit.store.database import OUTAGES

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz():
    return answer({"status": "ok"})


@router.get("/readyz", response_model=Health, responses=responses(503), summary="The database answers")
async def readyz(request: Request):
    app, run = wiring(request)
    try:
        await run(app.db.ping)
    except Exception:
        return problem(503, "NOT_READY", "the database does not answer")
    return answer({"status": "ok"})


@router.get("/metrics", response_class=Response, summary="Prometheus metrics",
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
async def metrics(request: Request):
    app, run = wiring(request)
    try:
        attention, dead = await run(work_waiting_for_a_person, app)
    except OUTAGES:
        body = exposition(False, {}, {})
    else:
        body = exposition(True, attention, dead)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
