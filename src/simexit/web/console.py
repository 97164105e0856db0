"""The staff console under /console: sign-in by role, the review queue, an application's page with
approve/reject, intake for the staff channels, and the dashboard. Staff see only their brands."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from simexit.domain.consequences import required_consequences
from simexit.domain.errors import DomainError
from simexit.domain.identifiers import example_number, read_msisdn
from simexit.domain.identity import IdentityMethod
from simexit.domain.intake import DESTINATION_FIELDS, REASON_CODES
from simexit.domain.roles import Permission, intake_channels
from simexit.domain.state_machine import REJECTION_REASONS
from simexit.services.access import commands as access
from simexit.services.access import queries as access_queries
from simexit.services.access.caller import Public, StaffIdentity
from simexit.services.bulk import commands as bulk
from simexit.services.bulk.queue_decisions import QueueFilter
from simexit.services.closure import commands, queries
from simexit.services.closure.commands import ApplyRequest
from simexit.services.closure.precheck import phone_regions
from simexit.services.closure.views import StaffApplicationView
from simexit.services.context import Simexit
from simexit.services.execution import commands as execution
from simexit.services.execution import queries as execution_queries
from simexit.services.privacy import queries as privacy_queries
from simexit.services.reports import REPORTS, Report, build_report, to_csv
from simexit.web.charts import STATE_COLOURS, per_day_chart, report_chart, sla_chart
from simexit.web.i18n import _
from simexit.web.labels import error_text, report_column_label
from simexit.web.phone import Reading, country_name, reading
from simexit.web.rendering import (
    as_list,
    brand_name,
    client_address,
    finish,
    pooled,
    posted_form,
    render,
    secure_cookies,
    simexit,
    staff_cookie,
)

router = APIRouter(prefix="/console", include_in_schema=False)
STATES = ("submitted", "pending_review", "approved", "executing", "completed", "rejected", "withdrawn",
          "needs_attention")
# The checks a member of staff records (commands.apply refuses self-service ones such as "otp" from staff).
STAFF_METHODS = ("id_document_inspected", "service_password", "id_copy_mailed", "id_number")


def _who(request: Request) -> StaffIdentity:
    who = access_queries.staff_session(simexit(request), request.cookies.get(staff_cookie(request)))
    if who is None:
        raise HTTPException(status_code=303, headers={"Location": "/console/sign-in"})
    return who


def _redirect(request: Request, url: str) -> Response:
    r = RedirectResponse(url, status_code=303)
    finish(request, r)
    return r


def _page(request: Request, template: str, who: StaffIdentity | None, **ctx: Any) -> Response:
    return render(request, template, who=who, Permission=Permission, brand=False, **ctx)


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    return _page(request, "console/sign_in.html", None)


@router.post("/sign-in")
@pooled(form=True)
def sign_in(request: Request) -> Response:
    form = posted_form(request)
    try:
        token = access.sign_in_staff(simexit(request), Public(client_address(request)),
                                     str(form.get("username") or ""), str(form.get("password") or ""),
                                     str(form.get("totp") or "") or None).token
    except DomainError as e:
        msg = _("Too many failed sign-ins. Try again later.") if e.code == "SIGN_IN_LOCKED" else \
            _("User name, password or code is wrong.")
        return _page(request, "console/sign_in.html", None, error=msg, username=form.get("username"),
                     status_code=401)
    r = _redirect(request, "/console")
    r.set_cookie(staff_cookie(request), token, httponly=True, samesite="strict", path="/", max_age=10 * 3600,
                 secure=secure_cookies(request))
    return r


@router.post("/sign-out")
@pooled(form=True)
def sign_out(request: Request) -> Response:
    who = access_queries.staff_session(simexit(request), request.cookies.get(staff_cookie(request)))
    if who is not None:
        access.sign_out_staff(simexit(request), who)
    r = _redirect(request, "/console/sign-in")
    r.delete_cookie(staff_cookie(request), path="/", secure=secure_cookies(request), httponly=True,
                    samesite="strict")
    return r


WAITING = ("", "submitted", "pending_review")  # the queue's states on which a selection may be decided


def _queue_page(request: Request, who: StaffIdentity, f: dict[str, str], status_code: int = 200,
                **ctx: Any) -> Response:
    state = f["state"]
    states = (state,) if state in STATES else ("submitted", "pending_review")
    items = queries.review_queue(simexit(request), who, brand=f["brand"] or None, channel=f["channel"] or None,
                                 states=states, reason=f["reason"] or None, search=f["q"] or None)
    brands = [b for b in sorted(simexit(request).policies) if who.sees_brand(b)]
    return _page(request, "console/queue.html", who, items=items, brands=brands, states=STATES,
                 channels=("online", "app", "hotline", "chat", "store", "mail"), reasons=REASON_CODES, f=f,
                 rejection_reasons=REJECTION_REASONS,
                 can_decide=who.can(Permission.REVIEW) and state in WAITING and bool(items),
                 zones={c: p.brand.time_zone for c, p in simexit(request).policies.items()},
                 status_code=status_code, **ctx)


def _filter_of(values: Any) -> dict[str, str]:
    return {k: str(values.get(k) or "").strip()[:80] for k in ("brand", "channel", "state", "reason", "q")}


@router.get("")
@pooled
def queue(request: Request) -> Response:
    who = _who(request)
    done = None
    qp = request.query_params
    if qp.get("decision") in ("approve", "reject") and qp.get("decided", "").isdigit():
        done = {"decision": qp["decision"], "decided": int(qp["decided"]),
                "excluded": int(qp.get("excluded") or 0) if (qp.get("excluded") or "0").isdigit() else 0,
                "refused": int(qp.get("refused") or 0) if (qp.get("refused") or "0").isdigit() else 0}
    return _queue_page(request, who, _filter_of(qp), done=done)


@router.post("/queue/decide")
@pooled(form=True)
def decide_selection(request: Request) -> Response:
    """A reviewer's decision on the filtered queue's applications shown, but the ones ticked "leave out"."""
    who = _who(request)
    form = posted_form(request)
    f = _filter_of(form)
    if not who.can(Permission.REVIEW):
        raise HTTPException(status_code=403, detail=_("Your role may not review applications."))
    decision = str(form.get("decision") or "")
    try:
        result = bulk.decide_queue_selection(
            simexit(request), who, QueueFilter(brand=f["brand"] or None, channel=f["channel"] or None,
                                               reason=f["reason"] or None, search=f["q"] or None),
            decision, reasons=as_list(form.get("reject_reason")), note=str(form.get("note") or ""),
            exclude=as_list(form.get("exclude")), shown=as_list(form.get("shown")))
    except DomainError as e:
        msg = {"REJECTION_REASON_REQUIRED": _("Choose at least one reason for the rejection."),
               "REJECTION_NOTE_REQUIRED": _("The reason “Other” needs a note the customer can read."),
               "SELECTION_EMPTY": _("Nothing is left to decide: every application shown is left out."),
               "DECISION_UNKNOWN": _("Choose approve or reject."),
               "SELECTION_TOO_LARGE": _("Too many applications match: narrow the filter.")}.get(e.code, error_text(e))
        return _queue_page(request, who, f, status_code=400, bulk_error=msg,
                           excluded=set(as_list(form.get("exclude"))))
    query = {k: v for k, v in f.items() if v}
    query.update(decision=result.decision, decided=str(len(result.decided)), excluded=str(len(result.excluded)),
                 refused=str(len(result.refused)))
    return _redirect(request, "/console?" + urlencode(query))


def _application(request: Request, who: StaffIdentity, application_no: str) -> StaffApplicationView:
    try:
        return queries.application_for_staff(simexit(request), who, application_no)
    except DomainError:
        raise HTTPException(status_code=404, detail=_("No such application.")) from None


def _application_page(request: Request, who: StaffIdentity, view: StaffApplicationView, status_code: int = 200,
                      **ctx: Any) -> Response:
    app = simexit(request)
    return _page(request, "console/application.html", who, view=view, reasons=REJECTION_REASONS,
                 p=app.policy(view["brand"]), failed=execution_queries.failed_step(app, who, view["application_no"]),
                 may_reopen=who.can(execution.REOPEN_PERMISSION),
                 audit=privacy_queries.audit_entries(app, who, view["application_no"]), status_code=status_code,
                 **ctx)


@router.get("/applications/{application_no}")
@pooled
def application_page(request: Request, application_no: str) -> Response:
    who = _who(request)
    view = _application(request, who, application_no)
    reopened = request.query_params.get("reopened")
    return _application_page(request, who, view, reopened=reopened if reopened in ("retry", "confirm") else None)


@router.get("/applications/{application_no}/receipt")
@pooled
def receipt_page(request: Request, application_no: str) -> Response:
    """The receipt a clerk prints and hands over at the counter: the number, what happens next, how to follow
    it, and that staff never ask for codes."""
    who = _who(request)
    view = _application(request, who, application_no)
    app = simexit(request)
    return _page(request, "console/receipt.html", who, view=view, p=app.policy(view["brand"]),
                 status_url=app.public_base_url.rstrip("/") + "/status")


@router.post("/applications/{application_no}/decide")
@pooled(form=True)
def decide(request: Request, application_no: str) -> Response:
    who = _who(request)
    form = posted_form(request)
    view = _application(request, who, application_no)
    if not who.can(Permission.REVIEW):
        raise HTTPException(status_code=403, detail=_("Your role may not review applications."))
    note = str(form.get("note") or "").strip() or None
    try:
        if form.get("decision") == "approve":
            commands.approve(simexit(request), who, view["application_no"], note, channel="console")
        else:
            commands.reject(simexit(request), who, view["application_no"], as_list(form.get("reason")), note,
                            channel="console")
    except DomainError as e:
        return _application_page(request, who, view, error=error_text(e), status_code=400)
    return _redirect(request, f"/console/applications/{view['application_no']}")


def _reopen(request: Request, application_no: str, *, confirm: bool) -> Response:
    """A supervisor puts a closure in needs_attention back to work from its page: the step runs again (retry),
    or runs again taking the outside state as confirmed (confirm). A refusal shows the page again with why and
    changes nothing; after the change the page is shown by redirect, so a reload does not post again, and a
    second post finds the closure no longer waiting (409)."""
    who = _who(request)
    form = posted_form(request)
    view = _application(request, who, application_no)  # another brand's: not found, before the role
    if not who.can(execution.REOPEN_PERMISSION):
        raise HTTPException(status_code=403, detail=_("Your role may not put a closure back to work."))
    note = str(form.get("note") or "").strip()[:2000] or None
    try:
        if confirm:
            execution.confirm_outside_state(simexit(request), who, view["application_no"], note or "")
        else:
            execution.retry(simexit(request), who, view["application_no"], note)
    except DomainError as e:
        status = e.status if 400 <= e.status < 500 else 400
        msg = _("This closure is not waiting for a supervisor (any more): it may have been put back to work "
                "already.") if e.code == "TRANSITION_NOT_ALLOWED" else error_text(e)
        fresh = _application(request, who, view["application_no"])
        return _application_page(request, who, fresh, error=msg, status_code=status, note=note,
                                 failed_form="confirm" if confirm else "retry")
    return _redirect(request, f"/console/applications/{view['application_no']}?reopened="
                              f"{'confirm' if confirm else 'retry'}")


@router.post("/applications/{application_no}/retry")
@pooled(form=True)
def retry_step(request: Request, application_no: str) -> Response:
    return _reopen(request, application_no, confirm=False)


@router.post("/applications/{application_no}/confirm-state")
@pooled(form=True)
def confirm_outside_state(request: Request, application_no: str) -> Response:
    return _reopen(request, application_no, confirm=True)


@router.get("/intake")
@pooled
def intake_form(request: Request) -> Response:
    who = _who(request)
    return _page(request, "console/intake.html", who, channels=intake_channels(who.role), step="number")


def staff_phone_regions(app: Simexit, who: StaffIdentity) -> list[str]:
    """Where the console reads a number typed without +country: the regions of the staff member's brands."""
    brands = list(app.policies) if "*" in who.brands else [b for b in who.brands if b in app.policies]
    return list(dict.fromkeys(app.policy(b).brand.phone_region for b in brands)) or phone_regions(app)


