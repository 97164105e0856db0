"""Jinja2 templates with gettext, the CSRF token and the page's brand context."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import HTTPException
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from simexit.services.context import Simexit
from simexit.web import i18n, labels

TEMPLATES = Path(__file__).parent / "templates"
CSRF_COOKIE = "sx_csrf"  # a random nonce that binds the forms shown before sign-in
CUSTOMER_COOKIE = "sx_session"  # the portal's session (simexit.web.portal)
STAFF_COOKIE = "__Host-sx_staff"  # the console's session (simexit.web.console)
STAFF_COOKIE_PLAIN = "sx_staff"  # the same with SIMEXIT_COOKIE_SECURE=false: __Host- needs Secure
BRAND_COOKIE = "brand"

env = Environment(loader=FileSystemLoader(str(TEMPLATES)), extensions=["jinja2.ext.i18n"],
                  autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
env.install_gettext_callables(gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
env.filters.update(money=i18n.money, day=i18n.day, moment=i18n.moment, localized=i18n.localized,
                   status=labels.status_label, event=labels.event_label, channel=labels.channel_label,
                   kind=labels.kind_label, reason=labels.reason_label, refund_method=labels.refund_method_label,
                   refund_field=labels.refund_field_label, identity_method=labels.identity_method_label,
                   severity=labels.severity_label, record_set=labels.record_set_label,
                   evidence_key=labels.evidence_key_label, evidence_value=labels.evidence_value_label,
                   id_type=labels.id_type_label, actor=labels.actor_label, consequence=labels.consequence_label,
                   note=labels.note_label, finding=labels.finding_label, citation=labels.citation_label,
                   role=labels.role_label, report_name=labels.report_name_label,
                   report_column=labels.report_column_label, report_cell=labels.report_cell_label,
                   audit_action=labels.audit_action_label, step=labels.step_label,
                   step_error=labels.step_error_label)


def simexit(request: Request) -> Simexit:
    return request.app.state.simexit


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def secure_cookies(request: Request) -> bool:
    """Session cookies carry ``Secure`` (and the console's the ``__Host-`` prefix) unless SIMEXIT_COOKIE_SECURE is
    false (a plain-HTTP demo on 127.0.0.1)."""
    settings = getattr(request.app.state, "api_settings", None)
    return bool(getattr(settings, "cookie_secure", True))


def staff_cookie(request: Request) -> str:
    """The console session's cookie: ``__Host-`` (Secure, Path=/, no Domain: no subdomain can set or shadow it)."""
    return STAFF_COOKIE if secure_cookies(request) else STAFF_COOKIE_PLAIN


def _csrf_binding(request: Request) -> str:
    """What a form's CSRF token is bound to: the session (the console's on /console, the customer's elsewhere),
    or before sign-in a random nonce in the ``sx_csrf`` cookie."""
    session = request.cookies.get(staff_cookie(request) if request.url.path.startswith("/console")
                                  else CUSTOMER_COOKIE)
    if session:
        return f"session:{session}"
    nonce = getattr(request.state, "csrf_nonce", None) or request.cookies.get(CSRF_COOKIE)
    if not nonce:
        nonce = secrets.token_urlsafe(24)
    request.state.csrf_nonce = nonce
    return f"nonce:{nonce}"


def csrf_token(request: Request) -> str:
    """HMAC(secret key, binding): a cookie an attacker plants, with the same value in the form, is no token."""
    token = getattr(request.state, "csrf", None)
    if token is None:
        key = simexit(request).secret_key.encode()
        token = hmac.new(key, f"csrf:{_csrf_binding(request)}".encode(), hashlib.sha256).hexdigest()
        request.state.csrf = token
    return token


async def form_with_csrf(request: Request) -> dict[str, Any]:
    """The posted form, after checking its CSRF token against the one derived from this request's session."""
    form = await request.form()
    sent = str(form.get("csrf") or "")
    if not hmac.compare_digest(sent.encode(), csrf_token(request).encode()):
        raise HTTPException(status_code=403, detail="the form expired; reload the page and try again")
    data: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key in data:
            data[key] = [*data[key], value] if isinstance(data[key], list) else [data[key], value]
        else:
            data[key] = value
    return data


def pooled(handler: Callable[..., Any] | None = None, *, form: bool = False) -> Any:
    """Run a synchronous page handler in the API's bounded thread pool (``api/threads.py``), never on the event
    loop: its use cases (argon2, the database) would stall every other request. With ``form=True`` the posted
    form is read and its CSRF token checked first, on the loop; the handler takes it with ``posted_form``."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(fn)
        async def run(request: Request, *args: Any, **kwargs: Any) -> Any:
            lang = None
            if form:
                request.state.form = await form_with_csrf(request)
                lang = request.state.form.get("set_lang")  # a language button of a page reached by POST
                if lang in i18n.LOCALES:
                    i18n.current_locale.set(lang)
                    i18n.locale_chosen.set(True)
            response = await request.app.state.api_runner(functools.partial(fn, request, *args, **kwargs))
            if lang in i18n.LOCALES and isinstance(response, Response):
                response.set_cookie("lang", str(lang), max_age=365 * 86400, samesite="lax", httponly=True)
            return response

        return run

    return wrap(handler) if handler is not None else wrap


def posted_form(request: Request) -> dict[str, Any]:
    """The form that ``pooled(form=True)`` read and checked."""
    return request.state.form


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def page_brand(request: Request) -> str | None:
    code = request.query_params.get("brand") or request.cookies.get(BRAND_COOKIE)
    return code if code in simexit(request).policies else None


def cancel_label(request: Request, brand: str | None) -> str:
    """The cancellation button's label; German brands use the wording BGB §312k prescribes."""
    if brand and simexit(request).policy(brand).brand.jurisdiction == "DE":
        return "Verträge hier kündigen"
    return i18n.gettext("Cancel contract here")


def brand_name(request: Request, code: str | None) -> str:
    """A brand as customers and staff know it (its Chinese name on zh-CN pages), never its code."""
    policy = simexit(request).policies.get(code) if code else None
    if policy is None:
        return code or ""
    return policy.brand.name_zh if i18n.current_locale.get() == "zh-CN" and policy.brand.name_zh \
        else policy.brand.name


def page_locales(policy: Any) -> dict[str, str]:
    """The language switch: the brand's own locales first, in its order, then the others."""
    order = [loc for loc in (policy.brand.locales if policy else ()) if loc in i18n.LOCALE_NAMES]
    order += [loc for loc in i18n.LOCALES if loc not in order]
    return {loc: i18n.LOCALE_NAMES[loc] for loc in order}


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    brand = context.pop("brand", None)
    brand = None if brand is False else brand or page_brand(request)
    policy = simexit(request).policies.get(brand) if brand else None
    token = None
    if policy is not None and not i18n.locale_chosen.get() and policy.brand.locales:
        token = i18n.current_locale.set(policy.brand.locales[0])  # nobody chose: the brand's own language
    try:
        loc = i18n.current_locale.get()
        ctx = {"request": request, "locale": loc, "locales": page_locales(policy), "csrf": csrf_token(request),
               "brand": brand, "policy": policy, "cancel_label": cancel_label(request, brand),
               "brand_name": functools.partial(brand_name, request),
               "path": request.url.path, "query": request.url.query, **context}
        html = env.get_template(template).render(ctx)
    finally:
        if token is not None:
            i18n.current_locale.reset(token)
    response = HTMLResponse(html, status_code=status_code)
    finish(request, response)
    if request.query_params.get("brand") == brand and brand:
        response.set_cookie(BRAND_COOKIE, brand, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def finish(request: Request, response: Any) -> None:
    """Set the CSRF nonce cookie if this request made one, and the security headers."""
    nonce = getattr(request.state, "csrf_nonce", None)
    if nonce and request.cookies.get(CSRF_COOKIE) != nonce:
        response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=secure_cookies(request))
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
