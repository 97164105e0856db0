"""HTTP checks of the web layer without a browser: CSRF, cookies, staff scoping, intake, dashboard."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from simexit.asgi import create_app
from tests.e2e.conftest import STAFF_PASSWORD, create_staff
from tests.factories import make_line


@pytest.fixture
def client(app):
    with TestClient(create_app(app), base_url="https://127.0.0.1") as c:  # Secure cookies go back over https
        yield c


def _csrf(client: TestClient, path: str = "/console/sign-in") -> str:
    """The CSRF token of the form on ``path`` (derived from the session, or before sign-in from a nonce)."""
    return page_csrf(client.get(path).text)


def page_csrf(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


def _staff(client: TestClient, app, username: str, role: str, brands: list[str]) -> None:
    create_staff(app, username, STAFF_PASSWORD, role, brands)
    r = client.post("/console/sign-in", data={"csrf": _csrf(client), "username": username,
                                              "password": STAFF_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-sx_staff=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/;" in cookie and "Secure" in cookie and "Domain" not in cookie


def test_post_without_csrf_token_is_refused(client):
    client.get("/")
    r = client.post("/sign-in/code", data={"phone": "+8613900000001"})
    assert r.status_code == 403
    r = client.post("/console/sign-in", data={"csrf": "forged", "username": "x", "password": "y"})
    assert r.status_code == 403


def test_csrf_token_is_bound_to_the_session_not_to_a_planted_cookie(client, app):
    """Issue 12, item 8: an attacker-chosen sx_csrf cookie with the same value in the form is refused; a signed-in
    console form's token is derived from the session, so another session's token is refused too."""
    line = make_line(app, "hansanet", balance=0)
    _staff(client, app, "clerk3", "store_clerk", ["hansanet"])
    good = _csrf(client, "/console/intake")
    client.cookies.set("sx_csrf", "attacker-chosen-value", domain="127.0.0.1")
    r = client.post("/console/intake", data={"csrf": "attacker-chosen-value", "channel": "store",
                                             "phone": line["msisdn"]})
    assert r.status_code == 403
    r = client.post("/console/intake", data={"csrf": good, "channel": "store", "phone": line["msisdn"]})
    assert r.status_code == 200 and "NO_REACTIVATION" in r.text
    # The token of another staff session (and the nonce's token before sign-in) does not fit this session.
    with TestClient(client.app, base_url="https://127.0.0.1") as other:
        anonymous = _csrf(other)
        _staff(other, app, "clerk4", "store_clerk", ["hansanet"])
        foreign = _csrf(other, "/console/intake")
    for token in (foreign, anonymous):
        r = client.post("/console/intake", data={"csrf": token, "channel": "store", "phone": line["msisdn"]})
        assert r.status_code == 403
    # A planted cookie does not help on an anonymous form either.
    with TestClient(client.app, base_url="https://127.0.0.1") as fresh:
        fresh.cookies.set("sx_csrf", "planted", domain="127.0.0.1")
        assert fresh.post("/sign-in/code", data={"csrf": "planted", "phone": "+8613900000001"}).status_code == 403


def test_console_needs_sign_in_and_shows_only_own_brands(client, app):
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/sign-in"
    _staff(client, app, "clerk1", "store_clerk", ["hansanet"])
    page = client.get("/console").text
    assert '<option value="hansanet" ' in page and 'value="baohao"' not in page


def test_store_clerk_intake_records_identity_check(client, app):
    line = make_line(app, "hansanet", balance=0)
    _staff(client, app, "clerk2", "store_clerk", ["hansanet"])
    csrf = _csrf(client, "/console/intake")
    r = client.post("/console/intake", data={"csrf": csrf, "channel": "hotline", "phone": line["msisdn"]})
    assert r.status_code == 403  # a store clerk does not take hotline applications
    r = client.post("/console/intake", data={"csrf": csrf, "channel": "store", "phone": line["msisdn"]})
    assert r.status_code == 200 and "NO_REACTIVATION" in r.text
    r = client.post("/console/intake", follow_redirects=True, data={
        "csrf": csrf, "channel": "store", "phone": line["msisdn"], "step": "submit",
        "identity_method": "id_document_inspected", "document_last4": "1234", "evidence_note": "passport seen",
        "consequence": ["NO_REACTIVATION", "DATA_ERASURE"]})
    assert r.status_code == 200, r.text
    assert re.search(r"Application SX-[0-9A-Z-]+", r.text)
    assert "ID document inspected in person" in r.text and "passport seen" in r.text and "1234" in r.text


def test_dashboard_renders_svg_charts(client, app):
    _staff(client, app, "sup", "supervisor", ["*"])
    r = client.get("/console/dashboard", headers={"accept-language": "zh-CN"})
    assert r.status_code == 200
    assert r.text.count("<svg") == 2 and "各品牌审核时效达标率" in r.text


def test_language_from_header_cookie_and_switch(client):
    assert "Meinen Anschluss kündigen" in client.get("/", headers={"accept-language": "de-DE,en;q=0.8"}).text
    assert "Close my line" in client.get("/", headers={"accept-language": "fr-FR,en;q=0.8"}).text
    assert "注销号码" in client.get("/", headers={"accept-language": "zh-CN,zh;q=0.9"}).text
    r = client.get("/lang/zh-CN?next=//evil.example/", follow_redirects=False)
    assert r.headers["location"] == "/"
    assert "注销号码" in client.get("/", headers={"accept-language": "en"}).text  # the cookie wins


def test_htmx_is_served_from_the_package(client):
    r = client.get("/static/vendor/htmx-2.0.11.min.js")
    assert r.status_code == 200 and len(r.content) == 52182


def test_console_shows_audit_entries_and_reports_scoped_to_brands(site, live_server):
    """An application's page lists its audit entries; the reports page charts and exports only own brands."""
    import httpx

    from simexit.services.closure.applications import ApplyRequest, apply
    from simexit.services.closure.precheck import precheck
    from tests.e2e.conftest import create_staff
    from tests.factories import make_line

    lines = {b: make_line(site, b)["msisdn"] for b in ("liuliang", "roamly")}
    numbers = {}
    for b, m in lines.items():
        pc = precheck(site, m)
        refund = next(x for x in pc.policy.refund.methods if x in ("original_payment", "account_credit"))
        numbers[b] = apply(site, ApplyRequest(msisdn=m, channel="online", identity_method="otp",
                                              consequences_confirmed=list(pc.to_dict()["consequences"]),
                                              refund_method=refund)).application_no
    create_staff(site, "sup", STAFF_PASSWORD, "supervisor", ["liuliang"])
    with httpx.Client(base_url=live_server) as c:
        page = c.get("/console/sign-in")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        r = c.post("/console/sign-in", data={"username": "sup", "password": STAFF_PASSWORD, "csrf": csrf})
        assert r.status_code in (200, 303)
        page = c.get(f"/console/applications/{numbers['liuliang']}")
        assert page.status_code == 200 and 'id="audit"' in page.text
        assert "Application received" in page.text and "application.submitted" not in page.text  # in words
        report = c.get("/console/reports", params={"name": "applications", "start": "2026-11-01",
                                                   "end": "2026-11-30"})
        assert report.status_code == 200 and "<svg" in report.text
        assert "Liuliang" in report.text and "Roamly" not in report.text  # the brands' names
        csv = c.get("/console/reports.csv", params={"name": "applications", "start": "2026-11-01",
                                                    "end": "2026-11-30"})
        assert csv.headers["content-type"].startswith("text/csv")
        assert "liuliang" in csv.text and "roamly" not in csv.text
        assert c.get("/console/reports", params={"name": "nope"}).status_code == 404
        assert c.get(f"/console/applications/{numbers['roamly']}").status_code == 404


