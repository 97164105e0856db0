"""A customer of a CN brand, in Chinese on a 360 px phone: a blocker is shown and fixed, the line is
closed, a reviewer approves it in the console, and the status page shows the approval."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from simexit.services.closure import line_changes
from tests.e2e.conftest import last_code, new_page, shot
from tests.e2e.console_steps import approve_in_console
from tests.factories import make_line


def test_cn_customer_fixes_blocker_closes_line_and_sees_approval(browser: Browser, base_url: str, site, reviewer):
    line = make_line(site, "baohao", devices=1, balance=5000)
    ctx, page = new_page(browser, base_url, locale="zh-CN")

    page.goto("/")
    expect(page.get_by_role("heading", name="注销号码")).to_be_visible()
    expect(page.get_by_role("link", name="在此注销").first).to_be_visible()
    expect(page.get_by_role("note").first).to_contain_text("绝不会向您索要验证码")
    page.get_by_label("手机号码").fill(line["msisdn"])
    page.get_by_role("button", name="获取验证码").click()  # htmx swaps in the code field
    expect(page.get_by_role("status")).to_contain_text("验证码已发送")
    page.get_by_label("验证码（6位数字）").fill(last_code(site, line["msisdn"]))
    shot(page, "zh-01-sign-in")
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="我的号码")).to_be_visible()
    expect(page.locator("#main").get_by_text("保号通")).to_be_visible()
    shot(page, "zh-02-lines")
    page.get_by_role("link", name="注销此号码").click()

    blocker = page.locator(".blocker")
    expect(blocker).to_contain_text("有1项需要先处理")
    expect(blocker).to_contain_text("仍有1台设备关联该号码：Phone 1。")
    expect(blocker.locator(".fix")).to_contain_text("处理方法：请在APP中逐一解除设备关联")
    expect(page.get_by_role("button", name="查看最终金额")).to_have_count(0)
    shot(page, "zh-03-blocker")

    line_changes.unbind_device(site, line["msisdn"])  # the customer unbinds the device in the app
    page.get_by_role("link", name="我已处理，重新检查").click()
    expect(page.get_by_role("status")).to_have_text("该号码可以注销，没有需要先处理的事项。")
    page.get_by_label("注销原因（可选）").select_option(label="转到其他运营商")
    page.get_by_label("原路退回").check()
    shot(page, "zh-04-precheck-clear")
    page.get_by_role("button", name="查看最终金额").click()

    # ¥50.00 balance − ¥10.00 cancellation fee = ¥40.00 refunded.
    expect(page.locator("dl.quote").first).to_contain_text("¥50.00")
    expect(page.locator("dl.quote").first).to_contain_text("¥10.00")
    expect(page.get_by_test_id("refund")).to_have_text("¥40.00")
    expect(page.get_by_text("号码注销后不可恢复。", exact=True)).to_be_visible()
    expect(page.get_by_text("2026年11月23日").first).to_be_visible()
    page.get_by_role("button", name="继续").click()
    expect(page.locator("#err-consequences")).to_have_text("请勾选每一项，表示您已阅读。")  # on the boxes
    expect(page.get_by_role("alert")).to_have_text("有1项需要您修改（见下方标注）。")
    for box in page.get_by_role("checkbox").all():
        box.check()
    shot(page, "zh-05-quote")
    page.get_by_role("button", name="继续").click()

    page.get_by_label("身份证号码后6位").fill("000000")
    # Enter in the field submits this step, not the header's first language button (found walking the portal)
    page.get_by_label("身份证号码后6位").press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#err-id_tail")).to_have_text("身份证号码后6位不正确。")
    expect(page.get_by_label("身份证号码后6位")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("身份证号码后6位").fill(line["id_number"][-6:])
    shot(page, "zh-06-second-factor")
    page.get_by_role("button", name="注销号码").click()

    expect(page.get_by_role("heading", name="我们已收到您的申请")).to_be_visible()
    application_no = page.get_by_test_id("application-no").inner_text()
    assert application_no.startswith("SX-")
    expect(page.get_by_test_id("status")).to_have_text("等待审核")
    expect(page.locator(".receipt")).to_contain_text("2026年11月23日 10:00:00 CST")
    expect(page.get_by_role("button", name="打印或保存回执")).to_be_visible()
    shot(page, "zh-07-receipt")

    approve_in_console(browser, base_url, reviewer, application_no, brand="baohao", locale="zh-CN",
                       shot_name="zh-08-console")

    page.get_by_role("link", name="查看进度").click()
    expect(page.get_by_test_id("status")).to_have_text("已通过")
    expect(page.locator(".timeline")).to_contain_text("已收到申请")
    shot(page, "zh-09-status-approved")

    # Later, without signing in: application number + last 4 digits of the phone number.
    ctx.clear_cookies()
    page.goto("/status")
    page.get_by_label("申请编号").fill(application_no)
    page.get_by_label("手机号码后4位").fill("0000" if not line["msisdn"].endswith("0000") else "1111")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("alert")).to_have_text("没有与该编号和号码后4位匹配的申请。")
    page.get_by_label("手机号码后4位").fill(line["msisdn"][-4:])
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("status")).to_have_text("已通过")
    shot(page, "zh-10-status-lookup")
    ctx.close()
