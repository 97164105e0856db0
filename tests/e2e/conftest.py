"""HTTP tests go through Starlette's TestClient on create_app (fixtures ``api``, ``client``).

Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium; never `playwright install`)
against create_app served by uvicorn in a thread on a free 127.0.0.1 port, on the test database.
Each test's Simexit (fixed clock, emptied database) is swapped into the running app."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import select

from simexit.bootstrap import bootstrap, web_app
from simexit.config import Settings
from simexit.services.access import commands as access
from simexit.services.access.caller import System
from simexit.services.context import Simexit
from simexit.store.tables import outbox

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 360, "height": 740}
STAFF_PASSWORD = "e2e-password-2026"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk", pytrace=False)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


class _Holder:
    """The running web app; each test puts its own Simexit into it."""

    web: Any = None


@pytest.fixture(scope="session")
def live_server(database, policies) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from simexit.clock import SystemClock

    boot = bootstrap(Settings(database_url=database.url, secret_key="boot-secret-0123456789"), db=database,
                     clock=SystemClock(), policies=policies)
    web = web_app(boot)
    # Plain HTTP on 127.0.0.1, like the demo (scripts/start): cookies without Secure, the console's without __Host-.
    web.state.api_settings = web.state.api_settings.model_copy(update={"cookie_secure": False})
    _Holder.web = web
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start", pytrace=False)
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    return live_server


@pytest.fixture
def site(app: Simexit, live_server: str) -> Simexit:
    """The test's Simexit, served by the live server."""
    _Holder.web.state.simexit = app
    return app


@pytest.fixture
def reviewer(site: Simexit) -> str:
    create_staff(site, "rita", STAFF_PASSWORD, "reviewer", ["*"], display_name="Rita Reviewer")
    return "rita"


def new_page(browser: Browser, base_url: str, *, locale: str, phone: bool = True) -> tuple[BrowserContext, Page]:
    ctx = browser.new_context(base_url=base_url, locale=locale,
                              viewport=PHONE if phone else {"width": 1280, "height": 900},
                              device_scale_factor=1, is_mobile=phone, has_touch=phone)
    ctx.set_default_timeout(10_000)
    return ctx, ctx.new_page()


def last_code(app: Simexit, recipient: str) -> str:
    """The one-time code most recently sent to ``recipient`` (read from the outbox, as the SMS would carry)."""
    with app.db.read() as conn:
        row = conn.execute(select(outbox.c.payload).where(outbox.c.recipient == recipient, outbox.c.kind == "sms",
                                                          outbox.c.template.in_(("otp_code", "cancellation_code")))
                           .order_by(outbox.c.id.desc())).first()
    assert row is not None, "no SMS was sent"
    return row.payload["code"]


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot, after checking that nothing sticks out sideways (clipped text)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    overflow = page.evaluate("""() => {
        const w = document.documentElement.clientWidth;
        const bad = [];
        for (const el of document.querySelectorAll('body *')) {
            if (el.closest('.table-wrap')) continue;
            const r = el.getBoundingClientRect();
            if (r.width && (r.right > w + 1 || r.left < -1) && getComputedStyle(el).position !== 'absolute')
                bad.push(el.tagName + '.' + el.className + ': ' + (el.textContent || '').trim().slice(0, 40));
            if (el.scrollWidth > el.clientWidth + 1 && ['hidden', 'clip'].includes(getComputedStyle(el).overflowX))
                bad.push('clipped ' + el.tagName + ': ' + (el.textContent || '').trim().slice(0, 40));
        }
        return {page: document.documentElement.scrollWidth - w, bad: bad.slice(0, 5)};
    }""")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert overflow["page"] <= 0 and not overflow["bad"], f"{name}: content wider than the screen: {overflow}"


PASSWORD = "correct horse battery staple"


def create_staff(app: Simexit, username: str, password: str, role: str, brands: list[str], **kw: Any) -> None:
    """A staff account made by simexit's operator (the CLI's caller)."""
    access.create_staff(app, System(), username, password, role, brands, **kw)


@pytest.fixture
def api(app):
    return web_app(app)


@pytest.fixture
def client(api):
    with TestClient(api, base_url="https://testserver") as c:
        yield c


def customer_token(client, app, msisdn: str, id_number: str | None = None) -> str:
    r = client.post("/api/v1/auth/customer/start", json={"msisdn": msisdn})
    assert r.status_code == 202, r.text
    r = client.post("/api/v1/auth/customer/verify",
                    json={"msisdn": msisdn, "code": last_code(app, msisdn), "session": "token"})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    if id_number:
        r = client.post("/api/v1/auth/customer/second-factor", json={"id_tail": id_number[-6:]},
                        headers=bearer(token))
        assert r.status_code == 200, r.text
    return token


def staff_token(client, app, username: str, role: str, brands: list[str]) -> str:
    create_staff(app, username, PASSWORD, role, brands)
    r = client.post("/api/v1/auth/staff/sign-in", json={"username": username, "password": PASSWORD,
                                                        "session": "token"})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def partner_key(app, scopes: list[str]) -> str:
    return access.create_partner_key(app, System(), "partner", scopes).key


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def apply_body(client, token: str, msisdn: str, path: str = "/api/v1/me/precheck", **extra) -> dict:
    """An apply body that confirms the consequences and picks a refund method, from the pre-check."""
    r = client.post(path, json={"msisdn": msisdn}, headers=bearer(token))
    assert r.status_code == 200, r.text
    pc = r.json()
    body = {"msisdn": msisdn, "consequences_confirmed": list(pc["consequences"]), **extra}
    if pc["quote"].get("refund_minor", 0) > 0:
        body["refund_method"] = "original_payment" if "original_payment" in pc["refund_methods"] \
            else pc["refund_methods"][0]
    return body
