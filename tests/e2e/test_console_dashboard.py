"""A supervisor's dashboard in the browser: applications per day by state and SLA compliance per
brand as server-rendered SVG; an overdue application is marked in the queue."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from simexit.domain.consequences import required_consequences
from simexit.services.closure.applications import ApplyRequest, apply
from simexit.services.closure.precheck import precheck
from tests.e2e.conftest import STAFF_PASSWORD, create_staff, new_page, shot
from tests.e2e.console_steps import sign_in
from tests.factories import make_line


def test_supervisor_sees_overdue_marked_and_dashboard_charts(browser: Browser, base_url: str, site):
    line = make_line(site, "baohao", balance=0)
    pc = precheck(site, line["msisdn"])
    no = apply(site, ApplyRequest(msisdn=line["msisdn"], channel="online", identity_method="otp",
                                  consequences_confirmed=list(required_consequences(pc.quote)))).application_no
    site.clock.advance(days=12)  # past the 7-business-day SLA
    create_staff(site, "sam", STAFF_PASSWORD, "supervisor", ["baohao", "liuliang"])
    ctx, page = new_page(browser, base_url, locale="zh-CN", phone=False)
    sign_in(page, "sam", zh=True)
    row = page.get_by_role("row").filter(has_text=no)
    expect(row).to_contain_text("已超时")
    expect(page.get_by_label("品牌").locator("option")).to_have_text(["全部", "保号通", "畅流量"])  # names, not codes
    shot(page, "zh-12-console-overdue")
    page.get_by_role("link", name="数据看板").click()
    expect(page.get_by_role("img", name="每日申请数（按状态）")).to_be_visible()
    expect(page.get_by_role("img", name="各品牌审核时效达标率")).to_be_visible()
    # brand, decided, on time, open, open and overdue
    expect(page.locator("table tbody tr td")).to_have_text(["保号通", "0", "0", "1", "1"])
    shot(page, "zh-13-dashboard")
    ctx.close()
