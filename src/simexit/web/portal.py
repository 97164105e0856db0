"""The customer portal: sign in with a one-time code, my lines, close a line (pre-check, options,
quote and consequences, two-step confirmation), the receipt and the status page."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from simexit.api.routes.exports import download_url
from simexit.domain.consequences import required_consequences
from simexit.domain.errors import DomainError
from simexit.domain.identifiers import display_msisdn, mask_msisdn
from simexit.domain.intake import DESTINATION_FIELDS, REASON_CODES
from simexit.services.access import commands as access
from simexit.services.access import queries as access_queries
from simexit.services.access.caller import CustomerSession, Public
from simexit.services.closure import commands, queries
from simexit.services.closure.commands import ApplyRequest
from simexit.services.closure.views import ApplicationView, PrecheckResult
from simexit.services.execution.receipts import receipt_url
from simexit.services.privacy import commands as privacy_commands
from simexit.services.privacy import queries as privacy_queries
from simexit.web.i18n import _, current_locale
from simexit.web.labels import error_text
from simexit.web.phone import check as phone_check
from simexit.web.rendering import as_list, client_address, finish, page_brand, pooled, posted_form, render, simexit

router = APIRouter(include_in_schema=False)
SESSION_COOKIE = "sx_session"


def _session(request: Request) -> CustomerSession | None:
    return access_queries.customer_session(simexit(request), request.cookies.get(SESSION_COOKIE))


def _require(request: Request) -> CustomerSession:
    s = _session(request)
    if s is None:
        raise HTTPException(status_code=303, headers={"Location": "/"})
    return s


def _line(request: Request, s: CustomerSession, index: int) -> str:
    numbers = access_queries.customer_lines(simexit(request), s)
    if not 0 <= index < len(numbers):
        raise HTTPException(status_code=404, detail=_("No such line."))
    return numbers[index]


def _redirect(request: Request, url: str) -> Response:
    r = RedirectResponse(url, status_code=303)
    finish(request, r)
    return r


@router.get("/")
@pooled
def home(request: Request) -> Response:
    if _session(request) is not None:
        return _redirect(request, "/lines")
    return render(request, "portal/sign_in.html", step="phone")


@router.post("/sign-in/code")
@pooled(form=True)
def send_code(request: Request) -> Response:
    form = posted_form(request)
    phone = str(form.get("phone") or "").strip()
    partial = request.headers.get("hx-request") == "true"
    app = simexit(request)
    # A number without +country is read in the page's brand's region and shown as understood before any SMS.
    checked = phone_check(app, phone, page_brand(request), str(form.get("phone_reading") or "") or None,
                          client_address(request))
    error, step, number = checked.error, "phone", checked.number
    if number is None and not error:
        step = "check"
    elif number is not None:
        try:
            access.start_customer_sign_in(app, Public(client_address(request)), number)
            step = "code"
        except DomainError as e:
            error = _("That is not a phone number we can read.") if e.code.startswith("MSISDN") else \
                _("Too many attempts. Please wait a few minutes and try again.") if e.status == 429 else error_text(e)
    return render(request, "portal/_code.html" if partial else "portal/sign_in.html", step=step,
                  phone=number if step == "code" else phone, shown=display_msisdn(number) if number else "",
                  readings=checked.readings, error=error)


@router.post("/sign-in")
@pooled(form=True)
def sign_in(request: Request) -> Response:
    form = posted_form(request)
    phone = str(form.get("phone") or "")
    try:
        token = access.verify_customer_sign_in(simexit(request), Public(client_address(request)), phone,
                                               str(form.get("code") or "")).token
    except DomainError as e:
        msg = _("Too many wrong codes. Please ask for a new code.") if e.code == "SIGN_IN_LOCKED" else \
            _("Too many attempts. Please wait a few minutes and try again.") if e.status == 429 else \
            _("The code is wrong or has expired.")
        return render(request, "portal/sign_in.html", step="code", phone=phone, error=msg, status_code=400)
    r = _redirect(request, "/lines")
    r.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", max_age=12 * 3600)
    return r


@router.post("/sign-out")
@pooled(form=True)
def sign_out(request: Request) -> Response:
    s = _session(request)
    if s is not None:
        access.sign_out_customer(simexit(request), s)
    r = _redirect(request, "/")
    r.delete_cookie(SESSION_COOKIE)
    return r


@router.get("/lines")
@pooled
def my_lines(request: Request) -> Response:
    s = _require(request)
    app = simexit(request)
    items = []
    for i, number in enumerate(access_queries.customer_lines(app, s)):
        pc = queries.precheck(app, s, number)
        items.append({"index": i, "msisdn": mask_msisdn(number), "facts": pc.facts, "policy": pc.policy})
    brand = items[0]["facts"].brand if items else None
    return render(request, "portal/lines.html", lines=items, brand=brand)


def _options(pc: PrecheckResult, form: dict[str, Any]) -> dict[str, Any]:
    method = str(form.get("refund_method") or "")
    dest = {f: str(form.get(f"dest_{method}_{f}") or "").strip() for f in DESTINATION_FIELDS.get(method, ())}
    reason = str(form.get("reason_code") or "") or None
    end = str(form.get("end_date") or "") or None
    return {"refund_method": method or None, "destination": dest,
            "reason_code": reason if reason in REASON_CODES else None,
            "reason_text": (str(form.get("reason_text") or "").strip() or None),
            "end_date": date.fromisoformat(end) if end else None}


@router.get("/lines/{index}/close")
@pooled
def close_line(request: Request, index: int) -> Response:
    s = _require(request)
    number = _line(request, s, index)
    pc = queries.precheck(simexit(request), s, number)
    return render(request, "portal/precheck.html", pc=pc, index=index, msisdn=mask_msisdn(number),
                  brand=pc.facts.brand, reasons=REASON_CODES, dest_fields=DESTINATION_FIELDS,
                  blockers=[f for f in pc.findings if f.severity == "blocker"],
                  notes=[f for f in pc.findings if f.severity != "blocker"])


def _quote_page(request: Request, s: CustomerSession, index: int, number: str, opts: dict[str, Any],
                error: str | None = None,
                step: str = "quote", confirmed: list[str] | None = None) -> Response:
    pc = queries.precheck(simexit(request), s, number, opts["end_date"])
    return render(request, "portal/quote.html", pc=pc, index=index, msisdn=mask_msisdn(number), opts=opts,
                  lang_form="step-form",
                  brand=pc.facts.brand, consequences=required_consequences(pc.quote), error=error, step=step,
                  confirmed=confirmed or [], status_code=400 if error else 200)


@router.post("/lines/{index}/quote")
@pooled(form=True)
def quote(request: Request, index: int) -> Response:
    s = _require(request)
    form = posted_form(request)
    number = _line(request, s, index)
    try:
        opts = _options(queries.precheck(simexit(request), s, number), form)
        pc = queries.precheck(simexit(request), s, number, opts["end_date"])
    except (DomainError, ValueError) as e:
        return render(request, "error.html", status_code=400, message=error_text(e) if isinstance(e, DomainError)
                      else _("Please give the date as YYYY-MM-DD."))
    if pc.quote.refund_minor > 0 and (not opts["refund_method"] or not all(opts["destination"].values())):
        return close_line_with_error(request, s, index, number, _("Please choose where the refund goes."))
    return _quote_page(request, s, index, number, opts, confirmed=as_list(form.get("consequence")))


def close_line_with_error(request: Request, s: CustomerSession, index: int, number: str, error: str) -> Response:
    pc = queries.precheck(simexit(request), s, number)
    return render(request, "portal/precheck.html", pc=pc, index=index, msisdn=mask_msisdn(number),
                  brand=pc.facts.brand, reasons=REASON_CODES, dest_fields=DESTINATION_FIELDS, error=error,
                  blockers=[f for f in pc.findings if f.severity == "blocker"],
                  notes=[f for f in pc.findings if f.severity != "blocker"], status_code=400)


@router.post("/lines/{index}/confirm")
@pooled(form=True)
def confirm(request: Request, index: int) -> Response:
    """Step 1 of 2: every consequence ticked; step 2 asks for the last 6 characters of the ID number."""
    s = _require(request)
    form = posted_form(request)
    number = _line(request, s, index)
    opts = _options(queries.precheck(simexit(request), s, number), form)
    ticked = as_list(form.get("consequence"))
    pc = queries.precheck(simexit(request), s, number, opts["end_date"])
    missing = set(required_consequences(pc.quote)) - set(ticked)
    if missing:
        return _quote_page(request, s, index, number, opts, _("Please tick every box to show you have read it."),
                           confirmed=ticked)
    return _quote_page(request, s, index, number, opts, step="second_factor", confirmed=ticked)


@router.post("/lines/{index}/submit")
@pooled(form=True)
def submit(request: Request, index: int) -> Response:
    """Step 2 of 2: the second factor, then the application."""
    s = _require(request)
    form = posted_form(request)
    app = simexit(request)
    number = _line(request, s, index)
    opts = _options(queries.precheck(app, s, number), form)
    ticked = as_list(form.get("consequence"))
    try:
        s = access.confirm_second_factor(app, s, str(form.get("id_tail") or ""))
    except DomainError as e:
        msg = _("Too many wrong answers. Please wait 15 minutes.") if e.status == 429 else \
            _("Those are not the last 6 characters of your ID number.")
        return _quote_page(request, s, index, number, opts, msg, step="second_factor", confirmed=ticked)
    try:
        result = commands.apply(app, s, ApplyRequest(
            msisdn=number, channel="online", identity_method="otp",
            identity_evidence={"sign_in": "sms_otp", "second_factor": "id_tail_6", "session": s.session_id},
            reason_code=opts["reason_code"], reason_text=opts["reason_text"], consequences_confirmed=ticked,
            refund_method=opts["refund_method"], refund_destination=opts["destination"] or None,
            requested_effective_date=opts["end_date"]))
    except DomainError as e:
        return _quote_page(request, s, index, number, opts, error_text(e), confirmed=ticked)
    return _redirect(request, f"/applications/{result.application_no}/receipt")


def _own_application(request: Request, application_no: str) -> ApplicationView:
    s = _require(request)
    try:
        return queries.show(simexit(request), s, application_no, locale=current_locale.get())
    except DomainError:
        raise HTTPException(status_code=404, detail=_("No such application.")) from None


@router.get("/applications/{application_no}/receipt")
@pooled
def receipt(request: Request, application_no: str) -> Response:
    view = _own_application(request, application_no)
    policy = simexit(request).policy(view["brand"])
    return render(request, "portal/receipt.html", view=view, p=policy, brand=view["brand"],
                  msisdn=mask_msisdn(view["msisdn"]))


@router.get("/applications/{application_no}")
@pooled
def my_application(request: Request, application_no: str) -> Response:
    view = _own_application(request, application_no)
    receipt_link = receipt_url(simexit(request), "", application_no) if view["status"] == "completed" else None
    return render(request, "portal/status.html", view=view, brand=view["brand"], receipt_link=receipt_link,
                  p=simexit(request).policy(view["brand"]), msisdn=mask_msisdn(view["msisdn"]))


@router.get("/my-data")
@pooled
def my_data(request: Request) -> Response:
    """Download my data: ask for an export (second factor), the worker builds it, then the signed link."""
    s = _require(request)
    latest = privacy_queries.latest_export(simexit(request), s)
    link = download_url(latest.download_token) if latest and latest.state == "ready" and latest.download_token \
        else None
    return render(request, "portal/my_data.html", export=latest, link=link)


@router.post("/my-data")
@pooled(form=True)
def request_my_data(request: Request) -> Response:
    s = _require(request)
    form = posted_form(request)
    app = simexit(request)
    try:
        s = access.confirm_second_factor(app, s, str(form.get("id_tail") or ""))
        privacy_commands.request_export(app, s)
    except DomainError as e:
        msg = _("Too many wrong answers. Please wait 15 minutes.") if e.status == 429 else \
            _("Those are not the last 6 characters of your ID number.")
        return render(request, "portal/my_data.html", export=privacy_queries.latest_export(app, s),
                      link=None, error=msg, status_code=400)
    return _redirect(request, "/my-data")
