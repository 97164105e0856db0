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
from simexit.domain.families import FamilyChoices, required_choices
from simexit.domain.identifiers import display_msisdn, mask_msisdn
from simexit.domain.intake import (
    DESTINATION_FIELDS,
    REASON_CODES,
    default_refund_method,
    fee_acceptable,
    with_fee_accepted,
)
from simexit.domain.policy import Policy
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


def _online(policy: Policy) -> bool:
    """Whether the brand takes closures here (online or in the app); else the page says where it does."""
    return any(c in commands.CUSTOMER_CHANNELS for c in policy.brand.channels)


def _precheck_context(pc: PrecheckResult, accept_fee: bool) -> dict[str, Any]:
    findings = with_fee_accepted(pc.policy, pc.findings, accept_fee)
    return {"blockers": [f for f in findings if f.severity == "blocker"],
            "notes": [f for f in findings if f.severity != "blocker"],
            "fee_acceptable": fee_acceptable(pc.policy, pc.findings),
            "fee_accepted": accept_fee and fee_acceptable(pc.policy, pc.findings),
            "online": _online(pc.policy), "default_method": default_refund_method(pc.policy)}


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
                  readings=checked.readings, phone_error=error,
                  resent=str(form.get("resend") or "") == "1" and step == "code")


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
        return render(request, "portal/sign_in.html", step="code", phone=phone, code_error=msg, status_code=400)
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
        items.append({"index": i, "msisdn": mask_msisdn(number), "facts": pc.facts, "policy": pc.policy,
                      "online": _online(pc.policy)})
    brand = items[0]["facts"].brand if items else None
    return render(request, "portal/lines.html", lines=items, brand=brand)


def _options(pc: PrecheckResult, form: dict[str, Any]) -> dict[str, Any]:
    method = str(form.get("refund_method") or "")
    dest = {f: str(form.get(f"dest_{method}_{f}") or "").strip() for f in DESTINATION_FIELDS.get(method, ())}
    reason = str(form.get("reason_code") or "") or None
    end = str(form.get("end_date") or "") or None
    return {"refund_method": method or None, "destination": dest,
            "accept_fee": str(form.get("accept_fee") or "") == "1",
            "reason_code": reason if reason in REASON_CODES else None,
            "reason_text": (str(form.get("reason_text") or "").strip() or None),
            "end_date": date.fromisoformat(end) if end else None, "family_choices": _family_choices(form)}


def _family_choices(form: dict[str, Any]) -> FamilyChoices | None:
    """Issue 17: the family's choices posted (``family_secondary:<msisdn>``, ``family_bundle``), or None."""
    secondary = {k.partition(":")[2]: str(v) for k, v in form.items() if k.startswith("family_secondary:") and v}
    bundle = str(form.get("family_bundle") or "") or None
    return FamilyChoices(secondary, bundle) if secondary or bundle else None


@router.get("/lines/{index}/close")
@pooled
def close_line(request: Request, index: int) -> Response:
    s = _require(request)
    number = _line(request, s, index)
    pc = queries.precheck(simexit(request), s, number)
    accept = request.query_params.get("accept_fee") == "1"
    return render(request, "portal/precheck.html", pc=pc, index=index, msisdn=mask_msisdn(number),
                  brand=pc.facts.brand, reasons=REASON_CODES, dest_fields=DESTINATION_FIELDS, errors={},
                  family_required=required_choices(pc.facts), chosen=None, **_precheck_context(pc, accept))


def _quote_page(request: Request, s: CustomerSession, index: int, number: str, opts: dict[str, Any],
                error: str | None = None,
                step: str = "quote", confirmed: list[str] | None = None, errors: dict[str, str] | None = None,
                closed_no: str | None = None) -> Response:
    pc = queries.precheck(simexit(request), s, number, opts["end_date"], opts.get("family_choices"))
    errors = errors or {}
    return render(request, "portal/quote.html", pc=pc, index=index, msisdn=mask_msisdn(number), opts=opts,
                  lang_form="step-form",
                  brand=pc.facts.brand, consequences=required_consequences(pc.quote), error=error, step=step,
                  confirmed=confirmed or [], errors=errors, closed_no=closed_no,
                  status_code=400 if error or errors else 200)


@router.post("/lines/{index}/quote")
@pooled(form=True)
def quote(request: Request, index: int) -> Response:
    s = _require(request)
    form = posted_form(request)
    number = _line(request, s, index)
    try:
        opts = _options(queries.precheck(simexit(request), s, number), form)
        pc = queries.precheck(simexit(request), s, number, opts["end_date"], opts["family_choices"])
    except (DomainError, ValueError) as e:
        return render(request, "error.html", status_code=400, message=error_text(e) if isinstance(e, DomainError)
                      else _("Please give the date as YYYY-MM-DD."))
    if pc.quote.refund_minor > 0:
        method = opts["refund_method"]
        if not method or method not in pc.policy.refund.methods:
            return close_line_with_error(request, s, index, number, opts,
                                         {"refund": _("Please choose where the refund goes.")})
        missing = [f for f, v in opts["destination"].items() if not v]
        if missing:
            return close_line_with_error(request, s, index, number, opts, {
                f"dest_{method}_{f}": _("Please fill this in: we pay the refund there.") for f in missing})
    return _quote_page(request, s, index, number, opts, confirmed=as_list(form.get("consequence")))


