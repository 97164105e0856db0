"""Issue 14, items 8 and 9: no page of the portal, the public form, the help or the console shows a raw code, an
untranslated message id or English text to a zh-CN or German reader. The rendered HTML of many page states is
scanned (tests/e2e/text_scan.py): every demo brand's customers through sign-in, pre-check, quote, confirmation,
refusal, receipt, status and timeline of a closed line and its certificate; the console's queue, applications
(with identity evidence; stopped at a failed step, retried, confirmed, refused), intake, dashboard and reports;
help for every brand; the public forms; error pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select, update

from simexit.asgi import create_app
from simexit.demo.data import SITUATIONS, demo_id_number, demo_msisdn, load_demo
from simexit.domain.intake import DESTINATION_FIELDS
from simexit.services.closure.views import mask_technical
from simexit.services.execution.receipts import receipt_url
from simexit.services.execution.refunds import record_refund
from simexit.store import applications_repo
from simexit.store.tables import applications, lines
from simexit.store.tables_worker import saga_steps
from tests.e2e.conftest import STAFF_PASSWORD, create_staff, last_code
from tests.e2e.text_scan import problems

BRANDS = ("roamly", "globetalk", "baohao", "liuliang", "hansanet", "huaxin")
DEST_VALUES = {"iban_or_account": "DE89370400440532013000", "holder": "Li Wei", "account": "13800000000"}


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


class Scan:
    """Collects what is wrong on every page it is shown."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.found: dict[str, list[str]] = {}
        self.pages = 0

    def check(self, where: str, r, allowed: set[str] | None = None) -> str:
        assert r.headers["content-type"].startswith("text/html"), (where, r.status_code, r.text[:300])
        self.pages += 1
        bad = problems(r.text, self.locale, allowed or set())
        if bad:
            self.found[where] = bad
        return r.text


_ADDRESSES = iter(range(1, 60000))


def _browser(app, locale: str) -> TestClient:
    """A browser of its own address (sign-in limits count per address)."""
    n = next(_ADDRESSES)
    c = TestClient(create_app(app), base_url="https://127.0.0.1", client=(f"10.{n // 250}.{n % 250}.1", 50000))
    c.headers.update({"accept": "text/html,application/xhtml+xml,*/*;q=0.8", "accept-language": locale})
    c.cookies.set("lang", locale, domain="127.0.0.1")
    return c


def _refund_fields(app, brand: str) -> dict[str, str]:
    method = app.policy(brand).refund.methods[0]
    return {"refund_method": method, **{f"dest_{method}_{f}": DEST_VALUES.get(f, "x")
                                         for f in DESTINATION_FIELDS.get(method, ())}}


def _customer_journey(app, scan: Scan, brand: str, situation: str) -> str | None:
    """Sign in as the demo customer, walk as far as the line allows; returns the application number if any."""
    msisdn = demo_msisdn(brand, situation)
    where = f"{brand}/{situation}"
    with _browser(app, scan.locale) as c:
        csrf = _csrf(scan.check(f"{where} sign-in", c.get(f"/?brand={brand}")))
        scan.check(f"{where} code step", c.post("/sign-in/code", data={"csrf": csrf, "phone": msisdn}))
        wrong = c.post("/sign-in", data={"csrf": csrf, "phone": msisdn, "code": "000000"})
        scan.check(f"{where} wrong code", wrong)
        r = c.post("/sign-in", data={"csrf": csrf, "phone": msisdn, "code": last_code(app, msisdn)},
                   follow_redirects=False)
        assert r.status_code == 303, r.text[:300]
        page = scan.check(f"{where} my lines", c.get("/lines"))
        csrf = _csrf(page)
        scan.check(f"{where} my data", c.get("/my-data"))
        precheck = scan.check(f"{where} pre-check", c.get("/lines/0/close"))
        form = {"csrf": csrf, "reason_code": "moving_abroad", **_refund_fields(app, brand)}
        scan.check(f"{where} refund missing", c.post("/lines/0/quote", data={"csrf": csrf}))
        quote = c.post("/lines/0/quote", data=form)
        scan.check(f"{where} quote", quote)
        codes = re.findall(r'name="consequence" value="([A-Z_]+)"', quote.text)
        scan.check(f"{where} boxes not ticked", c.post("/lines/0/confirm", data=form))
        scan.check(f"{where} second factor", c.post("/lines/0/confirm", data={**form, "consequence": codes}))
        scan.check(f"{where} wrong id", c.post("/lines/0/submit", data={**form, "consequence": codes,
                                                                         "id_tail": "ZZZZZZ"}))
        r = c.post("/lines/0/submit", data={**form, "consequence": codes,
                                            "id_tail": demo_id_number(brand, situation)[-6:]}, follow_redirects=False)
        if r.status_code != 303:
            scan.check(f"{where} refused", r)  # a blocked line: the refusal, in words
            assert "blocker" in precheck or r.status_code == 400
            return None
        no = r.headers["location"].split("/")[2]
        scan.check(f"{where} receipt", c.get(r.headers["location"]))
        scan.check(f"{where} status", c.get(f"/applications/{no}"))
        return no


