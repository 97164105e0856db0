"""Issue 14 items 3, 5 and 10 in the browser, in zh-CN, English and German, on a 360 px phone and a 1280 px
screen: the brand's channels are told on "My lines" and the pre-check (hotline, stores, mail-in address from the
policy); advice comes with a way to act on it (accept the early-termination fee, pay, port-out status, my
data, withdraw, a new code or another number); each form error sits on its field; a refund method needing no
details is chosen already and only the chosen method's fields show; a repeated submit after the line closed
says so; the customer is told the decision in their language on the brand's channels (the outbox rows the
worker sends; their delivery to the SMS gateway and the mail sink: tests/integration/test_decision_messages.py).
axe finds no serious or critical violation in any of these states."""

from __future__ import annotations

from datetime import timedelta

import pytest
from babel.support import Translations
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update

from simexit.integrations.messaging.rendering import render as render_message
from simexit.store.tables import applications, lines, outbox
from simexit.web.i18n import TRANSLATIONS_DIR
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import last_code, new_page, shot
from tests.factories import make_line
from tests.simulated_world import apply_for

BROWSER = {"zh-CN": "zh-CN", "en": "en-US", "de": "de-DE"}
VIEWS = [pytest.param(loc, phone, id=f"{loc}-{360 if phone else 1280}") for loc in ("zh-CN", "en", "de")
         for phone in (True, False)]


def t(loc: str, msgid: str, **kw: str) -> str:
    """The page's text in ``loc`` (from the catalogs the portal uses); zh-CN and de must be translated."""
    if loc == "en":
        text = msgid
    else:
        text = Translations.load(str(TRANSLATIONS_DIR), [loc.replace("-", "_")]).gettext(msgid)
        assert text != msgid, f"not translated into {loc}: {msgid!r}"
    return text % kw if kw else text


def sign_in(page: Page, site, msisdn: str, loc: str, name: str, *, code_step: bool = True) -> None:
    page.goto("/")
    page.locator("#phone").fill(msisdn)
    page.locator("#sign-in form button[type=submit]").click()
    expect(page.locator("#code")).to_be_visible()
    if not code_step:
        page.locator("#code").fill(last_code(site, msisdn))
        page.locator("form[action='/sign-in'] button[type=submit]").click()
        page.wait_for_url("**/lines")
        return
    # the code step offers a new code and another number
    expect(page.get_by_role("button", name=t(loc, "Send a new code"))).to_be_visible()
    expect(page.get_by_role("link", name=t(loc, "Use a different number"))).to_have_attribute("href", "/?change=1")
    page.locator("#code").fill("000000" if last_code(site, msisdn) != "000000" else "111111")
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    code = page.locator("#code")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_attribute("aria-describedby", "err-code")
    expect(page.locator("#err-code")).to_have_text(t(loc, "The code is wrong or has expired."))
    assert_accessible(page, f"{name}: wrong code")
    page.get_by_role("button", name=t(loc, "Send a new code")).click()
    expect(page.get_by_role("status")).to_contain_text(t(loc, "A new code is on its way. The earlier one no "
                                                              "longer works."))
    page.locator("#code").fill(last_code(site, msisdn))
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_url("**/lines")


@pytest.mark.parametrize(("loc", "phone"), VIEWS)
def test_a_brand_without_online_closure_says_where_on_my_lines_and_the_precheck(browser: Browser, base_url, site,
                                                                                loc, phone):
    line = make_line(site, "huaxin", balance=0, locale=loc)
    c = site.policy("huaxin").contact
    ctx, page = new_page(browser, base_url, locale=BROWSER[loc], phone=phone)
    name = f"huaxin-{loc}-{360 if phone else 1280}"
    sign_in(page, site, line["msisdn"], loc, name)
    brand = "华信移动" if loc == "zh-CN" else "Huaxin Mobile"
    card = page.get_by_test_id("channels")
    expect(card.get_by_role("heading")).to_have_text(t(loc, "%(brand)s does not close lines online", brand=brand))
    expect(card).to_contain_text(c.hotline)
    expect(card.get_by_role("link", name=c.hotline)).to_have_attribute("href", "tel:4008201234")
    for st in c.stores:
        expect(card).to_contain_text(st.address)
    expect(card.locator("address")).to_have_text(c.mail_address)
    expect(page.get_by_role("link", name=t(loc, "Close this line"))).to_have_count(0)
    assert_accessible(page, f"{name}: my lines")
    shot(page, f"{name}-lines")
    page.get_by_role("link", name=t(loc, "See what to do before closing it")).click()
    expect(page.get_by_test_id("channels")).to_contain_text(c.hotline)
    expect(page.locator("form[action$='/quote']")).to_have_count(0)  # no screens to walk for nothing
    assert_accessible(page, f"{name}: pre-check")
    ctx.close()


