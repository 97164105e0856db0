"""Staff at the counter and the queue, in the browser (issue 14 items 11 and 6's legend), as clerk, reviewer and
supervisor in zh-CN, en and de, each at 360 and 1280 px:

- a clerk's channel list starts with their own channel (the store) and the clerk prints a receipt to hand over
  (the print button works under simexit's content security policy; print hides the console's chrome);
- the customer-safety notice ("staff never ask for codes") is on that receipt, not on the console's pages;
- a reviewer on a phone sees every column of the queue, and the decision before the audit trail;
- queue search (application number, masked number, name) and decisions on the filtered selection, with
  exclusions and a reason required to reject;
- the dashboard's legend is coloured and its chart text stays readable at 360 px;
- axe finds no serious or critical violation (scrollable tables reachable by keyboard) in any state.

Selectors are locale-independent (names, ids); texts checked per locale are this feature's own.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from simexit.domain.consequences import required_consequences
from simexit.domain.identifiers import mask_msisdn
from simexit.domain.roles import Role
from simexit.services.access.caller import StaffIdentity
from simexit.services.closure import queries
from simexit.services.closure.applications import ApplyRequest, apply
from simexit.services.closure.precheck import precheck
from simexit.web.charts import STATE_COLOURS
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import STAFF_PASSWORD, create_staff, new_page, shot
from tests.factories import make_line

LOCALES = ("zh-CN", "en", "de")
WIDTHS = ({"width": 360, "height": 740}, {"width": 1280, "height": 900})
TEXT = {
    "print": {"zh-CN": "打印回执", "en": "Print the receipt", "de": "Beleg drucken"},
    "rejected_1": {"zh-CN": "已驳回 1 份申请。", "en": "1 application rejected.", "de": "1 Antrag abgelehnt."},
    "left_out_1": {"zh-CN": "1 份已排除。", "en": "1 left out.", "de": "1 ausgenommen."},
    "approved_2": {"zh-CN": "已通过 2 份申请。", "en": "2 applications approved.", "de": "2 Anträge genehmigt."},
    "reason_needed": {"zh-CN": "驳回时请至少选择一项原因。", "en": "Choose at least one reason for the rejection.",
                      "de": "Wählen Sie mindestens einen Grund für die Ablehnung."},
}


def _watch_csp(page: Page) -> list[str]:
    """Messages of content security policy refusals the page logs (a refused inline style, script, ...)."""
    refused: list[str] = []
    page.on("console", lambda m: refused.append(f"{page.url}: {m.location}: {m.text[:90]}")
            if "Content Security Policy" in m.text else None)
    return refused


def _sign_in(page: Page, username: str, locale: str) -> None:
    page.goto("/console/sign-in")
    page.locator("#username").fill(username)
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("form[action='/console/sign-in'] button[type=submit]").click()
    page.wait_for_url("**/console")
    expect(page.locator("html")).to_have_attribute("lang", locale)


def _waiting(site, brand: str, name: str) -> tuple[str, str]:
    line = make_line(site, brand, balance=0, name=name)
    pc = precheck(site, line["msisdn"])
    no = apply(site, ApplyRequest(msisdn=line["msisdn"], channel="store", identity_method="id_document_inspected",
                                  identity_evidence={"checked_by": "carla"}, staff_ref="carla",
                                  staff_role="store_clerk",
                                  consequences_confirmed=list(required_consequences(pc.quote)))).application_no
    return no, line["msisdn"]


def _no_safety_notice(page: Page) -> None:
    expect(page.locator("footer .notice")).to_have_count(0)


def _rows(page: Page) -> list[str]:
    return page.locator("table.queue tbody td:first-child a").all_inner_texts()


def _search(page: Page, text: str) -> None:
    page.locator("input[type=search][name=q]").fill(text)
    page.locator("input[type=search][name=q]").press("Enter")
    page.wait_for_load_state()


EVERY_BRAND = StaffIdentity(id=0, username="check", display_name="Check", role=Role.SUPERVISOR, brands=("*",))


def _status(site, number: str) -> str:
    return queries.application_for_staff(site, EVERY_BRAND, number)["status"]


@pytest.mark.parametrize("locale", LOCALES)
def test_clerk_takes_an_application_on_their_channel_and_prints_a_receipt(browser: Browser, base_url: str, site,
                                                                          locale: str):
    line = make_line(site, "baohao", balance=0)
    create_staff(site, "carla", STAFF_PASSWORD, "store_clerk", ["baohao"], display_name="Carla Clerk")
    ctx, page = new_page(browser, base_url, locale=locale, phone=True)
    ctx.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    refused = _watch_csp(page)
    page.goto("/console/sign-in")
    page.locator("#username").fill("carla")
    page.locator("#password").fill("wrong password")
    page.locator("form[action='/console/sign-in'] button[type=submit]").click()
    expect(page.locator("p.error[role=alert]")).to_be_visible()
    _no_safety_notice(page)
    assert_accessible(page, f"{locale} staff sign-in refused")
    _sign_in(page, "carla", locale)
    _no_safety_notice(page)
    page.goto("/console/intake")
    expect(page.locator("#channel option").first).to_have_attribute("value", "store")  # the counter's own
    assert page.locator("#channel").input_value() == "store"
    assert_accessible(page, f"{locale} clerk intake, number step")
    page.locator("#phone").fill(line["msisdn"])
    page.locator("form[action='/console/intake'] button[type=submit]").click()
    page.locator("input[name=identity_method][value=id_document_inspected]").check()
    page.locator("#document_last4").fill("1234")
    for box in page.locator("input[name=consequence]").all():
        box.check()
    assert_accessible(page, f"{locale} clerk intake, details step")
    page.locator("form[action='/console/intake'] button[type=submit]").click()
    page.wait_for_url("**/console/applications/*")
    number = page.url.rsplit("/", 1)[1]
    _no_safety_notice(page)
    assert_accessible(page, f"{locale} application page for a clerk")
    page.locator(f"a[href='/console/applications/{number}/receipt']").click()
    page.wait_for_url("**/receipt")
    receipt = page.get_by_test_id("receipt")
    for size in WIDTHS:
        page.set_viewport_size(size)
        expect(receipt.get_by_test_id("application-no")).to_have_text(number)
        expect(receipt).to_contain_text("Carla Clerk")
        expect(receipt.locator(".notice")).to_be_visible()  # the customer takes the safety notice home
        expect(receipt.get_by_test_id("status-url")).to_have_text(site.public_base_url.rstrip("/") + "/status")
        _no_safety_notice(page)
        expect(page.locator("button[data-print]")).to_have_text(TEXT["print"][locale])
        assert_accessible(page, f"{locale} counter receipt at {size['width']} px")
        if size["width"] == 360:
            shot(page, f"{locale}-console-receipt-360")
    page.locator("button[data-print]").click()
    assert page.evaluate("window.__printed") == 1  # static/print.js, allowed by the CSP (no inline handler)
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("button[data-print]")).to_be_hidden()
    expect(receipt).to_be_visible()
    page.emulate_media(media="screen")
    assert not refused, refused
    ctx.close()


@pytest.mark.parametrize("locale", LOCALES)
def test_reviewer_searches_the_queue_and_decides_a_selection_on_a_phone_and_a_desk(
        browser: Browser, base_url: str, site, locale: str):
    a, msisdn_a = _waiting(site, "baohao", "王小明")
    b, _ = _waiting(site, "baohao", "王小红")
    c, _ = _waiting(site, "baohao", "李华")
    foreign, _ = _waiting(site, "huaxin", "王大明")
    create_staff(site, "rita", STAFF_PASSWORD, "reviewer", ["baohao"], display_name="Rita Reviewer")
    ctx, page = new_page(browser, base_url, locale=locale, phone=True)
    refused = _watch_csp(page)
    _sign_in(page, "rita", locale)
    for size in WIDTHS:
        page.set_viewport_size(size)
        page.goto("/console")
        assert sorted(_rows(page)) == sorted([a, b, c])  # not the other brand's
        _no_safety_notice(page)
        cells = page.locator("table.queue tbody tr").first.locator("td")
        assert cells.count() == 9  # application, due, brand, channel, state, line, customer, reason, selection
        for i in range(cells.count()):  # every column in view, on the phone as at the desk
            box = cells.nth(i).bounding_box()
            assert box is not None and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= \
                size["width"] + 1, (size, i, box)
        assert_accessible(page, f"{locale} review queue at {size['width']} px")
        if size["width"] == 360:
            shot(page, f"{locale}-console-queue-360")

    page.set_viewport_size(WIDTHS[0])
    _search(page, mask_msisdn(msisdn_a))  # as the queue shows it
    assert _rows(page) == [a]
    _search(page, a.lower().replace("-", " "))
    assert _rows(page) == [a]
    _search(page, foreign)  # another brand's number finds nothing
    assert _rows(page) == []
    assert_accessible(page, f"{locale} queue search with no result")
    _search(page, "王")
    assert sorted(_rows(page)) == sorted([a, b])

    page.locator("#bulk input[name=decision][value=reject]").check()
    page.locator("#bulk button[type=submit]").click()  # no reason: refused, nothing decided
    expect(page.locator("#bulk .error")).to_have_text(TEXT["reason_needed"][locale])
    assert_accessible(page, f"{locale} bulk rejection without a reason")
    assert {_status(site, n) for n in (a, b)} <= {"submitted", "pending_review"}

    page.locator(f"input[name=exclude][value='{b}']").check()
    page.locator("#bulk input[name=decision][value=reject]").check()
    page.locator("#bulk input[name=reject_reason][value=IDENTITY_MISMATCH]").check()
    page.locator("#bulk button[type=submit]").click()
    expect(page.get_by_test_id("bulk-result")).to_contain_text(TEXT["rejected_1"][locale])
    expect(page.get_by_test_id("bulk-result")).to_contain_text(TEXT["left_out_1"][locale])
    assert _status(site, a) == "rejected"
    assert _status(site, b) in ("submitted", "pending_review")  # left out
    assert _status(site, foreign) in ("submitted", "pending_review")
    assert_accessible(page, f"{locale} queue after a bulk rejection")

    page.goto(f"/console/applications/{c}")
    for size in WIDTHS:
        page.set_viewport_size(size)
        approve = page.locator("form[action$='/decide'] button[value=approve]").bounding_box()
        audit = page.locator("#audit").bounding_box()
        assert approve and audit and approve["y"] + approve["height"] < audit["y"], (size, approve, audit)
        _no_safety_notice(page)
        assert_accessible(page, f"{locale} application page at {size['width']} px")
    assert not refused, refused
    ctx.close()


@pytest.mark.parametrize("locale", LOCALES)
def test_supervisor_dashboard_legend_charts_and_bulk_approval(browser: Browser, base_url: str, site, locale: str):
    baohao = [_waiting(site, "baohao", n)[0] for n in ("王小明", "李华")]
    huaxin = [_waiting(site, "huaxin", n)[0] for n in ("张三", "赵四")]
    create_staff(site, "sam", STAFF_PASSWORD, "supervisor", ["baohao", "huaxin"])
    ctx, page = new_page(browser, base_url, locale=locale, phone=True)
    refused = _watch_csp(page)
    _sign_in(page, "sam", locale)
    for size in WIDTHS:
        page.set_viewport_size(size)
        page.goto("/console/dashboard")
        _no_safety_notice(page)
        for state, colour in STATE_COLOURS.items():
            swatch = page.locator(f".legend .swatch-{state}")
            rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
            expect(swatch).to_have_css("background-color", f"rgb({rgb[0]}, {rgb[1]}, {rgb[2]})")
        smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('svg[role=img] text')]
            .map(t => t.getBoundingClientRect().height))""")
        assert smallest >= 11, f"chart text {smallest:.1f} px high at {size['width']} px"
        assert_accessible(page, f"{locale} dashboard at {size['width']} px")
        if size["width"] == 360:
            shot(page, f"{locale}-console-dashboard-360")
        page.goto("/console/reports")
        assert_accessible(page, f"{locale} reports at {size['width']} px")

    page.goto("/console?brand=huaxin")
    assert sorted(_rows(page)) == sorted(huaxin)
    page.locator("#bulk input[name=decision][value=approve]").check()
    page.locator("#bulk button[type=submit]").click()
    expect(page.get_by_test_id("bulk-result")).to_contain_text(TEXT["approved_2"][locale])
    assert [_status(site, n) for n in huaxin] == ["approved", "approved"]
    assert {_status(site, n) for n in baohao} <= {"submitted", "pending_review"}
    assert not refused, refused
    ctx.close()
