"""A closure whose saga step failed (needs_attention) is put back to work from its console page: a supervisor
retries the step, or — when the step left the outside state uncertain (an eSIM cancelOrder whose answer was
lost) — confirms the state seen at the SM-DP+ with a note. Staff whose role may not do it see neither form; every
refusal (role, state, note, nothing uncertain, expired form) is a 4xx page in the reader's language, changes
nothing, and a second post of the same form does not act twice.

The closures stop for real: the worker runs the saga against the HSS and SM-DP+ simulators."""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from simexit.services.closure.applications import show
from simexit.store.tables import applications
from simexit.store.tables_worker import saga_steps
from simexit.worker.runner import Worker, WorkerOptions
from tests.e2e.conftest import STAFF_PASSWORD, create_staff, new_page, shot
from tests.e2e.console_steps import sign_in
from tests.factories import make_line
from tests.simulated_world import apply_for, clean_line, start_world, stop_world

TEXT = {
    "retry": {"en": "Retry the step", "de": "Schritt wiederholen", "zh-CN": "重试该步骤"},
    "confirm": {"en": "Confirm the outside state", "de": "Zustand im Fremdsystem bestätigen",
                "zh-CN": "确认外部系统中的状态"},
    "bar": {"en": "Bar the line on the network", "de": "Anschluss im Netz sperren", "zh-CN": "在网络中停机"},
    "esim": {"en": "Cancel the eSIM profile at the SM-DP+", "de": "eSIM-Profil beim SM-DP+ stornieren",
             "zh-CN": "在 SM-DP+ 注销 eSIM 配置文件"},
    "runs_again": {"en": "The step runs again.", "de": "Der Schritt läuft erneut.", "zh-CN": "该步骤将重新执行。"},
    "confirmed": {"en": "The outside state is confirmed", "de": "Der Zustand im Fremdsystem ist bestätigt",
                  "zh-CN": "外部状态已确认"},
    "executing": {"en": "Being closed", "de": "Wird abgeschaltet", "zh-CN": "正在注销"},
    "completed": {"en": "Closed", "de": "Gekündigt", "zh-CN": "已注销"},
    "needs_attention": {"en": "Needs attention", "de": "Braucht Aufmerksamkeit", "zh-CN": "需要处理"},
    "role": {"en": "Your role may not put a closure back to work.",
             "de": "Ihre Rolle darf keine Abschaltung wieder in Gang setzen.", "zh-CN": "您的角色无权重新启动注销。"},
    "note": {"en": "Write down what you checked at the outside system before you confirm its state.",
             "de": "Schreiben Sie auf, was Sie im Fremdsystem geprüft haben, bevor Sie seinen Zustand bestätigen.",
             "zh-CN": "确认外部状态前，请写明您在外部系统中核查了什么。"},
    "not_uncertain": {"en": "There is no outside state to confirm",
                      "de": "Es gibt keinen Zustand im Fremdsystem zu bestätigen", "zh-CN": "没有需要确认的外部状态"},
    "not_waiting": {"en": "This closure is not waiting for a supervisor (any more)",
                    "de": "Diese Abschaltung wartet nicht (mehr) auf eine Teamleitung",
                    "zh-CN": "该注销（已）不在等待主管处理"},
}


# -- closures that need attention, stopped by the worker against the simulators -------------------------------
@pytest.fixture(scope="module")
def world():
    w = start_world()
    yield w
    stop_world(w)


@pytest.fixture
def outside(world):
    """The HSS and SM-DP+ simulators, emptied for the test."""
    world.post(world.hss, "reset", {})
    world.post(world.smdp, "reset", {})
    world.recorder.calls.clear()
    return world


def _worker(app, sims) -> Worker:
    return Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=5))


def outage_closure(app, sims) -> str:
    """A SIM line whose bar step failed: the HSS was down on every try. It is back up afterwards."""
    line = clean_line(app, "globetalk", kind="sim")
    sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    sims.post(sims.hss, "behaviour", {"fail": "unavailable"})
    Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=1)).run_until_idle()
    sims.post(sims.hss, "behaviour", {"fail": "none"})
    assert show(app, number)["status"] == "needs_attention"
    return number


