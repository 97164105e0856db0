"""Pages without sign-in: the cancellation button's form (BGB §312k), the status look-up, help, and
the language switch."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlparse

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from simexit.domain.errors import DomainError
from simexit.services.access.caller import Public
from simexit.services.closure import commands, queries
from simexit.web.errors import start_of
from simexit.web.i18n import LOCALES, _, current_locale
from simexit.web.labels import error_text
from simexit.web.rendering import (
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


@router.get("/cancel")
def cancel_form(request: Request) -> Response:
    return render(request, "public/cancel.html", values={}, today=simexit(request).clock.now().date())


@router.post("/cancel")
@pooled(form=True)
def cancel_submit(request: Request) -> Response:
    form = posted_form(request)
    values = {k: str(form.get(k) or "").strip() for k in ("kind", "reason", "name", "phone", "end_date", "email")}
    try:
        end = date.fromisoformat(values["end_date"]) if values["end_date"] else None
        receipt = commands.submit_cancellation(
            simexit(request), Public(client_address(request)), kind=values["kind"] or "ordinary",
            reason=values["reason"] or None, customer_name=values["name"], msisdn=values["phone"],
            end_date_wanted=end, email=values["email"], locale=current_locale.get())
    except ValueError:
        return render(request, "public/cancel.html", values=values, error=_("Please give the date as YYYY-MM-DD."),
                      today=simexit(request).clock.now().date(), status_code=400)
    except DomainError as e:
        return render(request, "public/cancel.html", values=values, error=_cancel_error(e),
                      today=simexit(request).clock.now().date(), status_code=400)
    return render(request, "public/cancel_receipt.html", receipt=receipt)


def _cancel_error(e: DomainError) -> str:
    return {
        "REASON_REQUIRED": _("An extraordinary cancellation needs its reason."),
        "NAME_REQUIRED": _("Please give the name of the contract holder."),
        "EMAIL_INVALID": _("Please give an e-mail address we can send the confirmation to."),
        "RATE_LIMITED": _("Too many requests. Please wait and try again."),
    }.get(e.code, _("That is not a phone number we can read.") if e.code.startswith("MSISDN") else error_text(e))


@router.post("/cancel/confirm")
@pooled(form=True)
def cancel_confirm(request: Request) -> Response:
    form = posted_form(request)
    request_no = str(form.get("request_no") or "")
    try:
        outcome = commands.confirm_cancellation(simexit(request), Public(client_address(request)), request_no,
                                                str(form.get("code") or ""))
    except DomainError:
        return render(request, "public/cancel_code.html", request_no=request_no,
                      error=_("The code is wrong or has expired."), status_code=400)
    return render(request, "public/cancel_outcome.html", outcome=outcome)


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
