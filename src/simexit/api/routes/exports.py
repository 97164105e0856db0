"""Data export (issue #6): a customer (signed in, second factor) or an agent on their behalf asks for an
export; the worker builds it (timer ``export_build``); the caller polls its state; the ZIP is downloaded
through the signed, expiring link (streamed from disk, never read whole into memory)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path as FsPath

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from simexit.api import auth, idempotency
from simexit.api.auth import Credentials
from simexit.api.idempotency import IdempotencyKey
from simexit.api.models import Body, Msisdn
from simexit.api.problems import COMMON, PROBLEM, Problem, from_domain, problem
from simexit.api.routes.common import answer, wiring
from simexit.domain.errors import DomainError
from simexit.services.access.caller import Public
from simexit.services.privacy import commands, queries
from simexit.services.privacy.export import DOWNLOAD_PATH
from simexit.services.privacy.views import ExportView

router = APIRouter(prefix="/api/v1", tags=["data export"], responses=COMMON)
ExportId = Path(ge=1, le=2**53, description="the export's id (random)")


class CustomerExportIn(Body):
    msisdn: str | None = Field(default=None, min_length=3, max_length=32,
                               description="one of my lines (default: my first line); the export covers the whole "
                                           "customer")


class StaffExportIn(Body):
    msisdn: str = Msisdn


class ExportOut(BaseModel):
    export_id: int
    state: str = Field(description="requested → building → ready (→ expired), or failed")
    size_bytes: int | None = None
    expires_at: datetime | None = None
    download_url: str | None = Field(default=None, description="the signed link (ready only)")
    counts: dict[str, int] | None = None


def download_url(token: str) -> str:
    return f"{DOWNLOAD_PATH}?t={token}"


def _out(view: ExportView) -> dict:
    ready = view.state == "ready" and view.download_token
    return {"export_id": view.export_id, "state": view.state, "size_bytes": view.size_bytes,
            "expires_at": view.expires_at.isoformat() if view.expires_at else None,
            "download_url": download_url(view.download_token) if ready else None,
            "counts": view.counts if ready else None}


@router.post("/me/exports", status_code=202, response_model=ExportOut,
             summary="Ask for an export of all my data (needs the second factor); poll it until ready")
async def my_export_request(request: Request, body: CustomerExportIn,
                            creds: Credentials = Depends(auth.customer_credentials),
                            idempotency_key: str | None = IdempotencyKey):
    app, run = wiring(request)

    def work():
        s = auth.customer(app, creds)

        def action():
            return 202, _out(commands.request_export(app, s, body.msisdn))

        return idempotency.run(app, principal=f"c:{s.customer_id}", key=idempotency_key,
                               route="POST /api/v1/me/exports", body=body, action=action)

    status, payload, replayed = await run(work)
    return answer(payload, status, replayed)


@router.get("/me/exports/{export_id}", response_model=ExportOut, summary="One of my exports: state and link")
async def my_export(request: Request, export_id: int = ExportId,
                    creds: Credentials = Depends(auth.customer_credentials)):
    app, run = wiring(request)

    def work():
        return _out(queries.export(app, auth.customer(app, creds), export_id))

    return answer(await run(work))


@router.post("/staff/exports", status_code=202, response_model=ExportOut,
             summary="Ask for a customer's export on their behalf (agent, store clerk, supervisor, admin)")
async def staff_export_request(request: Request, body: StaffExportIn,
                               creds: Credentials = Depends(auth.staff_credentials),
                               idempotency_key: str | None = IdempotencyKey):
    app, run = wiring(request)

    def work():
        who = auth.staff(app, creds)

        def action():
            return 202, _out(commands.request_export(app, who, body.msisdn))

        return idempotency.run(app, principal=f"s:{who.id}", key=idempotency_key,
                               route="POST /api/v1/staff/exports", body=body, action=action)

    status, payload, replayed = await run(work)
    return answer(payload, status, replayed)


@router.get("/staff/exports/{export_id}", response_model=ExportOut, summary="An export of a customer of my brands")
async def staff_export(request: Request, export_id: int = ExportId,
                       creds: Credentials = Depends(auth.staff_credentials)):
    app, run = wiring(request)

    def work():
        return _out(queries.export(app, auth.staff(app, creds), export_id))

    return answer(await run(work))


_GONE = {"description": "The link expired (EXPORT_EXPIRED) or the file is gone (EXPORT_GONE)",
         "content": {PROBLEM: {"schema": Problem.model_json_schema()}}}
_LIMITED = {"description": "More than 30 requests in 15 minutes from this address (RATE_LIMITED, Retry-After)",
            "content": {PROBLEM: {"schema": Problem.model_json_schema()}}}


@router.get(DOWNLOAD_PATH.removeprefix("/api/v1"), response_class=FileResponse,
            responses={200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "the ZIP, streamed"}, 410: _GONE, 429: _LIMITED},
            summary="Download an export through its signed, expiring link (no sign-in: the link is the key)")
async def download(request: Request,
                   t: str = Query(min_length=5, max_length=160,
                                  pattern=r"^[0-9]{1,16}\.[0-9]{1,12}(\.[0-9a-f]{1,64}){1,2}$",
                                  description="the signed token"),
                   client: Credentials = Depends(auth.client_of)):
    app, run = wiring(request)
    try:
        view = await run(queries.open_download, app, Public(client.client), t)
    except DomainError as e:
        if e.status == 429:
            return from_domain(e)
        if e.code == "EXPORT_TOKEN_INVALID":
            return problem(404, e.code, e.message)
        return problem(410, e.code, e.message)
    return FileResponse(FsPath(view.file_path or ""), media_type="application/zip",
                        filename=f"simexit-export-{view.export_id}.zip",
                        headers={"Cache-Control": "private, no-store"})
