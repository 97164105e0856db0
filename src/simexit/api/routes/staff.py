"""Staff routes: sign-in, lines and applications of their brands, pre-check, apply on behalf, review."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from simexit.api import auth, idempotency
from simexit.api.auth import STAFF_COOKIE, Credentials
from simexit.api.idempotency import IdempotencyKey
from simexit.api.models import (
    ApplicationOut,
    ApplicationPage,
    ApplyOut,
    LinePage,
    Note,
    PrecheckIn,
    PrecheckOut,
    Reject,
    StaffApply,
    StaffOut,
    StaffSessionOut,
    StaffSignIn,
    StaffWithdraw,
)
from simexit.api.problems import COMMON
from simexit.api.routes.common import ApplicationNo, answer, api_settings, wiring
from simexit.api.routes.customer import apply_request, family_choices
from simexit.domain.roles import INTAKE_CHANNELS, Permission
from simexit.services.access import commands as access
from simexit.services.access.caller import StaffIdentity
from simexit.services.closure import commands, queries

router = APIRouter(prefix="/api/v1", tags=["staff"], responses=COMMON)


class SignInBody(StaffSignIn):
    session: Literal["cookie", "token"] = "cookie"


def _who(who: StaffIdentity) -> dict:
    return {"username": who.username, "display_name": who.display_name, "role": who.role.value,
            "brands": list(who.brands), "permissions": sorted(p.value for p in Permission if who.can(p)),
            "intake_channels": sorted(INTAKE_CHANNELS[who.role])}


@router.post("/auth/staff/sign-in", response_model=StaffSessionOut,
             summary="Password (+ TOTP when enrolled); a cookie (browsers) or a bearer token (session=token)")
async def staff_sign_in(request: Request, body: SignInBody, creds: Credentials = Depends(auth.client_of)):
    app, run = wiring(request)
    signed = await run(lambda: access.sign_in_staff(app, auth.public(creds), body.username, body.password,
                                                    body.totp))
    token = signed.token
    response = answer({**_who(signed.identity), "token": token if body.session == "token" else ""})
    if body.session == "cookie":
        response.set_cookie(STAFF_COOKIE, token, max_age=signed.max_age_seconds, httponly=True,
                            secure=api_settings(request).cookie_secure, samesite="lax", path="/")
    return response


@router.post("/auth/staff/sign-out", status_code=204, response_class=Response)
async def staff_sign_out(request: Request, creds: Credentials = Depends(auth.staff_credentials)):
    app, run = wiring(request)

    await run(lambda: access.sign_out_staff(app, auth.staff(app, creds)))
    response = Response(status_code=204)
    response.delete_cookie(STAFF_COOKIE, path="/", secure=api_settings(request).cookie_secure, httponly=True,
                           samesite="lax")
    return response


@router.get("/staff/me", response_model=StaffOut, summary="Who I am: role, brands, permissions, channels")
async def staff_me(request: Request, creds: Credentials = Depends(auth.staff_credentials)):
    app, run = wiring(request)
    return answer(_who(await run(auth.staff, app, creds)))


@router.get("/staff/lines", response_model=LinePage, summary="Lines of my brands")
async def staff_lines(request: Request, creds: Credentials = Depends(auth.staff_credentials),
                      brand: str | None = Query(None, max_length=32, pattern=r"^[a-z0-9_-]+$"),
                      status: str | None = Query(None, max_length=12, pattern=r"^[a-z_]+$"),
                      kind: str | None = Query(None, max_length=8, pattern=r"^[a-z]+$"),
                      limit: int = Query(50, ge=1, le=500),
                      offset: int = Query(0, ge=0, le=10**9)):
    app, run = wiring(request)

    def work():
        return queries.list_lines(app, auth.staff(app, creds), brand=brand, status=status, kind=kind, limit=limit,
                                  offset=offset)

    return answer({"items": await run(work), "limit": limit, "offset": offset})


@router.post("/staff/precheck", response_model=PrecheckOut, summary="Pre-check a line of my brands")
async def staff_precheck(request: Request, body: PrecheckIn, creds: Credentials = Depends(auth.staff_credentials)):
    app, run = wiring(request)

    def work():
        return queries.precheck(app, auth.staff(app, creds), body.msisdn, body.end_date,
                                    family_choices(body)).to_dict()

    return answer(await run(work))


@router.post("/staff/applications", status_code=201, response_model=ApplyOut,
             responses={200: {"model": ApplyOut, "description": "the line's open application, returned again"}},
             summary="Apply on a customer's behalf (channel per role; records how identity was checked)")
async def staff_apply(request: Request, body: StaffApply, creds: Credentials = Depends(auth.staff_credentials),
                      idempotency_key: str | None = IdempotencyKey):
    app, run = wiring(request)

    def work():
        who = auth.staff(app, creds)

        def action():
            r = commands.apply(app, who, apply_request(
                body, identity_method=body.identity_method, identity_evidence=dict(body.identity_evidence),
                id_number=body.id_number))
            return (200 if r.replayed else 201), r.to_dict()

        return idempotency.run(app, principal=f"s:{who.id}", key=idempotency_key,
                               route="POST /api/v1/staff/applications", body=body, action=action)

    status, payload, replayed = await run(work)
    return answer(payload, status, replayed)


@router.get("/staff/applications", response_model=ApplicationPage,
            summary="Applications of my brands, newest first; filter by brand, status, channel, review due")
async def staff_applications(request: Request, creds: Credentials = Depends(auth.staff_credentials),
                             brand: str | None = Query(None, max_length=32, pattern=r"^[a-z0-9_-]+$"),
                             status: str | None = Query(None, max_length=20, pattern=r"^[a-z_]+$"),
                             channel: str | None = Query(None, max_length=8, pattern=r"^[a-z]+$"),
                             due_before: datetime | None = Query(None, description="review due at or before"),
                             limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=10**9)):
    app, run = wiring(request)

    def work():
        return queries.list_applications(app, auth.staff(app, creds), brand=brand, status=status, channel=channel,
                                         due_before=due_before, limit=limit, offset=offset)

    return answer(await run(work))


@router.get("/staff/applications/{application_no}", response_model=ApplicationOut)
async def staff_application(request: Request, application_no: str = ApplicationNo,
                            creds: Credentials = Depends(auth.staff_credentials)):
    app, run = wiring(request)

    def work():
        return queries.show(app, auth.staff(app, creds), application_no).to_dict()

    return answer(await run(work))


@router.post("/staff/applications/{application_no}/approve", response_model=ApplicationOut,
             summary="Approve (reviewer, supervisor, admin)")
async def staff_approve(request: Request, body: Note, application_no: str = ApplicationNo,
                        creds: Credentials = Depends(auth.staff_credentials)):
    app, run = wiring(request)
    return answer(await run(lambda: commands.approve(app, auth.staff(app, creds), application_no, body.note).to_dict()))


@router.post("/staff/applications/{application_no}/reject", response_model=ApplicationOut,
             summary="Reject with reason codes (reviewer, supervisor, admin)")
async def staff_reject(request: Request, body: Reject, application_no: str = ApplicationNo,
                       creds: Credentials = Depends(auth.staff_credentials)):
    app, run = wiring(request)
    return answer(await run(lambda: commands.reject(app, auth.staff(app, creds), application_no, list(body.reasons),
                                                    body.note).to_dict()))


@router.post("/staff/applications/{application_no}/withdraw", response_model=ApplicationOut,
             summary="Withdraw on the customer's behalf, before execution")
async def staff_withdraw(request: Request, body: StaffWithdraw, application_no: str = ApplicationNo,
                         creds: Credentials = Depends(auth.staff_credentials)):
    app, run = wiring(request)
    return answer(await run(lambda: commands.withdraw(app, auth.staff(app, creds), application_no, body.note,
                                                      channel=body.channel).to_dict()))


