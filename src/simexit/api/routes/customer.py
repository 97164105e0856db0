"""Customer routes: sign-in with a one-time code, second factor, own lines, pre-check, apply, withdraw."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from simexit.api import auth, idempotency
from simexit.api.auth import CUSTOMER_COOKIE, Credentials
from simexit.api.idempotency import IdempotencyKey
from simexit.api.models import (
    ApplicationOut,
    ApplicationPage,
    ApplyOut,
    CustomerApply,
    CustomerSessionOut,
    LinePage,
    Note,
    PrecheckIn,
    PrecheckOut,
    SecondFactor,
    SignInStart,
    SignInStarted,
    SignInVerify,
)
from simexit.api.problems import COMMON
from simexit.api.routes.common import ApplicationNo, answer, api_settings, wiring
from simexit.services.access import commands as access
from simexit.services.closure import commands, queries
from simexit.services.closure.commands import ApplyRequest

router = APIRouter(prefix="/api/v1", tags=["customer"], responses=COMMON)


class VerifyBody(SignInVerify):
    session: Literal["cookie", "token"] = "cookie"


@router.post("/auth/customer/start", status_code=202, response_model=SignInStarted,
             summary="Send a sign-in code by SMS (the same answer whether or not the number is a customer's)")
async def sign_in_start(request: Request, body: SignInStart, creds: Credentials = Depends(auth.client_of)):
    app, run = wiring(request)
    sent = await run(lambda: access.start_customer_sign_in(app, auth.public(creds), body.msisdn,
                                                                 brand=body.brand))
    return answer(sent.to_dict(), 202)


@router.post("/auth/customer/verify", response_model=CustomerSessionOut,
             summary="Check the code; a session cookie (browsers) or a bearer token (session=token, apps)")
async def sign_in_verify(request: Request, body: VerifyBody, creds: Credentials = Depends(auth.client_of)):
    app, run = wiring(request)
    signed = await run(lambda: access.verify_customer_sign_in(app, auth.public(creds), body.msisdn, body.code,
                                                                    brand=body.brand))
    token = signed.token
    out = {"token": token if body.session == "token" else None,
           "expires_at": signed.session.expires_at.isoformat(), "second_factor_until": None}
    response = answer(out)
    if body.session == "cookie":
        response.set_cookie(CUSTOMER_COOKIE, token, max_age=signed.max_age_seconds,
                            httponly=True, secure=api_settings(request).cookie_secure, samesite="lax", path="/")
    return response


@router.post("/auth/customer/second-factor", response_model=CustomerSessionOut,
             summary="Confirm the last 6 characters of the ID number: unlocks apply and withdraw for 10 minutes")
async def second_factor(request: Request, body: SecondFactor, creds: Credentials = Depends(auth.customer_credentials)):
    app, run = wiring(request)

    def work():
        return access.confirm_second_factor(app, auth.customer(app, creds), body.id_tail)

    s = await run(work)
    return answer({"token": None, "expires_at": s.expires_at.isoformat(),
                   "second_factor_until": s.second_factor_until.isoformat() if s.second_factor_until else None})


@router.post("/auth/customer/sign-out", status_code=204, response_class=Response)
async def sign_out(request: Request, creds: Credentials = Depends(auth.customer_credentials)):
    app, run = wiring(request)
    await run(lambda: access.sign_out_customer(app, auth.customer(app, creds)))
    response = Response(status_code=204)
    response.delete_cookie(CUSTOMER_COOKIE, path="/", secure=api_settings(request).cookie_secure, httponly=True,
                           samesite="lax")
    return response


@router.get("/me/lines", response_model=LinePage, summary="My lines")
async def my_lines(request: Request, creds: Credentials = Depends(auth.customer_credentials),
                   limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=10**9)):
    app, run = wiring(request)

    def work():
        s = auth.customer(app, creds)
        return queries.list_lines(app, s, limit=limit, offset=offset)

    return answer({"items": await run(work), "limit": limit, "offset": offset})


@router.post("/me/precheck", response_model=PrecheckOut, summary="Pre-check one of my lines: findings and quote")
async def my_precheck(request: Request, body: PrecheckIn, creds: Credentials = Depends(auth.customer_credentials)):
    app, run = wiring(request)

    def work():
        s = auth.customer(app, creds)
        return queries.precheck(app, s, body.msisdn, body.end_date).to_dict()

    return answer(await run(work))


def apply_request(body, **extra) -> ApplyRequest:  # type: ignore[no-untyped-def]
    return ApplyRequest(msisdn=body.msisdn, channel=body.channel, reason_code=body.reason_code,
                        reason_text=body.reason_text, consequences_confirmed=list(body.consequences_confirmed),
                        refund_method=body.refund_method, refund_destination=body.refund_destination,
                        requested_effective_date=body.end_date, **extra)


@router.post("/me/applications", status_code=201, response_model=ApplyOut,
             responses={200: {"model": ApplyOut, "description": "the line's open application, returned again"}},
             summary="Apply to close one of my lines (needs the second factor)")
async def my_apply(request: Request, body: CustomerApply, creds: Credentials = Depends(auth.customer_credentials),
                   idempotency_key: str | None = IdempotencyKey):
    app, run = wiring(request)

    def work():
        s = auth.customer(app, creds)

        def action():
            r = commands.apply(app, s, apply_request(body, identity_method="otp"))
            return (200 if r.replayed else 201), r.to_dict()

        return idempotency.run(app, principal=f"c:{s.customer_id}", key=idempotency_key,
                               route="POST /api/v1/me/applications", body=body, action=action)

    status, payload, replayed = await run(work)
    return answer(payload, status, replayed)


@router.get("/me/applications", response_model=ApplicationPage, summary="My applications, newest first")
async def my_applications(request: Request, creds: Credentials = Depends(auth.customer_credentials),
                          status: str | None = Query(None, max_length=20, pattern=r"^[a-z_]+$"),
                          limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=10**9)):
    app, run = wiring(request)

    def work():
        s = auth.customer(app, creds)
        return queries.list_applications(app, s, status=status, limit=limit, offset=offset)

    return answer(await run(work))


@router.get("/me/applications/{application_no}", response_model=ApplicationOut, summary="One of my applications")
async def my_application(request: Request, application_no: str = ApplicationNo,
                         creds: Credentials = Depends(auth.customer_credentials)):
    app, run = wiring(request)

    def work():
        s = auth.customer(app, creds)
        return queries.show(app, s, application_no).to_dict()

    return answer(await run(work))


@router.post("/me/applications/{application_no}/withdraw", response_model=ApplicationOut,
             summary="Withdraw my application before execution (needs the second factor)")
async def my_withdraw(request: Request, body: Note, application_no: str = ApplicationNo,
                      creds: Credentials = Depends(auth.customer_credentials)):
    app, run = wiring(request)

    def work():
        return commands.withdraw(app, auth.customer(app, creds), application_no, body.note).to_dict()

    return answer(await run(work))