def uncertain_closure(app, clock, sims) -> str:
    """An eSIM line whose cancelOrder was executed but its answer lost: the repeat is refused for the state the
    first call set (ESIM_STATE_UNCERTAIN), as in tests/integration/test_real_systems_saga.py."""
    line = clean_line(app, "globetalk", esim_state="Released")
    sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    sims.post(sims.smdp, "lose_answers", {"count": 1})
    worker = Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=5))
    for _ in range(4):
        worker.run_until_idle()
        clock.advance(seconds=30)
    assert show(app, number)["status"] == "needs_attention"
    assert _failed(app, number)["last_error"].startswith("smdp: ESIM_STATE_UNCERTAIN: ")
    return number


def refused_closure(app, sims) -> str:
    """An eSIM line whose first cancelOrder was refused (the profile was already Unavailable): a plain refusal,
    nothing uncertain to confirm."""
    line = clean_line(app, "globetalk", esim_state="Released")
    seeded = sims.seed_line(app, line["msisdn"])
    sims.post(sims.smdp, "seed", [{"iccid": i, "state": "Unavailable"} for i in seeded["profiles"]])
    number = apply_for(app, line["msisdn"])
    Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=5)).run_until_idle()
    assert show(app, number)["status"] == "needs_attention"
    assert _failed(app, number)["last_error"].startswith("smdp: PROFILE_CANNOT_BE_RELEASED")
    return number


def _failed(app, number: str):
    with app.db.read() as conn:
        app_id = conn.execute(select(applications.c.id).where(applications.c.application_no == number)).scalar_one()
        return conn.execute(select(saga_steps).where(saga_steps.c.application_id == app_id,
                                                     saga_steps.c.state == "failed")).mappings().first()


def _unchanged(app, number: str, step: str) -> None:
    """Nothing was stored: the closure still needs attention, its step is still failed, nobody retried."""
    view = show(app, number)
    assert view["status"] == "needs_attention"
    assert "retried" not in [e["event"] for e in view["timeline"]]
    failed = _failed(app, number)
    assert failed is not None and failed["step"] == step