@pytest.mark.parametrize(("loc", "phone"), VIEWS)
def test_blocked_line_links_to_pay_port_out_status_and_my_data(browser: Browser, base_url, site, loc, phone):
    line = make_line(site, "liuliang", balance=1000, unpaid=[2500], port_out_pending=True, locale=loc)
    c = site.policy("liuliang").contact
    ctx, page = new_page(browser, base_url, locale=BROWSER[loc], phone=phone)
    name = f"blocked-{loc}-{360 if phone else 1280}"
    sign_in(page, site, line["msisdn"], loc, name)
    page.locator("a.button[href='/lines/0/close']").click()
    expect(page.locator("[data-code=ARREARS]").get_by_role("link", name=t(loc, "Pay the open bills"))
           ).to_have_attribute("href", c.pay_url)
    expect(page.locator("[data-code=PORT_OUT_PENDING]").get_by_role(
        "link", name=t(loc, "See the status of the transfer"))).to_have_attribute("href", c.port_out_url)
    expect(page.get_by_role("link", name=t(loc, "Download a copy of my data first"))).to_have_attribute(
        "href", "/my-data")
    assert_accessible(page, f"{name}: blocked pre-check")
    shot(page, f"{name}-precheck")
    ctx.close()


@pytest.mark.parametrize(("loc", "phone"), VIEWS)
def test_accept_the_fee_errors_on_fields_withdraw_and_already_closed(browser: Browser, base_url, site, loc, phone):
    today = site.clock.now().date()
    line = make_line(site, "liuliang", balance=5000, locale=loc, contract_end=(today + timedelta(days=200)).isoformat(),
                     contract_start=(today - timedelta(days=100)).isoformat(), early_termination_fee_minor=1000)
    m = line["msisdn"]
    ctx, page = new_page(browser, base_url, locale=BROWSER[loc], phone=phone)
    name = f"fee-{loc}-{360 if phone else 1280}"
    sign_in(page, site, m, loc, name)
    page.locator("a.button[href='/lines/0/close']").click()

    # "or accept the fee" comes with the button that accepts it
    contract = page.locator("[data-code=CONTRACT_ACTIVE]")
    fee = {"zh-CN": "¥10.00", "en": "CN¥10.00", "de": "10,00\xa0CN¥"}[loc]
    accept = contract.get_by_role("button", name=t(loc, "Accept the early-termination fee of %(amount)s and "
                                                        "continue", amount=fee))
    expect(accept).to_be_visible()
    assert_accessible(page, f"{name}: contract blocks")
    accept.click()
    expect(page.get_by_test_id("fee-accepted")).to_be_visible()
    expect(page.locator(".blocker")).to_have_count(0)

    # a method needing no details is chosen; only the chosen method's fields show
    expect(page.locator("input[name=refund_method][value=original_payment]")).to_be_checked()
    expect(page.locator("#dest_alipay_account")).to_be_hidden()
    page.locator("input[name=refund_method][value=alipay]").check()
    expect(page.locator("#dest_alipay_account")).to_be_visible()
    expect(page.locator("#dest_wechat_pay_account")).to_be_hidden()
    page.locator("form[action$='/quote'] button[type=submit]").click()
    field = page.locator("#dest_alipay_account")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", "err-dest_alipay_account")
    expect(page.locator("#err-dest_alipay_account")).to_have_text(t(loc, "Please fill this in: we pay the refund "
                                                                         "there."))
    expect(page.locator("input[name=refund_method][value=alipay]")).to_be_checked()
    assert_accessible(page, f"{name}: refund field error")
    shot(page, f"{name}-field-error")
    page.locator("input[name=refund_method][value=original_payment]").check()
    page.locator("form[action$='/quote'] button[type=submit]").click()

    # consequences: the error is on the group of boxes
    page.locator("#step-form button[type=submit]").click()
    expect(page.locator("#consequences")).to_have_attribute("aria-describedby", "err-consequences")
    expect(page.locator("#err-consequences")).to_have_text(t(loc, "Please tick every box to show you have read it."))
    assert_accessible(page, f"{name}: consequences error")
    for box in page.get_by_role("checkbox").all():
        box.check()
    page.locator("#step-form button[type=submit]").click()
    page.locator("#id_tail").fill("XXXXXX")
    page.locator("#step-form button[type=submit]").click()
    expect(page.locator("#id_tail")).to_have_attribute("aria-describedby", "err-id_tail")
    expect(page.locator("#err-id_tail")).to_have_text(t(loc, "Those are not the last 6 characters of your ID "
                                                             "number."))
    assert_accessible(page, f"{name}: ID error")
    page.locator("#id_tail").fill(line["id_number"][-6:])
    page.locator("#step-form button[type=submit]").click()
    no = page.get_by_test_id("application-no").inner_text()

    # item 3: told on the brand's channels (SMS and e-mail for Liuliang), in the customer's language
    with site.db.read() as conn:
        rows = conn.execute(select(outbox.c.kind, outbox.c.template, outbox.c.locale, outbox.c.payload)
                            .where(outbox.c.template.like("application_%"))).mappings().all()
    assert sorted((r["kind"], r["template"]) for r in rows) == [
        ("email", "application_approved"), ("email", "application_received"),
        ("sms", "application_approved"), ("sms", "application_received")]
    assert {r["locale"] for r in rows} == {loc}
    received = next(r for r in rows if r["template"] == "application_received" and r["kind"] == "email")
    subject = render_message("application_received", loc, dict(received["payload"])).subject
    assert {"zh-CN": "已收到您的销号申请", "en": "We received your request", "de": "Ihr Antrag auf Kündigung"}[loc] \
        in subject

    # the portal withdraws (the API could; the portal now can too) — the line is approved, not yet executing
    page.goto(f"/applications/{no}")
    assert_accessible(page, f"{name}: status with withdraw")
    page.get_by_role("button", name=t(loc, "Withdraw my application")).click()
    expect(page.get_by_test_id("status")).to_have_text(t(loc, "Withdrawn"))
    expect(page.get_by_role("button", name=t(loc, "Withdraw my application"))).to_have_count(0)

    # a repeated submit of a line closed a second ago says it is closed, with the application
    page.goto("/lines")
    page.locator("a.button[href='/lines/0/close']").click()
    page.locator("[data-code=CONTRACT_ACTIVE] button[type=submit]").click()
    page.locator("form[action$='/quote'] button[type=submit]").click()
    for box in page.get_by_role("checkbox").all():
        box.check()
    page.locator("#step-form button[type=submit]").click()
    page.locator("#id_tail").fill(line["id_number"][-6:])
    page.locator("#step-form button[type=submit]").click()
    second = page.get_by_test_id("application-no").inner_text()
    with site.db.write() as conn:  # the worker closed it a second later
        conn.execute(update(applications).where(applications.c.application_no == second)
                     .values(status="completed"))
        conn.execute(update(lines).where(lines.c.msisdn == m).values(status="closed"))
    page.go_back()
    page.locator("#id_tail").fill(line["id_number"][-6:])
    page.locator("#step-form button[type=submit]").click()
    expect(page.get_by_test_id("page-error")).to_contain_text(t(loc, "This line is already closed: %(no)s.",
                                                                no=second))
    expect(page.get_by_test_id("page-error").get_by_role("link")).to_have_attribute("href",
                                                                                    f"/applications/{second}")
    assert_accessible(page, f"{name}: already closed")
    ctx.close()