def _read_phone(app: Simexit, who: StaffIdentity, typed: str, chosen: str | None
                ) -> tuple[str | None, tuple[Reading, ...], str | None]:
    """(E.164, readings to choose from, error on the field): a national number in the staff member's regions."""
    regions = staff_phone_regions(app, who)
    try:
        return read_msisdn(typed, regions, served=phone_regions(app)), (), None
    except DomainError as e:
        if e.code == "MSISDN_AMBIGUOUS":
            readings = list(e.data.get("readings", []))
            if chosen in readings:
                return chosen, (), None
            return None, tuple(reading(r) for r in readings), _(
                "This number fits more than one country: choose one below, or type it with +country.")
        if not e.code.startswith("MSISDN"):
            raise
        examples = "; ".join(f"{country_name(r)}: {example_number(r)}" for r in regions)
        if e.code == "MSISDN_COUNTRY_NOT_SERVED":
            served = ", ".join(country_name(r) for r in phone_regions(app))
            return None, (), _("We only close lines with numbers from %(countries)s. Please type the number like "
                               "this: %(examples)s") % {"countries": served, "examples": examples}
        return None, (), _("That is not a phone number we can read. Please type it like this: %(examples)s") % {
            "examples": examples}


@router.post("/intake")
@pooled(form=True)
def intake(request: Request) -> Response:
    who = _who(request)
    form = posted_form(request)
    app = simexit(request)
    channels = intake_channels(who.role)
    channel = str(form.get("channel") or "")
    phone = str(form.get("phone") or "").strip()
    if not who.can(Permission.APPLY_ON_BEHALF) or channel not in channels:
        raise HTTPException(status_code=403, detail=_("Your role may not take applications on this channel."))
    ctx: dict[str, Any] = dict(channels=channels, channel=channel, phone=phone, methods=STAFF_METHODS,
                               reasons=REASON_CODES, dest_fields=DESTINATION_FIELDS, form=form)
    number, readings, phone_error = _read_phone(app, who, phone, str(form.get("phone_reading") or "") or None)
    if number is None:
        return _page(request, "console/intake.html", who, step="number", phone_error=phone_error,
                     readings=readings, status_code=400, **ctx)
    try:
        pc = queries.precheck(app, who, number)  # a line of another brand is "not found", as in the API
    except DomainError as e:
        return _page(request, "console/intake.html", who, step="number", error=error_text(e), status_code=400, **ctx)
    # From here on the field holds the number as understood (E.164), so the next post reads it the same way.
    ctx.update(pc=pc, phone=pc.facts.msisdn, understood=reading(pc.facts.msisdn),
               consequences=required_consequences(pc.quote))
    if form.get("step") != "submit":
        return _page(request, "console/intake.html", who, step="details", **ctx)
    method = str(form.get("identity_method") or "")
    evidence = {"checked_by": who.username, "note": str(form.get("evidence_note") or "").strip()}
    if method == IdentityMethod.ID_DOCUMENT_INSPECTED:
        evidence["document_last4"] = str(form.get("document_last4") or "").strip()[-4:]
    refund_method = str(form.get("refund_method") or "") or None
    try:
        result = commands.apply(app, who, ApplyRequest(
            msisdn=pc.facts.msisdn, channel=channel, identity_method=method, identity_evidence=evidence,
            id_number=str(form.get("id_number") or "") or None if method == "id_number" else None,
            reason_code=str(form.get("reason_code") or "") or None,
            reason_text=str(form.get("reason_text") or "").strip() or None,
            consequences_confirmed=as_list(form.get("consequence")), refund_method=refund_method,
            refund_destination={f: str(form.get(f"dest_{refund_method}_{f}") or "") for f in DESTINATION_FIELDS.get(
                refund_method or "", ())} or None))
    except DomainError as e:
        return _page(request, "console/intake.html", who, step="details", error=error_text(e), status_code=400, **ctx)
    return _redirect(request, f"/console/applications/{result.application_no}")


