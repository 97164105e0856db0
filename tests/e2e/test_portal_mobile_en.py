"""English on a 360 px phone: a line with no blocker goes from sign-in to the receipt in at most six
screens; help answers come from the brand's policy; the language switch is remembered."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import last_code, new_page, shot
from tests.factories import make_line


def test_clean_line_six_screens_and_help(browser: Browser, base_url: str, site):
    line = make_line(site, "liuliang", balance=2500)
    ctx, page = new_page(browser, base_url, locale="en-US")
    screens: list[str] = []
    page.on("framenavigated", lambda f: screens.append(f.url) if f == page.main_frame else None)

    page.goto("/")
    page.get_by_label("Phone number").fill(line["msisdn"])
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("status")).to_contain_text("a code is on its way")
    page.get_by_label("One-time code (6 digits)").fill(last_code(site, line["msisdn"]))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Close this line").click()
    expect(page.get_by_role("status")).to_have_text("Nothing stops this line from being closed.")
    page.get_by_label("Alipay", exact=True).check()
    page.get_by_label("Alipay: Account").fill("user@example.com")
    shot(page, "en-01-precheck")
    page.get_by_role("button", name="See the final amounts").click()
    expect(page.get_by_test_id("refund")).to_have_text("CN¥25.00")
    expect(page.get_by_text("This number can never be reactivated.", exact=True)).to_be_visible()
    for box in page.get_by_role("checkbox").all():
        box.check()
    shot(page, "en-02-quote")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Last 6 characters of your ID number").fill(line["id_number"][-6:])
    page.get_by_role("button", name="Close my line").click()
    expect(page.get_by_role("heading", name="We have your application")).to_be_visible()
    shot(page, "en-03-receipt")
    assert len(screens) <= 6, screens

    page.get_by_role("link", name="Help").first.click()
    page.get_by_label("Brand").select_option("liuliang")
    page.get_by_role("button", name="Show").click()
    faq = page.locator(".faq")
    expect(faq).to_contain_text("After 90 days it may be given to someone else.")
    expect(page.get_by_role("note").first).to_contain_text("never ask you for a one-time code")
    shot(page, "en-04-help")

    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", name="号码注销常见问题")).to_be_visible()
    expect(page.locator(".faq")).to_contain_text("不能。号码注销后不可恢复，90天后可能分配给他人。")
    shot(page, "zh-11-help")
    page.goto("/status")
    expect(page.get_by_role("heading", name="查询申请进度")).to_be_visible()  # remembered in a cookie
    shot(page, "zh-12-status-form")
    ctx.close()
