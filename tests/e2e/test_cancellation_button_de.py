"""A customer of a German brand, in English on a 360 px phone, without signing in: the cancellation
button ("Verträge hier kündigen") reaches the form in one click; a blocker is shown and fixed; the
code confirms the cancellation; a reviewer approves it; the status page shows the approval."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Browser, Page, expect

from simexit.services.closure import line_changes
from tests.e2e.conftest import last_code, new_page, shot
from tests.e2e.console_steps import approve_in_console
from tests.factories import make_line


def _cancel(page: Page, site, msisdn: str, name: str) -> None:
    page.goto("/?brand=hansanet")
    expect(page.get_by_role("link", name="HansaNet Mobil")).to_be_visible()
    page.get_by_role("link", name="Verträge hier kündigen").first.click()  # one click from any page
    expect(page.get_by_role("heading", name="Verträge hier kündigen")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)  # BGB §312k: no password
    page.get_by_label("Name of the contract holder").fill("Test User")
    page.get_by_label("Phone number of the line").fill(msisdn)
    page.get_by_label("E-mail address for the confirmation").fill("test.user@example.com")
    shot(page, f"{name}-form")
    page.get_by_role("button", name="Jetzt kündigen").click()  # the §312k wording for the button
    expect(page.get_by_role("heading", name="Your cancellation was received")).to_be_visible()
    # Received at 23 November 2026, 03:00 in Hamburg (the fixed clock).
    expect(page.get_by_test_id("received")).to_have_text("2026-11-23 03:00:00 CET")
    expect(page.get_by_test_id("request-no")).to_contain_text("KR-")
    page.get_by_label("Code from the SMS").fill(last_code(site, msisdn))
    shot(page, f"{name}-receipt")
    page.get_by_role("button", name="Confirm the cancellation").click()


def test_de_cancellation_button_without_sign_in(browser: Browser, base_url: str, site, reviewer):
    # A pending port-out blocks; a SIM swap 2 days ago sends the application to a person.
    line = make_line(site, "hansanet", port_out_pending=True, balance=1250,
                     last_sim_change_at=(site.clock.now() - timedelta(days=2)).isoformat())
    ctx, page = new_page(browser, base_url, locale="en-GB")

    _cancel(page, site, line["msisdn"], "de-01")
    expect(page.get_by_role("heading", name="The line cannot be closed yet")).to_be_visible()
    expect(page.locator(".finding")).to_contain_text("A transfer of this number to another operator is in progress.")
    expect(page.locator(".finding .fix")).to_contain_text("How to fix it:")
    shot(page, "de-02-blocked")

    line_changes.cancel_port_out(site, line["msisdn"])  # the customer withdraws the transfer
    page.get_by_role("link", name="I have fixed it — cancel again").click()
    expect(page.get_by_role("heading", name="Verträge hier kündigen")).to_be_visible()
    _cancel(page, site, line["msisdn"], "de-03")
    # The quote and the consequences, as in the portal, before the application is made (issue 14).
    expect(page.get_by_test_id("quote")).to_be_visible()
    for box in page.get_by_role("checkbox").all():
        box.check()
    page.get_by_role("button", name="Close my line").click()
    expect(page.get_by_role("heading", name="Your cancellation is confirmed")).to_be_visible()
    application_no = page.get_by_test_id("application-no").inner_text()
    expect(page.get_by_test_id("status")).to_have_text("Waiting for review")
    shot(page, "de-04-confirmed")

    approve_in_console(browser, base_url, reviewer, application_no, brand="hansanet", locale="en-GB",
                       shot_name="de-05-console")

    page.get_by_role("link", name="Check the status").click()
    expect(page.get_by_label("Application number")).to_have_value(application_no)
    page.get_by_label("Last 4 digits of the phone number").fill(line["msisdn"][-4:])
    page.get_by_role("button", name="Show the status").click()
    expect(page.get_by_test_id("status")).to_have_text("Approved")
    # The public look-up shows what the API shows: the state and its dates, no timeline and no notes.
    expect(page.locator(".timeline")).to_have_count(0)
    expect(page.locator(".facts")).to_contain_text("Line closes on")
    shot(page, "de-06-status-approved")
    ctx.close()