def _report(request: Request, who: StaffIdentity, name: str, start: str, end: str) -> Report:
    if not who.can(Permission.VIEW_REPORTS):
        raise HTTPException(status_code=403, detail=_("Your role may not see reports."))
    if name not in REPORTS:
        raise HTTPException(status_code=404, detail=_("No such report."))
    today = simexit(request).clock.now().date()
    try:
        lo = date.fromisoformat(start) if start else today - timedelta(days=30)
        hi = date.fromisoformat(end) if end else today
    except ValueError:
        raise HTTPException(status_code=400, detail=_("Dates are written YYYY-MM-DD.")) from None
    return build_report(simexit(request), who, name, lo, hi)  # the rows of the caller's brands only


@router.get("/reports")
@pooled
def reports_page(request: Request, name: str = "applications", start: str = "", end: str = "") -> Response:
    who = _who(request)
    report = _report(request, who, name, start, end)
    return _page(request, "console/reports.html", who, report=report.to_dict(), names=REPORTS,
                 chart=report_chart(_brands_named(request, report.to_dict())))


@router.get("/reports.csv")
@pooled
def reports_csv(request: Request, name: str = "applications", start: str = "", end: str = "") -> Response:
    report = _report(request, _who(request), name, start, end)
    return Response(to_csv(report), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="simexit-{name}-{report.start}-{report.end}.csv"'})


@router.get("/dashboard")
@pooled
def dashboard_page(request: Request) -> Response:
    who = _who(request)
    if not who.can(Permission.VIEW_REPORTS):
        raise HTTPException(status_code=403, detail=_("Your role may not see reports."))
    data = queries.dashboard(simexit(request), who)
    return _page(request, "console/dashboard.html", who, data=data, per_day_svg=per_day_chart(data["days"]),
                 sla_svg=sla_chart([{**r, "brand": brand_name(request, r["brand"])} for r in data["sla"]]),
                 colours=STATE_COLOURS)


def _brands_named(request: Request, report: dict[str, Any]) -> dict[str, Any]:
    """The report with each brand's name instead of its code (the chart's labels)."""
    if "brand" not in report["columns"]:
        return report
    b = report["columns"].index("brand")
    rows = [[brand_name(request, v) if i == b else v for i, v in enumerate(r)] for r in report["rows"]]
    return {**report, "rows": rows, "columns": [report_column_label(c) for c in report["columns"]]}
