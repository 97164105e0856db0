"""Pages without sign-in: the cancellation button's form (BGB §312k), the status look-up, help, and
the language switch."""

from __future__ import annotations

import secrets
from datetime import date
from urllib.parse import urlparse

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from simexit.domain.errors import DomainError
from simexit.services.access.caller import Public
from simexit.services.closure import commands, public_cancellation, queries
from simexit.web.errors import start_of
from simexit.web.i18n import LOCALES, _, current_locale
from simexit.web.labels import error_text
from simexit.web.phone import check as phone_check
from simexit.web.rendering import (
    as_list,
    client_address,
    finish,
    page_brand,
    pooled,
    posted_form,
    render,
    simexit,
)

router = APIRouter(include_in_schema=False)


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    target = next if next.startswith("/") and not next.startswith("//") and not urlparse(next).netloc else "/"
    parsed = urlparse(target)
    start = start_of(request, parsed.path)  # a step that only takes POST: back to its first page
    if start != parsed.path:
        target = start
    r = RedirectResponse(target, status_code=303)
    if code in LOCALES:
        r.set_cookie("lang", code, max_age=365 * 86400, samesite="lax", httponly=True)
    finish(request, r)
    return r


def _form_page(request: Request, values: dict[str, str], *, error: str | None = None, readings: tuple = (),
               status_code: int = 200) -> Response:
    return render(request, "public/cancel.html", values=values, error=error, readings=readings,
                  submission=values.get("submission") or secrets.token_urlsafe(18),
                  today=simexit(request).clock.now().date(), status_code=status_code)


@router.get("/cancel")
def cancel_form(request: Request) -> Response:
    return _form_page(request, {})


@router.post("/cancel")
@pooled(form=True)
def cancel_submit(request: Request) -> Response:
    """The declaration: checked, the number as understood confirmed first when it was typed without +country,
    then recorded; the answer is a redirect to the request's own page (post/redirect/get: a reload there sends
    nothing again, and the same form posted twice gives the same request)."""
    form = posted_form(request)
    app = simexit(request)
    values = {k: str(form.get(k) or "").strip()
              for k in ("kind", "reason", "name", "phone", "end_date", "email", "phone_reading", "submission")}
    brand = page_brand(request)
    phone = phone_check(app, values["phone"], brand, values["phone_reading"] or None, client_address(request))
    if phone.error:
        return _form_page(request, values, error=phone.error, status_code=400)
    if phone.number is None:  # typed without +country: show the number as understood before sending anything
        return _form_page(request, values, readings=phone.readings)
    try:
        end = date.fromisoformat(values["end_date"]) if values["end_date"] else None
        receipt = commands.submit_cancellation(
            app, Public(client_address(request)), kind=values["kind"] or "ordinary",
            reason=values["reason"] or None, customer_name=values["name"], msisdn=phone.number,
            end_date_wanted=end, email=values["email"], locale=current_locale.get(), brand=brand,
            submission_key=values["submission"] or None)
    except ValueError:
        return _form_page(request, values, error=_("Please give the date as YYYY-MM-DD."), status_code=400)
    except DomainError as e:
        return _form_page(request, values, error=_cancel_error(e), status_code=400)
    return _redirect(request, public_cancellation.page_path(app, receipt.request_no))


def _redirect(request: Request, url: str) -> Response:
    r = RedirectResponse(url, status_code=303)
    finish(request, r)
    return r


def _cancel_error(e: DomainError) -> str:
    return {
        "REASON_REQUIRED": _("An extraordinary cancellation needs its reason."),
        "NAME_REQUIRED": _("Please give the name of the contract holder."),
        "EMAIL_INVALID": _("Please give an e-mail address we can send the confirmation to."),
        "RATE_LIMITED": _("Too many requests. Please wait and try again."),
    }.get(e.code, _("That is not a phone number we can read.") if e.code.startswith("MSISDN") else error_text(e))


