"""Issue 14, items 6 and 7, in Debian's Chromium at 360 and 1280 px, in zh-CN, English and German:

- the print buttons (portal receipt, public cancellation receipt, the certificate of cancellation) call
  ``window.print`` under simexit's own content security policy, and the page reports no CSP violation;
- browsers get HTML error pages with the brand's frame and a way back: 404, 405 (GET on a POST step);
- the quote and the confirmation steps survive a language switch and the Back button;
- axe finds no serious or critical violation on those states;
- API clients keep getting application/problem+json."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from simexit.domain.intake import DESTINATION_FIELDS
from simexit.services.execution.receipts import receipt_url
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import last_code, new_page, shot
from tests.factories import make_line

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.__printed = 0;
window.print = () => { window.__printed += 1; };
"""
BRAND = {"zh-CN": "liuliang", "en": "roamly", "de": "hansanet"}
BROWSER_LOCALE = {"zh-CN": "zh-CN", "en": "en-US", "de": "de-DE"}
SWITCH_TO = {"zh-CN": "de", "en": "zh-CN", "de": "en"}
DEST = {"iban_or_account": "DE89370400440532013000", "holder": "Li Wei", "account": "user@example.com"}


def _watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.add_init_script(WATCH)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def _no_csp_violation(page: Page, errors: list[str], state: str) -> None:
    assert page.evaluate("() => window.__csp") == [], state
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], (state, errors)


