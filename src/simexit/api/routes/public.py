"""Routes without sign-in: the public cancellation entry and the application status look-up."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import APIRouter, Depends, Path, Request

from simexit.api import auth, idempotency
from simexit.api.auth import Credentials
from simexit.api.idempotency import IdempotencyKey
from simexit.api.models import (
    CancellationConfirm,
    CancellationIn,
    CancellationOutcome,
    ReceiptOut,
    StatusLookup,
    StatusOut,
)
from simexit.api.problems import COMMON
from simexit.api.routes.common import answer, wiring
from simexit.services.access.caller import Public
from simexit.services.closure import commands, queries

router = APIRouter(prefix="/api/v1/public", tags=["public"], responses=COMMON)


@router.post("/cancellations", status_code=201, response_model=ReceiptOut,
             summary="Cancel a contract without signing in: an immediate receipt with the date and time")
async def cancel(request: Request, body: CancellationIn, creds: Credentials = Depends(auth.client_of),
                 idempotency_key: str | None = IdempotencyKey):
    app, run = wiring(request)

    def work():
        def action():
            receipt = commands.submit_cancellation(
                app, Public(creds.client), kind=body.kind, reason=body.reason, customer_name=body.customer_name,
                msisdn=body.msisdn, end_date_wanted=body.end_date_wanted, email=body.email, locale=body.locale,
                brand=body.brand)
            return 201, receipt.to_dict()

        who = hmac.new(app.secret_key.encode(), f"anon:{creds.client}".encode(), hashlib.sha256).hexdigest()[:32]
        return idempotency.run(app, principal=f"a:{who}", key=idempotency_key,
                               route="POST /api/v1/public/cancellations", body=body, action=action)

    status, payload, replayed = await run(work)
    return answer(payload, status, replayed)


@router.post("/cancellations/{request_no}/confirm", response_model=CancellationOutcome,
             summary="The code sent by SMS to the line: first the quote and consequences to show, then (with "
             "consequences_confirmed) the application")
async def confirm(request: Request, body: CancellationConfirm,
                  request_no: str = Path(min_length=1, max_length=20, description="KR-XXXX-XXXX-C"),
                  creds: Credentials = Depends(auth.client_of)):
    app, run = wiring(request)

    def work():
        caller = Public(creds.client)
        outcome = commands.confirm_cancellation(app, caller, request_no, body.code)
        if outcome["state"] != "quote" or body.consequences_confirmed is None:
            return _public(outcome)
        return _public(commands.apply_cancellation(app, caller, request_no, proof=body.code,
                                                   consequences=body.consequences_confirmed, id_tail=body.id_tail))

    return answer(await run(work))


def _public(outcome: dict) -> dict:
    return {k: v for k, v in outcome.items() if k not in ("code_confirmed_at", "brand", "refund_method")}


@router.post("/application-status", response_model=StatusOut,
             summary="An application's status from its number and the last 4 digits of the line (no sign-in)")
async def application_status(request: Request, body: StatusLookup, creds: Credentials = Depends(auth.client_of)):
    app, run = wiring(request)
    return answer((await run(queries.lookup_status, app, Public(creds.client), body.application_no,
                             body.line_last4)).to_dict())