@pytest.mark.parametrize("method", ["otp", "esim_app_session", "email_link"])
def test_console_intake_refuses_self_service_identity_methods_like_the_api(client, app, method):
    """A clerk cannot record a self-service check (a code to the line, an app session) for a store application:
    the console answers as the API does (IDENTITY_METHOD_NOT_ALLOWED) and nothing is stored."""
    from simexit.store.tables import applications
    from tests.e2e.conftest import bearer, staff_token

    line = make_line(app, "hansanet", balance=0)
    _staff(client, app, "clerk3", "store_clerk", ["hansanet"])
    csrf = _csrf(client, "/console/intake")
    r = client.post("/console/intake", follow_redirects=False, data={
        "csrf": csrf, "channel": "store", "phone": line["msisdn"], "step": "submit",
        "identity_method": method, "evidence_note": "code read out", "consequence": ["NO_REACTIVATION",
                                                                                       "DATA_ERASURE"]})
    assert r.status_code == 400, r.text
    assert "self-service check" in r.text
    api = client.post("/api/v1/staff/applications", headers=bearer(staff_token(client, app, "clerk4", "store_clerk",
                                                                                 ["hansanet"])),
                      json={"msisdn": line["msisdn"], "channel": "store", "identity_method": method,
                            "consequences_confirmed": ["NO_REACTIVATION", "DATA_ERASURE"]})
    assert api.status_code == 422  # the API's schema already refuses it (VALIDATION_FAILED)
    from simexit.domain.errors import DomainError
    from simexit.domain.roles import Role
    from simexit.services.access.caller import StaffIdentity
    from simexit.services.closure import commands

    who = StaffIdentity(id=0, username="clerk5", display_name="clerk5",
                                   role=Role.STORE_CLERK, brands=("hansanet",))
    with pytest.raises(DomainError) as refused:
        commands.apply(app, who, commands.ApplyRequest(msisdn=line["msisdn"], channel="store", identity_method=method,
                                                       consequences_confirmed=["NO_REACTIVATION", "DATA_ERASURE"]))
    assert refused.value.code == "IDENTITY_METHOD_NOT_ALLOWED"
    with app.db.read() as conn:
        assert conn.execute(applications.select()).first() is None