def _close(app, no: str) -> None:
    """What the closing saga leaves behind: its timeline events, the refund ordered, the line closed."""
    now = app.clock.now()
    with app.db.write() as conn:
        row = conn.execute(select(applications).where(applications.c.application_no == no)).mappings().one()
        conn.execute(update(applications).where(applications.c.id == row["id"]).values(status="completed"))
        for i, event in enumerate(("execution_started", "network_service_until_next_auth", "completed")):
            applications_repo.append_event(conn, row["id"], event=event, at=now + timedelta(seconds=i),
                                           actor_type="system", note="hss: ok")
        conn.execute(update(lines).where(lines.c.id == row["line_id"]).values(status="closed", closed_at=now))
        if row["quote"]["refund_minor"]:
            record_refund(conn, application_id=row["id"], application_no=no, amount_minor=row["quote"]["refund_minor"],
                          currency=row["quote"]["currency"], method=row["refund_method"] or "original_payment",
                          destination={"iban_or_account": "DE89370400440532013000"}, reference=f"{no}:refund",
                          now=now)


# Failed steps as the worker leaves them ("system: CODE: message"): a plain one and an uncertain eSIM state.
FAILURES = {"network_bar": "pyhss: HTTP_503: subscriber 262011234567890 unavailable (Service Unavailable)",
            "esim_release": "smdp: ESIM_STATE_UNCERTAIN: attempt 2: PROFILE_CANNOT_BE_RELEASED (Failed 8.2.1/3.5); "
                            "the first cancelOrder may have worked - check the profile at the SM-DP+"}


def _stop(app, no: str, step: str) -> None:
    """What the saga leaves when ``step`` keeps failing: the step failed, the application in needs_attention."""
    now = app.clock.now()
    with app.db.write() as conn:
        app_id = conn.execute(select(applications.c.id).where(applications.c.application_no == no)).scalar_one()
        conn.execute(update(applications).where(applications.c.id == app_id).values(status="needs_attention"))
        conn.execute(delete(saga_steps).where(saga_steps.c.application_id == app_id))
        conn.execute(insert(saga_steps).values(application_id=app_id, step=step, seq=3, state="failed", attempts=5,
                                               idempotency_key=f"{no}:{step}", due_at=now, created_at=now,
                                               last_error=FAILURES[step],
                                               last_error_code=FAILURES[step].split(": ")[1]))
        applications_repo.append_event(conn, app_id, event="needs_attention", at=now, actor_type="system",
                                       actor_id="simexit-worker", actor_role="system", note=FAILURES[step])


def _needs_attention_pages(app, scan: Scan, c: TestClient, csrf: str, plain: str, uncertain: str) -> None:
    """A closure stopped at a step, as a supervisor sees it and each refusal of the buttons to put it back to
    work; then as a reviewer (no buttons, 403). The outside system's error is shown as it wrote it (masked):
    marked English, it counts only on English pages, where its codes are allowed."""
    _stop(app, plain, "network_bar")
    _stop(app, uncertain, "esim_release")
    raw = {mask_technical(e) for e in FAILURES.values()} if scan.locale == "en" else set()
    page = scan.check("console needs attention", c.get(f"/console/applications/{plain}"), raw)
    assert 'data-testid="failed-step"' in page and "/retry" in page and "/confirm-state" not in page
    page = scan.check("console needs attention uncertain", c.get(f"/console/applications/{uncertain}"), raw)
    assert "/confirm-state" in page
    r = c.post(f"/console/applications/{uncertain}/confirm-state", data={"csrf": csrf, "note": " "})
    assert r.status_code == 422
    scan.check("console confirm without a note", r, raw)
    r = c.post(f"/console/applications/{plain}/confirm-state", data={"csrf": csrf, "note": "looked"})
    assert r.status_code == 409
    scan.check("console confirm of a plain refusal", r, raw)
    page = scan.check("console retried", c.post(f"/console/applications/{plain}/retry", data={"csrf": csrf}), raw)
    assert 'data-testid="reopened"' in page
    r = c.post(f"/console/applications/{plain}/retry", data={"csrf": csrf})
    assert r.status_code == 409
    scan.check("console retried twice", r, raw)
    r = c.post(f"/console/applications/{uncertain}/confirm-state", data={"csrf": csrf, "note": "Unavailable"})
    assert 'data-testid="reopened"' in scan.check("console state confirmed", r, raw)
    _stop(app, plain, "network_bar")
    create_staff(app, "rolf", STAFF_PASSWORD, "reviewer", ["*"])
    with _browser(app, scan.locale) as rc:
        rcsrf = _csrf(rc.get("/console/sign-in").text)
        rc.post("/console/sign-in", data={"csrf": rcsrf, "username": "rolf", "password": STAFF_PASSWORD})
        page = scan.check("console needs attention, reviewer", rc.get(f"/console/applications/{plain}"), raw)
        assert 'data-testid="failed-step"' in page and "/retry" not in page
        r = rc.post(f"/console/applications/{plain}/retry", data={"csrf": _csrf(rc.get("/console").text)})
        assert r.status_code == 403
        scan.check("console retry by a reviewer", r)
        scan.check("console retry opened with GET", rc.get(f"/console/applications/{plain}/retry"))


