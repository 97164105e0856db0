"""Issue 14 ("Real customers"), items 1, 2 and 4, in a browser (Debian's Chromium), in zh-CN, en and de, on a
360 px phone and a 1280 px desktop, with axe over every state:

1. a number typed without +country is read in the region of the page's brand (with no brand: in the regions of
   the operator's brands, asking when two fit) and shown as understood before anything is sent — portal sign-in
   and the public cancellation form, for a CN, a DE and a US brand; a foreign number is refused with an example;
2. the public form shows the quote (the early-termination fee) and the consequences before the application is
   made, and applies the brand's identity rule (DE: the code to the line; CN: also the last 6 ID characters);
3. the public receipt is a page of its own: reloaded it sends nothing again, switching language keeps it, the
   e-mail's link (through a real SMTP mail sink) opens it, and ``GET /cancel/confirm`` is no raw JSON 405.

Labels are matched through ids and test ids, so that the same steps run in every language."""

from __future__ import annotations

import re
from datetime import timedelta

import phonenumbers
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from simexit.domain.identifiers import mask_msisdn
from simexit.integrations.messaging.base import OutgoingMessage
from simexit.integrations.messaging.smtp import SmtpSender
from simexit.simulators.mail_sink import MailSink
from simexit.store.tables import outbox
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import last_code, new_page, shot
from tests.factories import make_line


def national(e164: str) -> str:
    """The number as its owner writes it at home: ``+4915112000007`` → ``015112 000007``."""
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)


