"""Issue 17 in the browser, in Chinese on a phone: a main line of a bundle with a secondary line — the customer
chooses to move the secondary line to their other main line and to close the whole bundle, sees every part
with its fee and the equipment to return, and applies once; during a BSS outage the portal says so plainly.
Each state passes the axe accessibility check."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from simexit.integrations.bss.facts_source import bss_facts
from simexit.integrations.bss.tmf import BssClient
from simexit.services.closure.applications import show
from simexit.simulators.bss import BssSimulator
from simexit.simulators.http_server import SimulatorServer
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import last_code, new_page
from tests.factories import make_line
from tests.integration.test_bss_families import OTHER_MAIN, SECONDARY, seed_family


def _sign_in(page, site, msisdn: str) -> None:
    page.goto("/")
    page.get_by_label("手机号码").fill(msisdn)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发送")
    page.get_by_label("验证码（6位数字）").fill(last_code(site, msisdn))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的号码")).to_be_visible()


def test_family_closure_in_the_portal(browser: Browser, base_url: str, site):
    line = make_line(site, "liuliang", balance=5000)
    with SimulatorServer(BssSimulator()) as bss:
        seed_family(bss.sim, line["msisdn"])
        site.facts_source = bss_facts(BssClient(bss.url, timeout_s=2, cache_s=0))
        ctx, page = new_page(browser, base_url, locale="zh-CN")
        _sign_in(page, site, line["msisdn"])
        page.get_by_role("link", name="注销此号码").click()
        expect(page.locator("[data-code=SECONDARY_LINES]")).to_contain_text("该主卡下有1张副卡")
        expect(page.locator("[data-code=BUNDLE_PRODUCTS]")).to_contain_text("Optical modem")
        assert_accessible(page, "family pre-check")
        page.get_by_label(f"转到我的主卡{OTHER_MAIN}").check()
        page.get_by_label("注销整个融合套餐").check()
        page.get_by_label("原路退回").check()
        page.get_by_role("button", name="查看最终金额").click()
        parts = page.get_by_test_id("parts")
        expect(parts.locator("[data-part=secondary]")).to_contain_text(f"转到{OTHER_MAIN}")
        expect(parts).to_contain_text("any store")
        assert_accessible(page, "family quote")
        for box in page.get_by_role("checkbox").all():
            box.check()
        page.get_by_role("button", name="继续").click()
        page.get_by_label("身份证号码后6位").fill(line["id_number"][-6:])
        page.get_by_role("button", name="注销号码").click()
        number = page.url.split("/applications/")[1].split("/")[0]
        view = show(site, number)
        assert [(p["part"], p["action"]) for p in view["quote"]["parts"]] == [
            ("line", "close"), ("secondary", "move"), ("bundle_product", "close"), ("bundle_product", "close")]
        assert view["quote"]["parts"][1]["move_to"] == OTHER_MAIN and SECONDARY

        bss.sim.set_behaviour(fail_status=503)  # the BSS is down: no guess, a plain message
        page.goto("/lines/0/close")
        expect(page.get_by_role("alert")).to_contain_text("运营商系统未响应")
        assert_accessible(page, "facts unavailable")
        ctx.close()