def _staff_journey(app, scan: Scan, applied: list[str]) -> None:
    create_staff(app, "sofia", STAFF_PASSWORD, "supervisor", ["*"], display_name="Sofia")
    with _browser(app, scan.locale) as c:
        csrf = _csrf(scan.check("console sign-in", c.get("/console/sign-in")))
        scan.check("console wrong password", c.post("/console/sign-in", data={
            "csrf": csrf, "username": "sofia", "password": "wrong"}))
        r = c.post("/console/sign-in", data={"csrf": csrf, "username": "sofia", "password": STAFF_PASSWORD},
                   follow_redirects=False)
        assert r.status_code == 303
        csrf = _csrf(scan.check("console queue", c.get("/console")))
        for state in ("approved", "completed", "pending_review"):
            scan.check(f"console queue {state}", c.get(f"/console?state={state}"))
        scan.check("console dashboard", c.get("/console/dashboard"))
        scan.check("console reports", c.get("/console/reports"))
        scan.check("console intake", c.get("/console/intake"))
        msisdn = demo_msisdn("hansanet", "sim_change")
        scan.check("console intake quote", c.post("/console/intake", data={"csrf": csrf, "channel": "store",
                                                                           "phone": msisdn}))
        r = c.post("/console/intake", data={
            "csrf": csrf, "channel": "store", "phone": msisdn, "step": "submit",
            "identity_method": "id_document_inspected", "document_last4": "1234", "evidence_note": "",
            "consequence": ["NO_REACTIVATION", "DATA_ERASURE"], **_refund_fields(app, "hansanet")})
        scan.check("console intake submitted", r)
        refused = c.post("/console/intake", data={
            "csrf": csrf, "channel": "store", "phone": demo_msisdn("baohao", "devices"), "step": "submit",
            "identity_method": "id_document_inspected", "document_last4": "1234",
            "consequence": ["NO_REACTIVATION", "DATA_ERASURE"]})
        scan.check("console intake refused", refused)
        for no in applied + re.findall(r"SX-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]", r.text)[:1]:
            scan.check(f"console application {no}", c.get(f"/console/applications/{no}"))
        scan.check("console 404", c.get("/console/applications/SX-0000-0000-0"))
        _needs_attention_pages(app, scan, c, csrf, applied[1], applied[2])


def _public_pages(app, scan: Scan) -> None:
    with _browser(app, scan.locale) as c:
        for brand in BRANDS:
            scan.check(f"help {brand}", c.get(f"/help?brand={brand}"))
            scan.check(f"cancel form {brand}", c.get(f"/cancel?brand={brand}"))
        csrf = _csrf(c.get("/cancel?brand=hansanet").text)
        scan.check("cancel refused", c.post("/cancel", data={"csrf": csrf, "kind": "extraordinary",
                                                             "phone": "12", "name": ""}))
        r = c.post("/cancel", data={"csrf": csrf, "kind": "ordinary", "name": "Anna Schmidt",
                                    "phone": demo_msisdn("hansanet", "clean"), "email": "anna@example.com"})
        scan.check("cancel receipt", r)
        request_no = re.search(r"KR-[0-9A-Z-]+", r.text)
        if request_no:
            scan.check("cancel wrong code", c.post("/cancel/confirm", data={
                "csrf": csrf, "request_no": request_no.group(), "code": "000000"}))
        scan.check("status form", c.get("/status"))
        scan.check("status not found", c.post("/status", data={"csrf": csrf, "application_no": "SX-0000-0000-0",
                                                               "last4": "0000"}))
        scan.check("404", c.get("/no-such-page"))
        scan.check("405 quote", c.get("/lines/0/quote"))
        scan.check("405 sign-in code", c.get("/sign-in/code"))
        scan.check("bad index", c.get("/lines/abc/close"))