# -- HTTP: the page and its refusals ------------------------------------------------------------------------
def _console(api, app, username: str, role: str, brands: list[str], locale: str = "en") -> TestClient:
    create_staff(app, username, STAFF_PASSWORD, role, brands)
    c = TestClient(api, base_url="https://127.0.0.1")
    c.headers.update({"accept": "text/html,application/xhtml+xml,*/*;q=0.8", "accept-language": locale})
    c.cookies.set("lang", locale, domain="127.0.0.1")
    r = c.post("/console/sign-in", data={"csrf": _csrf(c.get("/console/sign-in").text), "username": username,
                                         "password": STAFF_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


def _post(c: TestClient, number: str, action: str, note: str | None = None, **headers: str):
    page = c.get(f"/console/applications/{number}")
    data = {"csrf": _csrf(page.text), **({"note": note} if note is not None else {})}
    return c.post(f"/console/applications/{number}/{action}", data=data, headers=headers, follow_redirects=False)


def test_a_role_without_the_permission_sees_the_failure_but_no_form_and_is_refused(api, app, outside):
    number = outage_closure(app, outside)
    with _console(api, app, "rolf", "reviewer", ["globetalk"], "de") as c:
        page = c.get(f"/console/applications/{number}")
        assert page.status_code == 200
        assert TEXT["bar"]["de"] in page.text and "pyhss: HTTP_503" in page.text  # the step and its error
        assert f"/console/applications/{number}/retry" not in page.text
        assert f"/console/applications/{number}/confirm-state" not in page.text
        for action in ("retry", "confirm-state"):
            r = _post(c, number, action, "looked")
            assert r.status_code == 403 and r.headers["content-type"].startswith("text/html"), r.text[:300]
            assert TEXT["role"]["de"] in r.text and '<html lang="de">' in r.text
            problem = _post(c, number, action, "looked", accept="application/json")
            assert problem.status_code == 403
            assert problem.headers["content-type"].startswith("application/problem+json")
    _unchanged(app, number, "network_bar")


def test_a_supervisor_of_another_brand_finds_no_such_application(api, app, outside):
    number = outage_closure(app, outside)
    with _console(api, app, "hugo", "supervisor", ["huaxin"]) as c:
        assert c.get(f"/console/applications/{number}").status_code == 404
        csrf = _csrf(c.get("/console/sign-in").text)
        r = c.post(f"/console/applications/{number}/retry", data={"csrf": csrf}, follow_redirects=False)
        assert r.status_code == 404
    _unchanged(app, number, "network_bar")


def test_a_form_without_its_csrf_token_changes_nothing(api, app, outside):
    number = outage_closure(app, outside)
    with _console(api, app, "sue", "supervisor", ["*"]) as c:
        r = c.post(f"/console/applications/{number}/retry", data={"csrf": "forged"}, follow_redirects=False)
        assert r.status_code == 403
    _unchanged(app, number, "network_bar")


def test_confirming_without_a_note_is_refused_with_why(api, app, clock, outside):
    number = uncertain_closure(app, clock, outside)
    with _console(api, app, "sue", "supervisor", ["globetalk"], "zh-CN") as c:
        page = c.get(f"/console/applications/{number}").text
        assert f"/console/applications/{number}/confirm-state" in page and TEXT["esim"]["zh-CN"] in page
        for note in (None, "   "):
            r = _post(c, number, "confirm-state", note)
            assert r.status_code == 422, r.status_code
            assert TEXT["note"]["zh-CN"] in r.text and '<html lang="zh-CN">' in r.text
    _unchanged(app, number, "esim_release")


def test_confirming_a_plain_refusal_is_a_conflict(api, app, outside):
    number = refused_closure(app, outside)
    with _console(api, app, "sue", "supervisor", ["globetalk"], "de") as c:
        page = c.get(f"/console/applications/{number}").text
        assert f"/console/applications/{number}/retry" in page
        assert f"/console/applications/{number}/confirm-state" not in page  # nothing uncertain: no such form
        r = _post(c, number, "confirm-state", "SM-DP+ shows Unavailable")
        assert r.status_code == 409
        assert TEXT["not_uncertain"]["de"] in r.text
    _unchanged(app, number, "esim_release")


def test_an_application_that_is_not_in_needs_attention_is_refused(api, app):
    line = make_line(app, "liuliang")
    number = apply_for(app, line["msisdn"])
    status = show(app, number)["status"]
    with _console(api, app, "sue", "supervisor", ["*"], "de") as c:
        page = c.get(f"/console/applications/{number}").text
        assert 'data-testid="failed-step"' not in page and "/retry" not in page
        for action in ("retry", "confirm-state"):
            r = _post(c, number, action, "looked")
            assert r.status_code == 409, (action, r.status_code)
            assert TEXT["not_waiting"]["de"] in r.text
    assert show(app, number)["status"] == status


def test_a_second_post_or_a_reload_does_not_retry_twice(api, app, outside):
    number = outage_closure(app, outside)
    with _console(api, app, "sue", "supervisor", ["globetalk"]) as c:
        page = c.get(f"/console/applications/{number}")
        form = {"csrf": _csrf(page.text), "note": "HSS is back"}
        first = c.post(f"/console/applications/{number}/retry", data=form, follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == f"/console/applications/{number}?reopened=retry"
        again = c.post(f"/console/applications/{number}/retry", data=form, follow_redirects=False)
        assert again.status_code == 409 and TEXT["not_waiting"]["en"] in again.text
        for _ in range(2):  # the page after the redirect, reloaded: a GET, it does nothing
            shown = c.get(first.headers["location"])
            assert shown.status_code == 200 and TEXT["runs_again"]["en"] in shown.text
        assert c.get(f"/console/applications/{number}/retry").status_code == 405  # no GET acts
    view = show(app, number)
    assert view["status"] == "executing"
    events = Counter(e["event"] for e in view["timeline"])
    assert events["retried"] == 1
    assert [e["note"] for e in view["timeline"] if e["event"] == "retried"] == ["HSS is back"]


# -- in the browser ---------------------------------------------------------------------------------------------
def test_a_supervisor_retries_a_closure_that_needs_attention_and_it_closes(browser: Browser, base_url, site, outside):
    number = outage_closure(site, outside)
    create_staff(site, "sue", STAFF_PASSWORD, "supervisor", ["globetalk"])
    ctx, page = new_page(browser, base_url, locale="de-DE", phone=True)
    sign_in_de(page, "sue")
    page.goto(f"/console/applications/{number}")
    expect(page.get_by_test_id("status")).to_have_text(TEXT["needs_attention"]["de"])
    failed = page.get_by_test_id("failed-step")
    expect(failed.get_by_test_id("failed-step-name")).to_have_text(TEXT["bar"]["de"])
    expect(failed.get_by_test_id("failed-step-error")).to_contain_text("pyhss: HTTP_503")
    expect(page.get_by_role("button", name=TEXT["confirm"]["de"])).to_have_count(0)  # nothing uncertain
    shot(page, "console-retry-de-before")
    page.get_by_label("Hinweis (freiwillig, erscheint im Verlauf)").fill("HSS wieder erreichbar")
    page.get_by_role("button", name=TEXT["retry"]["de"]).click()
    expect(page.get_by_test_id("reopened")).to_have_text(TEXT["runs_again"]["de"])
    expect(page.get_by_test_id("status")).to_have_text(TEXT["executing"]["de"])
    expect(page.get_by_test_id("failed-step")).to_have_count(0)
    _worker(site, outside).run_until_idle()
    page.reload()  # the page after the redirect: reloading it does not post again
    expect(page.get_by_test_id("status")).to_have_text(TEXT["completed"]["de"])
    expect(page.locator(".timeline")).to_contain_text("HSS wieder erreichbar")
    shot(page, "console-retry-de-after")
    ctx.close()
    view = show(site, number)
    assert view["status"] == "completed"
    assert Counter(e["event"] for e in view["timeline"])["retried"] == 1
    assert Counter(e["kind"] for e in outside.effects(outside.hss))["bar"] == 1


def test_a_supervisor_confirms_an_uncertain_esim_state_and_the_closure_completes(browser: Browser, base_url, site,
                                                                                  clock, outside):
    number = uncertain_closure(site, clock, outside)
    create_staff(site, "sue", STAFF_PASSWORD, "supervisor", ["*"])
    ctx, page = new_page(browser, base_url, locale="zh-CN", phone=False)
    sign_in(page, "sue", zh=True)
    page.goto(f"/console/applications/{number}")
    failed = page.get_by_test_id("failed-step")
    expect(failed.get_by_test_id("failed-step-name")).to_have_text(TEXT["esim"]["zh-CN"])
    expect(failed).to_contain_text("Unavailable")  # what the supervisor must have seen at the SM-DP+
    confirm = page.get_by_role("button", name=TEXT["confirm"]["zh-CN"])
    confirm.click()  # without a note: the browser does not send the form
    expect(page.get_by_test_id("status")).to_have_text(TEXT["needs_attention"]["zh-CN"])
    assert show(site, number)["status"] == "needs_attention"
    shot(page, "console-confirm-zh-before")
    page.get_by_label("您核查了什么（必填，显示在进度记录中）").fill("SM-DP+ 门户显示配置文件为 Unavailable")
    confirm.click()
    expect(page.get_by_test_id("reopened")).to_contain_text(TEXT["confirmed"]["zh-CN"])
    expect(page.get_by_test_id("status")).to_have_text(TEXT["executing"]["zh-CN"])
    _worker(site, outside).run_until_idle()
    page.reload()
    expect(page.get_by_test_id("status")).to_have_text(TEXT["completed"]["zh-CN"])
    shot(page, "console-confirm-zh-after")
    ctx.close()
    view = show(site, number)
    assert view["status"] == "completed", view["timeline"][-1]
    assert [e["note"] for e in view["timeline"] if e["event"] == "retried"] == ["SM-DP+ 门户显示配置文件为 Unavailable"]
    # the SM-DP+ executed the cancellation once; the profile is Unavailable there and in simexit
    assert [p["state"] for p in outside.get(outside.smdp, "state")] == ["Unavailable"]
    assert len(outside.effects(outside.smdp)) == 1


def sign_in_de(page, username: str) -> None:
    page.goto("/console/sign-in")
    page.locator("#username").fill(username)
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("form[action='/console/sign-in'] button[type=submit]").click()
    page.wait_for_url("**/console")
    expect(page.locator("html")).to_have_attribute("lang", "de")
