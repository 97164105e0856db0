"""A reviewer's steps in the console, shared by the journeys."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import STAFF_PASSWORD, new_page, shot


def sign_in(page: Page, username: str, zh: bool) -> None:
    page.goto("/console")
    page.get_by_label("用户名" if zh else "User name").fill(username)
    page.get_by_label("密码" if zh else "Password", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录" if zh else "Sign in").click()
    expect(page.get_by_role("heading", name="审核队列" if zh else "Review queue")).to_be_visible()


def approve_in_console(browser: Browser, base_url: str, username: str, application_no: str, *, brand: str,
                       locale: str, shot_name: str) -> None:
    ctx, page = new_page(browser, base_url, locale=locale, phone=False)
    zh = locale.startswith("zh")
    sign_in(page, username, zh)
    page.get_by_label("品牌" if zh else "Brand").select_option(brand)
    brand_name = page.get_by_label("品牌" if zh else "Brand").locator("option:checked").inner_text()
    assert brand_name and brand_name != brand  # the brand's name, not its code
    page.get_by_role("button", name="筛选" if zh else "Filter").click()
    row = page.get_by_role("row").filter(has_text=application_no)
    expect(row).to_contain_text(brand_name)
    shot(page, f"{shot_name}-queue")
    row.get_by_role("link", name=application_no).click()
    expect(page.get_by_role("heading", name=application_no)).to_be_visible()
    expect(page.get_by_text("身份核验记录" if zh else "Identity evidence")).to_be_visible()
    page.get_by_role("button", name="通过" if zh else "Approve", exact=True).click()
    expect(page.get_by_test_id("status")).to_have_text("已通过" if zh else "Approved")
    shot(page, f"{shot_name}-approved")
    expect(page.get_by_role("link", name="数据看板" if zh else "Dashboard")).to_have_count(0)  # supervisors only
    ctx.close()