def _is_html_page(page: Page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    body = page.locator("body").inner_text().strip()
    assert not body.startswith("{"), body[:200]
    expect(page.locator("header .home")).to_be_visible()  # the brand's (or simexit's) frame


def _sign_in(page: Page, site, msisdn: str) -> None:
    page.goto("/")
    page.locator("input[name=phone]").fill(msisdn)
    page.locator("form[action='/sign-in/code'] button[type=submit]").click()
    expect(page.locator("input[name=code]")).to_be_visible()
    page.locator("input[name=code]").fill(last_code(site, msisdn))
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/lines$"))


@pytest.mark.parametrize("phone", [True, False], ids=["360px", "1280px"])
@pytest.mark.parametrize("locale", ["zh-CN", "en", "de"])
def test_steps_survive_language_switch_back_button_and_errors_are_pages(browser: Browser, base_url: str, site,
                                                                       locale: str, phone: bool):
    brand = BRAND[locale]
    line = make_line(site, brand, balance=2500)
    ctx, page = new_page(browser, base_url, locale=BROWSER_LOCALE[locale], phone=phone)
    errors = _watch(page)
    size = "360" if phone else "1280"
    _sign_in(page, site, line["msisdn"])
    _is_html_page(page, locale)

    page.goto("/lines/0/close")
    method = site.policy(brand).refund.methods[0]
    page.locator(f"input[name=refund_method][value={method}]").check()
    for field in DESTINATION_FIELDS.get(method, ()):
        page.locator(f"[name=dest_{method}_{field}]").fill(DEST.get(field, "x"))
    page.locator("form[action='/lines/0/quote'] button[type=submit]").click()
    expect(page.locator("input[name=consequence]").first).to_be_visible()
    quote_url = page.url
    assert_accessible(page, f"quote {locale} {size}")

    other = SWITCH_TO[locale]
    page.locator(f"button[name=set_lang][value='{other}']").click()  # the quote step, in the other language
    _is_html_page(page, other)
    expect(page.locator("input[name=consequence]").first).to_be_visible()
    assert page.url == quote_url
    page.locator(f"button[name=set_lang][value='{locale}']").click()
    _is_html_page(page, locale)

    for box in page.locator("input[name=consequence]").all():
        box.check()
    page.locator("#step-form button[type=submit]").click()
    expect(page.locator("input#id_tail")).to_be_visible()
    assert_accessible(page, f"second factor {locale} {size}")
    page.locator(f"button[name=set_lang][value='{other}']").click()  # the confirmation step, in another language
    _is_html_page(page, other)
    expect(page.locator("input#id_tail")).to_be_visible()
    shot(page, f"h14-{locale}-{size}-confirm-switched")
    page.locator(f"button[name=set_lang][value='{locale}']").click()
    _is_html_page(page, locale)

    for _ in range(3):  # Back through pages reached by forms: each a page of the step, never raw JSON or an error
        page.go_back()
        _is_html_page(page, page.locator("html").get_attribute("lang") or "")
        assert page.locator("html").get_attribute("lang") in (locale, other)
        expect(page.locator("input#id_tail, input[type=checkbox][name=consequence]").first).to_be_visible()
    page.go_forward()
    expect(page.locator("input#id_tail, input[type=checkbox][name=consequence]").first).to_be_visible()
    page.goto("/lines/0/close")
    _is_html_page(page, locale)

    # A language link whose page only takes POST leads to the step's first page, in the new language.
    page.goto(f"/lang/{other}?next=/lines/0/quote")
    expect(page).to_have_url(re.compile(r"/lines/0/close$"))
    _is_html_page(page, other)
    page.goto(f"/lang/{locale}?next=/lines/0/close")
    _is_html_page(page, locale)

    r = page.goto("/no-such-page")
    assert r is not None and r.status == 404 and r.headers["content-type"].startswith("text/html")
    _is_html_page(page, locale)
    expect(page.locator("main a.button")).to_have_attribute("href", "/")
    assert_accessible(page, f"404 {locale} {size}")
    shot(page, f"h14-{locale}-{size}-404")

    r = page.goto("/lines/0/quote")  # GET on a POST step
    assert r is not None and r.status == 405 and r.headers["content-type"].startswith("text/html")
    _is_html_page(page, locale)
    expect(page.locator("main a.button")).to_have_attribute("href", "/lines/0/close")
    assert_accessible(page, f"405 {locale} {size}")
    shot(page, f"h14-{locale}-{size}-405")
    page.locator("main a.button").click()
    expect(page).to_have_url(re.compile(r"/lines/0/close$"))

    # The portal's receipt and its print button, under the CSP.
    page.locator(f"input[name=refund_method][value={method}]").check()
    for field in DESTINATION_FIELDS.get(method, ()):
        page.locator(f"[name=dest_{method}_{field}]").fill(DEST.get(field, "x"))
    page.locator("form[action='/lines/0/quote'] button[type=submit]").click()
    for box in page.locator("input[name=consequence]").all():
        box.check()
    page.locator("#step-form button[type=submit]").click()
    page.locator("input#id_tail").fill(line["id_number"][-6:])
    page.locator("#step-form button[type=submit]").click()
    expect(page.locator("[data-testid=application-no]")).to_be_visible()
    page.locator("button[data-print]").click()
    page.wait_for_function("() => window.__printed === 1")
    _no_csp_violation(page, errors, f"receipt {locale} {size}")
    assert_accessible(page, f"receipt {locale} {size}")
    ctx.close()


@pytest.mark.parametrize("locale", ["de", "zh-CN", "en"])
def test_public_receipt_and_certificate_print_under_the_csp(browser: Browser, base_url: str, site, locale: str):
    from tests.integration.test_messaging_records import closed

    ctx, page = new_page(browser, base_url, locale=BROWSER_LOCALE[locale], phone=True)
    errors = _watch(page)
    line = make_line(site, "hansanet", balance=0)
    page.goto("/cancel?brand=hansanet")
    page.locator("input[name=name]").fill("Anna Schmidt")
    page.locator("input[name=phone]").fill(line["msisdn"])
    page.locator("input[name=email]").fill("anna@example.com")
    page.locator("form[action='/cancel'] button[type=submit]").click()
    expect(page.locator("button[data-print]")).to_be_visible()
    page.locator("button[data-print]").click()
    page.wait_for_function("() => window.__printed === 1")
    _no_csp_violation(page, errors, "public receipt")
    assert_accessible(page, f"public receipt {locale}")

    _, no, _ = closed(site, "liuliang", at=site.clock.now())
    r = page.goto(receipt_url(site, "", no) + f"&lang={locale}")
    assert r is not None and r.status == 200
    csp = r.headers["content-security-policy"]
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0] and "unsafe-hashes" not in csp
    expect(page.locator("html")).to_have_attribute("lang", locale)
    page.locator("button[data-print]").click()
    page.wait_for_function("() => window.__printed === 1")
    _no_csp_violation(page, errors, "certificate")
    assert_accessible(page, f"certificate {locale}")
    ctx.close()


def test_api_clients_keep_problem_json(client):
    for path, headers in (("/api/v1/no-such", {}), ("/no-such-page", {"accept": "application/json"}),
                          ("/lines/0/quote", {"accept": "application/json"})):
        r = client.get(path, headers=headers)
        assert r.status_code in (404, 405), (path, r.status_code)
        assert r.headers["content-type"] == "application/problem+json", (path, r.headers["content-type"])
        assert r.json()["code"] in ("NOT_FOUND", "METHOD_NOT_ALLOWED")
    r = client.get("/no-such-page", headers={"accept": "text/html,*/*"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    r = client.get("/lines/0/quote", headers={"accept": "text/html"})
    assert r.status_code == 405 and r.headers["content-type"].startswith("text/html") and "allow" in r.headers
