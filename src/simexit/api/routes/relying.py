"""Relying parties (banks, apps) with a partner key of the ``relying_party`` scope: their number-disconnect
webhook subscriptions, and the reassigned-numbers query ("was this number permanently disconnected on or
after DATE?" → yes / no / no_data)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from simexit.api import auth, idempotency
from simexit.api.auth import Credentials
from simexit.api.idempotency import IdempotencyKey
from simexit.api.models import Body, Msisdn
from simexit.api.problems import COMMON
from simexit.api.routes.common import answer, wiring
from simexit.services.numbers import commands, queries

router = APIRouter(prefix="/api/v1/partner", tags=["relying parties"], responses=COMMON)
SCOPE = "relying_party"
Label = Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$", description="the subscription's label")


class SubscriptionIn(Body):
    label: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$",
                       description="your name for this subscription (unique among yours)")
    url: str = Field(min_length=8, max_length=500, description="where simexit POSTs the signed webhooks")


class SubscriptionOut(BaseModel):
    label: str
    url: str
    active: bool
    created_at: str
    removed_at: str | None


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="the HMAC signing secret: shown this once, keep it")


class SubscriptionList(BaseModel):
    items: list[SubscriptionOut]


class DisconnectQuery(Body):
    msisdn: str = Msisdn
    since: date = Field(description="was the number permanently disconnected on or after this date?")


class DisconnectAnswer(BaseModel):
    answer: Literal["yes", "no", "no_data"]
    since: date


def _out(view) -> dict:  # a services.numbers.views.SubscriptionView
    return {"label": view.label, "url": view.url, "active": view.active, "created_at": view.created_at,
            "removed_at": view.removed_at}


@router.post("/disconnect-subscriptions", status_code=201, response_model=SubscriptionCreated,
             summary="Subscribe to number.permanently_disconnected webhooks; the signing secret is shown once")
async def subscribe(request: Request, body: SubscriptionIn, creds: Credentials = Depends(auth.partner_credentials),
                    idempotency_key: str | None = IdempotencyKey):
    app, run = wiring(request)

    def work():
        partner = auth.partner(app, creds, SCOPE)

        def action():
            view = commands.subscribe(app, partner, body.label, body.url)
            return 201, {**_out(view), "secret": view.secret}

        return idempotency.run(app, principal=f"p:{partner.id}", key=idempotency_key,
                               route="POST /api/v1/partner/disconnect-subscriptions", body=body, action=action)

    status, payload, replayed = await run(work)
    return answer(payload, status, replayed)


@router.get("/disconnect-subscriptions", response_model=SubscriptionList, summary="My active subscriptions")
async def subscriptions(request: Request, creds: Credentials = Depends(auth.partner_credentials)):
    app, run = wiring(request)

    def work():
        partner = auth.partner(app, creds, SCOPE)
        return [_out(v) for v in queries.subscriptions(app, partner)]

    return answer({"items": await run(work)})


@router.delete("/disconnect-subscriptions/{label}", response_model=SubscriptionOut,
               summary="Unsubscribe (no more webhooks to that URL)")
async def unsubscribe(request: Request, label: str = Label, creds: Credentials = Depends(auth.partner_credentials)):
    app, run = wiring(request)

    def work():
        partner = auth.partner(app, creds, SCOPE)
        return _out(commands.unsubscribe(app, partner, label))

    return answer(await run(work))


@router.post("/disconnects/query", response_model=DisconnectAnswer,
             summary="Was the number permanently disconnected on or after `since`? yes, no or no_data (as the "
                     "US reassigned-numbers database answers)")
async def disconnect_query(request: Request, body: DisconnectQuery,
                           creds: Credentials = Depends(auth.partner_credentials)):
    app, run = wiring(request)

    def work():
        return queries.was_disconnected(app, auth.partner(app, creds, SCOPE), body.msisdn, body.since)

    return answer({"answer": await run(work), "since": body.since.isoformat()})