@router.get("/cancel/requests/{request_no}/{token}")
@pooled
def cancel_request_page(request: Request, request_no: str, token: str) -> Response:
    """The request's own page (the e-mail's link): the dated receipt, then the code, the quote, the outcome."""
    return _request_page(request, request_no, token)


def _request_page(request: Request, request_no: str, token: str, *, error: str | None = None,
                  status_code: int = 200, ticked: list[str] | None = None) -> Response:
    try:
        view = queries.cancellation_request(simexit(request), Public(client_address(request)), request_no, token)
    except DomainError:
        return render(request, "error.html", status_code=404, message=INVALID_LINK)
    return render(request, "public/cancel_request.html", view=view, receipt=view["receipt"], token=token,
                  request_no=view["request_no"], brand=view["brand"] or None, error=error, ticked=ticked or [],
                  p=simexit(request).policy(view["brand"]) if view["brand"] else None, status_code=status_code)


@router.get("/cancel/confirm")
def cancel_confirm_get(request: Request) -> Response:
    """The code form's address opened directly (a bookmark, a reload): the form, not an error."""
    return _redirect(request, "/cancel")


@router.post("/cancel/confirm")
@pooled(form=True)
def cancel_confirm(request: Request) -> Response:
    form = posted_form(request)
    app = simexit(request)
    request_no = str(form.get("request_no") or "")
    token = str(form.get("token") or "")
    try:
        outcome = commands.confirm_cancellation(app, Public(client_address(request)), request_no,
                                                str(form.get("code") or ""))
    except DomainError:
        if token:
            return _request_page(request, request_no, token, error=_("The code is wrong or has expired."),
                                 status_code=400)
        return render(request, "public/cancel_code.html", request_no=request_no,
                      error=_("The code is wrong or has expired."), status_code=400)
    return _redirect(request, public_cancellation.page_path(app, outcome["request_no"]))


@router.post("/cancel/requests/{request_no}/{token}/apply")
@pooled(form=True)
def cancel_apply(request: Request, request_no: str, token: str) -> Response:
    """After the code: every consequence ticked (and the ID tail where the brand's identity rule asks)."""
    form = posted_form(request)
    app = simexit(request)
    ticked = as_list(form.get("consequence"))
    try:
        outcome = commands.apply_cancellation(app, Public(client_address(request)), request_no, proof=token,
                                              consequences=ticked, id_tail=str(form.get("id_tail") or "") or None)
    except DomainError as e:
        msg = {"CONSEQUENCES_NOT_CONFIRMED": _("Please tick every box to show you have read it."),
               "SECOND_FACTOR_INVALID": _("Those are not the last 6 characters of your ID number."),
               "SECOND_FACTOR_LOCKED": _("Too many wrong answers. Please wait 15 minutes."),
               }.get(e.code, _("The code is wrong or has expired."))
        return _request_page(request, request_no, token, error=msg, status_code=400, ticked=ticked)
    return _redirect(request, public_cancellation.page_path(app, outcome["request_no"]))


@router.get("/status")
def status_form(request: Request) -> Response:
    return render(request, "public/status_lookup.html", number=request.query_params.get("no", ""))


@router.post("/status")
@pooled(form=True)
def status_lookup(request: Request) -> Response:
    form = posted_form(request)
    number = str(form.get("application_no") or "").strip()
    try:
        view = queries.lookup_status(simexit(request), Public(client_address(request)), number,
                                     str(form.get("last4") or ""))
    except DomainError as e:
        msg = _("Too many look-ups. Please wait 15 minutes.") if e.status == 429 else \
            _("No application matches that number and those digits.")
        return render(request, "public/status_lookup.html", number=number, error=msg, status_code=400)
    return render(request, "public/status_result.html", view=view, brand=view.brand,
                  p=simexit(request).policy(view.brand))


@router.get("/help")
def help_page(request: Request) -> Response:
    app = simexit(request)
    brand = page_brand(request) or next(iter(sorted(app.policies)))
    return render(request, "public/help.html", brand=brand, p=app.policy(brand), brands=sorted(app.policies))


INVALID_LINK = "此链接无效。 This link is not valid."
