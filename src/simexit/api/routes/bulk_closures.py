"""Staff routes: bulk closure from an uploaded CSV or JSON Lines file, its progress, results and approval."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from simexit.api import auth, idempotency
from simexit.api.auth import Credentials
from simexit.api.idempotency import IdempotencyKey
from simexit.api.middleware import UPLOAD_STATE
from simexit.api.problems import COMMON, responses
from simexit.api.routes.common import answer, wiring
from simexit.domain.errors import DomainError, InvalidInput
from simexit.services.bulk import commands as bulk_commands
from simexit.services.bulk import queries as bulk_queries

UPLOAD_PATH = "/api/v1/staff/bulk-closures"
FORMATS = {"text/csv": "csv", "application/x-ndjson": "jsonl"}
BatchId = PathParam(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$", description="B-…")
router = APIRouter(prefix="/api/v1/staff/bulk-closures", tags=["staff"], responses=COMMON)


class UnsupportedMediaType(DomainError):
    status = 415


class BulkProgressOut(BaseModel):
    batch_id: str
    state: Literal["running", "done"]
    file_name: str
    total: int
    done: int
    counts: dict[str, int] = Field(description="rows per outcome: applied, already_open, blocked, refused, invalid")
    created_at: str
    finished_at: str | None


class BulkResult(BaseModel):
    row: int = Field(description="the row's line number in the file")
    line: str | None = Field(description="the line as given (masked nowhere: the uploader's own file)")
    outcome: Literal["applied", "already_open", "blocked", "refused", "invalid"]
    application_no: str | None
    status: str | None
    codes: list[str]
    message: str | None


class BulkResultPage(BaseModel):
    items: list[BulkResult]
    next_after_row: int | None = Field(description="pass as after_row for the next page; null at the end")


class BulkApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    application_nos: list[str] | None = Field(None, max_length=10_000, description="only these (line by line); "
                                              "absent: every application of the batch waiting for review")
    note: str | None = Field(None, max_length=500)


class BulkRefusal(BaseModel):
    application_no: str
    code: str
    message: str


class BulkApproveOut(BaseModel):
    batch_id: str
    approved: int
    refused: list[BulkRefusal]


_UPLOAD_BODY = {"requestBody": {"required": True, "description": "the file: one line per row (CSV with a header "
                                "msisdn,iccid,effective_date,reason,note, or JSON Lines with the same members)",
                                "content": {t: {"schema": {"type": "string"}} for t in FORMATS}}}


def _location(batch_id: str) -> dict[str, str]:
    return {"Location": f"{UPLOAD_PATH}/{batch_id}"}


@router.post("", status_code=202, response_model=BulkProgressOut, openapi_extra=_UPLOAD_BODY,
             responses={**responses(415), 202: {"description": "accepted: the batch runs in the background "
                                                "(Location: its progress)", "headers": {"Location": {
                                                    "schema": {"type": "string"}, "description": "the progress"}}}},
             summary="Upload a file of lines to close (at most 16 MiB / 200,000 lines); the batch runs in the "
                     "background. The same file again resumes it.")
async def bulk_upload(request: Request, creds: Credentials = Depends(auth.staff_credentials),
                      channel: str = Query(..., max_length=8, pattern=r"^[a-z]+$",
                                           description="the role's intake channel (store, hotline, chat, mail)"),
                      identity_method: str = Query(..., max_length=32, pattern=r"^[a-z_]+$",
                                                   description="how the customers' identity was checked"),
                      confirm: list[str] | None = Query(None, max_length=50, description="consequence codes "
                                                        "confirmed (absent: every consequence was shown)"),
                      refund_method: str | None = Query(None, max_length=32, pattern=r"^[a-z_]+$"),
                      content_type: str | None = Header(None, include_in_schema=False),
                      idempotency_key: str | None = IdempotencyKey):
    app, run = wiring(request)
    spooled = getattr(request.state, UPLOAD_STATE, None)
    fmt = FORMATS.get((content_type or "").split(";")[0].strip().lower())

    def work():
        who = auth.staff(app, creds)
        opts = bulk_commands.intake_options(who, channel, identity_method, confirm=confirm,
                                            refund_method=refund_method)
        if fmt is None:
            raise UnsupportedMediaType("UNSUPPORTED_MEDIA_TYPE", "send the file as text/csv or application/x-ndjson")
        if spooled is None or os.path.getsize(spooled) == 0:
            raise InvalidInput("BULK_FILE_EMPTY", "the request body is the file; it is empty")
        body = {"sha256": bulk_queries.file_digest(Path(spooled)), "format": fmt, **opts.to_json()}

        def action():
            return 202, bulk_commands.start(app, who, Path(spooled), opts, fmt=fmt).to_dict()

        return idempotency.run(app, principal=f"s:{who.id}", key=idempotency_key, route=f"POST {UPLOAD_PATH}",
                               body=body, action=action)

    status, payload, replayed = await run(work)
    if payload["state"] != "done":
        kept = Path(f"{spooled}.{payload['batch_id']}")
        os.replace(spooled, kept)  # the middleware deletes what is left under the upload's own name
        request.app.state.bulk_jobs.start(app, payload["batch_id"], kept)
    response = answer(payload, status, replayed)
    response.headers.update(_location(payload["batch_id"]))
    return response


@router.get("/{batch_id}", response_model=BulkProgressOut, summary="A batch's progress (done/total, counts)")
async def bulk_progress(request: Request, batch_id: str = BatchId,
                        creds: Credentials = Depends(auth.staff_credentials)):
    app, run = wiring(request)
    return answer(await run(lambda: bulk_queries.progress(app, auth.staff(app, creds), batch_id).to_dict()))


@router.get("/{batch_id}/results", response_model=BulkResultPage,
            summary="A page of result rows in file order (pass next_after_row as after_row)")
async def bulk_results(request: Request, batch_id: str = BatchId,
                       creds: Credentials = Depends(auth.staff_credentials),
                       after_row: int = Query(0, ge=0, le=10**9), limit: int = Query(100, ge=1, le=1000)):
    app, run = wiring(request)
    items = await run(lambda: [r.to_dict() for r in bulk_queries.results(app, auth.staff(app, creds), batch_id,
                                                                         after_row=after_row, limit=limit)])
    return answer({"items": items, "next_after_row": items[-1]["row"] if len(items) == limit else None})


@router.post("/{batch_id}/approve", response_model=BulkApproveOut,
             summary="Approve the batch's applications waiting for review, or only the numbers given (reviewer, "
                     "supervisor, admin)")
async def bulk_approve(request: Request, body: BulkApproveIn, batch_id: str = BatchId,
                       creds: Credentials = Depends(auth.staff_credentials)):
    app, run = wiring(request)
    return answer(await run(lambda: bulk_commands.approve(app, auth.staff(app, creds), batch_id,
                                                          only=body.application_nos, note=body.note).to_dict()))