@pytest.mark.parametrize("locale", ["zh-CN", "de", "en"])
def test_no_page_shows_raw_codes_or_another_language(app, locale):
    load_demo(app)
    scan = Scan(locale)
    applied = []
    for brand in BRANDS:
        for situation in SITUATIONS:
            no = _customer_journey(app, scan, brand, situation)
            if no:
                applied.append(no)
    assert len(applied) >= 6, applied
    closed = []
    for no in applied[::3]:
        _close(app, no)
        closed.append(no)
    with _browser(app, locale) as c:
        for no in closed:
            brand = no  # the certificate: the link of the confirmation message
            scan.check(f"certificate {brand}", c.get(receipt_url(app, "", no) + f"&lang={locale}"))
    for no in closed:  # the closed line's timeline, as its customer sees it
        with app.db.read() as conn:
            msisdn = conn.execute(select(lines.c.msisdn).join(applications, applications.c.line_id == lines.c.id)
                                  .where(applications.c.application_no == no)).scalar_one()
        brand, situation = next((b, s) for b in BRANDS for s in SITUATIONS if demo_msisdn(b, s) == msisdn)
        with _browser(app, locale) as c:
            csrf = _csrf(c.get("/").text)
            c.post("/sign-in/code", data={"csrf": csrf, "phone": msisdn})
            c.post("/sign-in", data={"csrf": csrf, "phone": msisdn, "code": last_code(app, msisdn)})
            scan.check(f"timeline {no}", c.get(f"/applications/{no}"))
    _staff_journey(app, scan, applied)
    _public_pages(app, scan)
    assert scan.pages > 300
    assert not scan.found, "\n".join(f"{where}: {bad}" for where, bad in scan.found.items())


@pytest.mark.parametrize(("locale", "html", "why"), [
    ("zh-CN", "<p>线路 LINE_NOT_ACTIVE</p>", "raw code"),
    ("de", "<dl><dt>checked_by</dt><dd>x</dd></dl>", "raw key"),
    ("zh-CN", "<span>completed</span>", "bare code"),
    ("de", "<p>Application received</p>", "untranslated"),
    ("zh-CN", "<p>Refund to: the original payment method</p>", "English"),
    ("de", '<button aria-label="Close this line">x</button>', "untranslated"),
    ("zh-CN", "<p>退款the refund到原账户</p>", "English"),  # English words run into Chinese are still words
])
def test_the_scan_finds_what_it_looks_for(locale, html, why):
    found = problems(f'<html lang="{locale}"><body>{html}</body></html>', locale)
    assert found and found[0].startswith(why), found


def test_the_scan_reads_no_words_inside_identifiers():
    # a digest shown to staff ("fee" and "be" inside it are not English): found by CI, a random hash failed the scan
    assert problems('<html lang="zh-CN"><body><code>f67d3fee30be</code><p>编号 be7fee01</p></body></html>',
                    "zh-CN") == []


def test_the_scan_leaves_other_languages_marked_as_such_and_scripts_alone():
    html = ('<html lang="zh-CN"><body><a lang="de">Verträge hier kündigen</a><script>var a_b = "X_Y";</script>'
            '<a lang="en">English</a><p>号码已注销</p></body></html>')
    assert problems(html, "zh-CN") == []


@pytest.mark.parametrize(("brand", "accept", "expected"), [
    ("globetalk", "fr-FR,fr;q=0.9", "de"), ("hansanet", "", "de"), ("baohao", "fr", "zh-CN"),
    ("roamly", "fr", "en"), ("globetalk", "en-GB", "en"), ("baohao", "de-DE", "de"), ("hansanet", "zh-CN", "zh-CN"),
])
def test_a_brand_page_speaks_the_brands_language_unless_the_reader_asks_for_another(app, brand, accept, expected):
    """Issue 14, item 9: each brand's ``locales`` (German first for the German brands) when the browser asks for
    none we have; the language switch lists the brand's languages first."""
    with TestClient(create_app(app), base_url="https://127.0.0.1") as c:
        page = c.get(f"/?brand={brand}", headers={"accept-language": accept, "accept": "text/html"}).text
    assert f'<html lang="{expected}">' in page
    switch = re.findall(r'hreflang="([^"]+)"', page)
    assert switch == [loc for loc in app.policy(brand).brand.locales if loc != expected] + \
        [loc for loc in ("zh-CN", "en", "de") if loc not in app.policy(brand).brand.locales and loc != expected]