def spaced(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def sent(site) -> int:
    with site.db.read() as conn:
        return conn.execute(select(func.count()).select_from(outbox)).scalar_one()


def fill_declaration(page: Page, phone: str, email: str = "kunde@example.com") -> None:
    page.locator("#name").fill("Test User")
    page.locator("#phone").fill(phone)
    page.locator("#email").fill(email)


def declare(page: Page) -> None:
    page.locator('form[action="/cancel"] button[type=submit]').click()


# --- 1. national numbers ---------------------------------------------------------------------------------------

NATIONAL = [  # (brand, browser locale, phone-sized)
    pytest.param("liuliang", "zh-CN", True, id="CN-zh-360"),
    pytest.param("hansanet", "de-DE", False, id="DE-de-1280"),
    pytest.param("roamly", "en-US", True, id="US-en-360"),
]


@pytest.mark.parametrize(("brand", "locale", "phone"), NATIONAL)
def test_national_numbers_are_read_in_the_brands_region_and_shown_before_sending(
        browser: Browser, base_url: str, site, brand: str, locale: str, phone: bool):
    m = make_line(site, brand)["msisdn"]
    ctx, page = new_page(browser, base_url, locale=locale, phone=phone)
    tag = f"n14-{brand}-{'360' if phone else '1280'}"

    # Portal sign-in: the national number is shown as understood, and nothing is sent until it is confirmed.
    page.goto(f"/?brand={brand}")
    before = sent(site)
    page.locator("#phone").fill(national(m))
    page.locator("#sign-in button[type=submit]").click()
    expect(page.get_by_test_id("phone-reading")).to_be_visible()
    expect(page.get_by_test_id("reading")).to_have_text([spaced(m)])
    assert sent(site) == before, "an SMS was queued before the number was confirmed"
    shot(page, f"{tag}-1-sign-in-check")
    assert_accessible(page, "sign-in: the number as understood")
    page.locator("#sign-in button[type=submit]").click()
    expect(page.locator("#code")).to_be_visible()
    expect(page.get_by_test_id("code-sent-to")).to_have_text(spaced(m))
    assert_accessible(page, "sign-in: the code sent to the number as understood")
    page.locator("#code").fill(last_code(site, m))  # the code went to the brand's country, not to China
    page.locator('form[action="/sign-in"] button[type=submit]').click()
    expect(page).to_have_url(re.compile(r"/lines$"))
    page.context.clear_cookies()

    # The public form on the brand's page: the same reading, then the receipt for the right number.
    page.goto(f"/cancel?brand={brand}")
    fill_declaration(page, national(m))
    declare(page)
    expect(page.get_by_test_id("reading")).to_have_text([spaced(m)])
    assert sent(site) == before + 1, "the form sent something before the number was confirmed"
    shot(page, f"{tag}-2-form-check")
    assert_accessible(page, "public form: the number as understood")
    declare(page)
    expect(page.get_by_test_id("line")).to_have_text(mask_msisdn(m))
    codes = [r for r in _outbox(site) if r.template == "cancellation_code"]
    assert [r.recipient for r in codes] == [m]
    ctx.close()


def test_without_a_brand_two_fitting_countries_are_asked_and_foreign_numbers_refused(browser: Browser, base_url,
                                                                                    site):
    m = make_line(site, "hansanet")["msisdn"]  # +4915112…: read in China too (015112… → a CN mobile)
    ctx, page = new_page(browser, base_url, locale="en-GB", phone=True)
    page.goto("/cancel")
    fill_declaration(page, national(m))
    declare(page)
    readings = page.get_by_test_id("reading")
    expect(readings).to_have_count(2)
    expect(page.locator('input[name="phone_reading"]:checked')).to_have_count(0)  # the customer chooses
    shot(page, "n14-nobrand-two-countries")
    assert_accessible(page, "public form: two countries fit")
    page.locator(f'input[name="phone_reading"][value="{m}"]').check()
    declare(page)
    expect(page.get_by_test_id("line")).to_have_text(mask_msisdn(m))

    page.goto("/cancel?brand=hansanet")
    fill_declaration(page, "+33 6 12 34 56 78")
    declare(page)
    expect(page.locator(".error")).to_contain_text("+49 1512 3456789")  # an example of the expected form
    assert_accessible(page, "public form: a foreign number refused")
    ctx.close()


def _outbox(site):
    with site.db.read() as conn:
        return conn.execute(select(outbox).order_by(outbox.c.id)).all()


# --- 2. the quote and the identity rule before the application ------------------------------------------------

JURISDICTIONS = [
    pytest.param("hansanet", "en-GB", True, id="DE-en-360"),
    pytest.param("liuliang", "zh-CN", False, id="CN-zh-1280"),
    pytest.param("globetalk", "de-DE", True, id="DE-de-360"),
]


@pytest.mark.parametrize(("brand", "locale", "phone"), JURISDICTIONS)
def test_public_form_shows_fee_and_consequences_and_applies_the_identity_rule(
        browser: Browser, base_url: str, site, brand: str, locale: str, phone: bool):
    today = site.clock.now().date()
    line = make_line(site, brand, payment="postpaid", contract_start=(today - timedelta(days=100)).isoformat(),
                     contract_end=(today + timedelta(days=265)).isoformat(), early_termination_fee_minor=8400)
    cn = site.policy(brand).brand.jurisdiction == "CN"
    ctx, page = new_page(browser, base_url, locale=locale, phone=phone)
    tag = f"q14-{brand}-{'360' if phone else '1280'}"
    page.goto(f"/cancel?brand={brand}")
    fill_declaration(page, line["msisdn"])
    declare(page)
    expect(page.get_by_test_id("received")).to_be_visible()  # the dated receipt of the declaration, at once
    page.locator("#code").fill(last_code(site, line["msisdn"]))
    page.locator('form[action="/cancel/confirm"] button[type=submit]').click()
    if cn:  # CN: a contract still running blocks (policy); the blocker is shown, nothing is applied
        expect(page.locator(".blocker")).to_be_visible()
        assert_accessible(page, "public form: CN contract blocks")
        line = make_line(site, brand)  # a line without a contract: the real-name step
        page.goto(f"/cancel?brand={brand}")
        fill_declaration(page, line["msisdn"])
        declare(page)
        page.locator("#code").fill(last_code(site, line["msisdn"]))
        page.locator('form[action="/cancel/confirm"] button[type=submit]').click()
    else:
        expect(page.get_by_test_id("etf")).to_have_text(re.compile(r"\d"))  # the fee the customer never saw
    expect(page.get_by_test_id("quote")).to_be_visible()
    expect(page.get_by_test_id("application-no")).to_have_count(0)  # nothing applied yet
    expect(page.locator("#id_tail")).to_have_count(1 if cn else 0)  # DE: no gate beyond the code
    shot(page, f"{tag}-1-quote")
    assert_accessible(page, "public form: the quote and consequences")

    apply_button = page.locator('form[action$="/apply"] button[type=submit]')
    if cn:  # the real-name check: the same last 6 ID characters the portal asks for
        for box in page.locator('input[name="consequence"]').all():
            box.check()
        page.locator("#id_tail").fill("000000" if line["id_number"][-6:] != "000000" else "111111")
        apply_button.click()
        expect(page.locator(".error")).to_be_visible()
        expect(page.get_by_test_id("application-no")).to_have_count(0)
        assert_accessible(page, "public form: wrong ID characters")
        page.locator("#id_tail").fill(line["id_number"][-6:])
    else:  # every consequence must be confirmed
        apply_button.click()
        expect(page.locator(".error")).to_be_visible()
        expect(page.get_by_test_id("application-no")).to_have_count(0)
        assert_accessible(page, "public form: consequences not confirmed")
    for box in page.locator('input[name="consequence"]').all():
        box.check()
    apply_button.click()
    expect(page.get_by_test_id("application-no")).to_contain_text("SX-")
    shot(page, f"{tag}-2-applied")
    assert_accessible(page, "public form: applied")
    ctx.close()


# --- 4. the receipt is a page of its own ----------------------------------------------------------------------

@pytest.mark.parametrize(("locale", "phone", "other"), [
    pytest.param("de-DE", False, "zh-CN", id="de-1280"),
    pytest.param("zh-CN", True, "en", id="zh-360"),
])
def test_the_receipt_survives_reload_language_and_opens_from_the_e_mail(
        browser: Browser, base_url: str, site, locale: str, phone: bool, other: str):
    site.public_base_url = base_url  # the e-mail's links point at this server
    m = make_line(site, "hansanet")["msisdn"]
    ctx, page = new_page(browser, base_url, locale=locale, phone=phone)
    tag = f"r14-{locale}-{'360' if phone else '1280'}"

    page.goto("/cancel/confirm")  # the code form's address opened directly: the form, not raw JSON
    expect(page.locator('form[action="/cancel"]')).to_be_visible()
    page.goto("/cancel?brand=hansanet")
    fill_declaration(page, m, email="receipt@example.com")
    declare(page)
    expect(page).to_have_url(re.compile(r"/cancel/requests/KR-"))
    request_no = page.get_by_test_id("request-no").inner_text()
    messages = sent(site)
    assert messages == 2  # the receipt by e-mail and the code by SMS
    page.reload()
    expect(page.get_by_test_id("request-no")).to_have_text(request_no)
    assert sent(site) == messages, "the reload sent the e-mail or the SMS again"
    page.go_back()
    page.go_forward()
    expect(page.get_by_test_id("request-no")).to_have_text(request_no)
    assert sent(site) == messages
    page.locator(f'nav.langs a[hreflang="{other}"]').click()  # switching language keeps the receipt
    expect(page.get_by_test_id("request-no")).to_have_text(request_no)
    expect(page.locator("html")).to_have_attribute("lang", other)
    shot(page, f"{tag}-1-receipt-{other}")
    assert_accessible(page, f"public receipt in {other}")

    with MailSink() as sink:  # the e-mail through a real SMTP server
        sender = SmtpSender(sink.smtp_host, sink.smtp_port, "HansaNet <no-reply@hansanet.example>")
        for row in _outbox(site):
            if row.kind == "email":
                sender.send(OutgoingMessage("email", row.recipient, row.template, row.locale, row.payload,
                                            row.idempotency_key))
        [mail] = sink.inbox()
    assert request_no in mail["subject"]
    link = re.search(r"https?://\S+/cancel/requests/\S+", mail["text"]).group(0)
    ctx.close()

    ctx, page = new_page(browser, base_url, locale=locale, phone=phone)  # another browser: the mail client's
    page.goto(link)
    expect(page.get_by_test_id("request-no")).to_have_text(request_no)
    expect(page.locator("#code")).to_be_visible()  # still to be confirmed with the code
    assert sent(site) == messages
    shot(page, f"{tag}-2-from-the-e-mail")
    assert_accessible(page, "public receipt opened from the e-mail")
    page.goto(link[:-3] + "000")  # a link whose signature does not match opens nothing
    expect(page.get_by_test_id("request-no")).to_have_count(0)
    ctx.close()


def test_the_same_form_posted_twice_is_one_request(client, app):
    """A double click or the form sent again from the browser's history: the same request page, one SMS, one
    e-mail. Another form (a new key) is a new request."""
    m = make_line(app, "hansanet")["msisdn"]
    page = client.get("/cancel?brand=hansanet").text
    form = {"csrf": page.split('name="csrf" value="')[1].split('"')[0],
            "submission": page.split('name="submission" value="')[1].split('"')[0],
            "kind": "ordinary", "name": "Test User", "phone": m, "email": "a@example.com"}
    first = client.post("/cancel", data=form, follow_redirects=False)
    again = client.post("/cancel", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert sent(app) == 2
    fresh = client.post("/cancel", data={**form, "submission": "another-form"}, follow_redirects=False)
    assert fresh.headers["location"] != first.headers["location"] and sent(app) == 4
    assert client.get(first.headers["location"]).status_code == 200
    assert client.get("/cancel/confirm", follow_redirects=False).headers["location"] == "/cancel"