@pytest.mark.parametrize(("loc", "phone"), VIEWS)
def test_decisions_in_the_portal_say_what_to_do_and_what_happens_now(browser: Browser, base_url, site, loc, phone):
    from simexit.domain.state_machine import ActorType
    from simexit.services.closure.applications import Actor, reject

    line = make_line(site, "baohao", balance=0, locale=loc)
    m = line["msisdn"]
    first = apply_for(site, m)
    reject(site, first, Actor(ActorType.STAFF, "rita", "reviewer", "online"), ["SERVICES_STILL_BOUND"])
    second = apply_for(site, m)
    with site.db.write() as conn:  # a closing step failed for good (services/execution/step_runner.py)
        conn.execute(update(applications).where(applications.c.application_no == second)
                     .values(status="needs_attention"))
    with site.db.read() as conn:
        told = conn.execute(select(outbox.c.kind, outbox.c.template, outbox.c.locale)
                            .where(outbox.c.application_id.isnot(None))).all()
    assert {(k, tp) for k, tp, _l in told} == {(k, tp) for k in ("sms", "email")
                                               for tp in ("application_received", "application_rejected")}
    assert {lc for _k, _t, lc in told} == {loc}
    ctx, page = new_page(browser, base_url, locale=BROWSER[loc], phone=phone)
    name = f"decisions-{loc}-{360 if phone else 1280}"
    sign_in(page, site, m, loc, name, code_step=False)
    page.goto(f"/applications/{first}")
    expect(page.locator("#main")).to_contain_text(t(loc, "What to do: fix the points above, then apply again."))
    expect(page.get_by_role("button", name=t(loc, "Withdraw my application"))).to_have_count(0)
    assert_accessible(page, f"{name}: rejected")
    page.goto(f"/applications/{second}")
    expect(page.get_by_test_id("what-now")).to_have_text(t(loc, "Closing the line is taking longer: a system did "
                                                                "not answer. Our staff finishes it; you need not do "
                                                                "anything, and the delay costs you nothing. We tell "
                                                                "you when the line is closed."))
    assert_accessible(page, f"{name}: needs attention")
    shot(page, f"{name}-needs-attention")
    ctx.close()