def _public_application(client, app) -> tuple[str, str]:
    from sqlalchemy import select

    from simexit.store.tables import outbox

    m = make_line(app, "hansanet")["msisdn"]
    r = client.post("/api/v1/public/cancellations", json={
        "kind": "ordinary", "customer_name": "Test User", "msisdn": m, "email": "test@example.com"})
    with app.db.read() as c:
        code = c.execute(select(outbox.c.payload).where(outbox.c.template == "cancellation_code")).scalar_one()["code"]
    url = f"/api/v1/public/cancellations/{r.json()['request_no']}/confirm"
    quote = client.post(url, json={"code": code}).json()
    number = client.post(url, json={"code": code, "consequences_confirmed": list(quote["consequences"])}
                         ).json()["application_no"]
    return number, m


def test_status_page_shows_what_the_api_shows_and_no_timeline(client, app):
    """One public status look-up: the page shows the API's fields — status, brand, dates — and no timeline,
    no notes, no number."""
    number, m = _public_application(client, app)
    csrf = _csrf(client, "/status")
    api = client.post("/api/v1/public/application-status", json={"application_no": number, "line_last4": m[-4:]})
    assert api.status_code == 200 and set(api.json()) == {
        "application_no", "status", "brand", "submitted_at", "updated_at", "review_due_at", "effective_date"}
    page = client.post("/status", data={"csrf": csrf, "application_no": number, "last4": m[-4:]})
    assert page.status_code == 200, page.text
    assert number in page.text and 'data-testid="status"' in page.text
    assert 'class="timeline"' not in page.text and "Timeline" not in page.text
    assert m[-8:-4] not in page.text  # not even the masked line


def test_status_page_and_api_share_one_lock_after_five_wrong_answers(client, app):
    number, m = _public_application(client, app)
    csrf = _csrf(client, "/status")
    wrong = [f"{(int(m[-4:]) + i) % 10000:04d}" for i in range(1, 6)]
    for w in wrong[:3]:
        assert client.post("/status", data={"csrf": csrf, "application_no": number, "last4": w}).status_code == 400
    for w in wrong[3:]:
        r = client.post("/api/v1/public/application-status", json={"application_no": number, "line_last4": w})
        assert r.status_code == 404
    r = client.post("/api/v1/public/application-status", json={"application_no": number, "line_last4": m[-4:]})
    assert r.status_code == 429
    page = client.post("/status", data={"csrf": csrf, "application_no": number, "last4": m[-4:]})
    assert page.status_code == 400 and "Too many" in page.text and number not in page.text.split("</form>")[-1]