def close_line_with_error(request: Request, s: CustomerSession, index: int, number: str, opts: dict[str, Any],
                          errors: dict[str, str]) -> Response:
    """The pre-check page again, each error on its field (``errors``: field id → message)."""
    pc = queries.precheck(simexit(request), s, number)
    return render(request, "portal/precheck.html", pc=pc, index=index, msisdn=mask_msisdn(number),
                  brand=pc.facts.brand, reasons=REASON_CODES, dest_fields=DESTINATION_FIELDS, errors=errors,
                  family_required=required_choices(pc.facts), chosen=opts, status_code=400,
                  **_precheck_context(pc, opts["accept_fee"]))


@router.post("/lines/{index}/confirm")
@pooled(form=True)
def confirm(request: Request, index: int) -> Response:
    """Step 1 of 2: every consequence ticked; step 2 asks for the last 6 characters of the ID number."""
    s = _require(request)
    form = posted_form(request)
    number = _line(request, s, index)
    opts = _options(queries.precheck(simexit(request), s, number), form)
    ticked = as_list(form.get("consequence"))
    pc = queries.precheck(simexit(request), s, number, opts["end_date"], opts["family_choices"])
    missing = set(required_consequences(pc.quote)) - set(ticked)
    if missing:
        return _quote_page(request, s, index, number, opts, confirmed=ticked,
                           errors={"consequences": _("Please tick every box to show you have read it.")})
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
        return _quote_page(request, s, index, number, opts, step="second_factor", confirmed=ticked,
                           errors={"id_tail": msg})
    try:
        result = commands.apply(app, s, ApplyRequest(
            msisdn=number, channel="online", identity_method="otp",
            identity_evidence={"sign_in": "sms_otp", "second_factor": "id_tail_6", "session": s.session_id},
            reason_code=opts["reason_code"], reason_text=opts["reason_text"], consequences_confirmed=ticked,
            refund_method=opts["refund_method"], refund_destination=opts["destination"] or None,
            requested_effective_date=opts["end_date"], early_termination_fee_accepted=opts["accept_fee"],
            family_choices=opts["family_choices"]))
    except DomainError as e:
        closed = _already_closed(app, s, number, e)
        if closed:
            msg = _("This line is already closed: %(no)s.") % {"no": closed}
            return _quote_page(request, s, index, number, opts, msg,
                               step="second_factor", confirmed=ticked, closed_no=closed)
        return _quote_page(request, s, index, number, opts, error_text(e), confirmed=ticked)
    return _redirect(request, f"/applications/{result.application_no}/receipt")


def _already_closed(app: Any, s: CustomerSession, number: str, e: DomainError) -> str | None:
    """The number of the application that closed this line, when a repeated submit comes after it closed."""
    if e.code != "PRECHECK_BLOCKED" or "LINE_NOT_ACTIVE" not in {f["code"] for f in e.data.get("findings", [])}:
        return None
    last = queries.last_application(app, s, number)
    return last[0] if last and last[1] in ("completed", "executing", "approved") else None


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
    return _status_page(request, _own_application(request, application_no))


WITHDRAWABLE = ("submitted", "pending_review", "approved")


def _status_page(request: Request, view: ApplicationView, error: str | None = None,
                 status_code: int = 200) -> Response:
    no = view["application_no"]
    receipt_link = receipt_url(simexit(request), "", no) if view["status"] == "completed" else None
    return render(request, "portal/status.html", view=view, brand=view["brand"], receipt_link=receipt_link,
                  p=simexit(request).policy(view["brand"]), msisdn=mask_msisdn(view["msisdn"]),
                  can_withdraw=view["status"] in WITHDRAWABLE, error=error, status_code=status_code)


@router.post("/applications/{application_no}/withdraw")
@pooled(form=True)
def withdraw(request: Request, application_no: str) -> Response:
    """The customer withdraws an application not yet being executed (the API's withdraw, from the portal)."""
    s = _require(request)
    view = _own_application(request, application_no)
    try:
        commands.withdraw(simexit(request), s, view["application_no"], channel="online")
    except DomainError:
        return _status_page(request, _own_application(request, application_no),
                            error=_("It can no longer be withdrawn: closing the line has started."), status_code=409)
    return _redirect(request, f"/applications/{view['application_no']}")


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
