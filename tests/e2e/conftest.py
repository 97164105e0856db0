"""HTTP tests: the whole app (create_app) over the test database, through Starlette's TestClient."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from simexit.asgi import create_app
from simexit.services import partner_keys, staff_auth
from simexit.store.tables import outbox

PASSWORD = "correct horse battery staple"


@pytest.fixture
def api(app):
    return create_app(app)


@pytest.fixture
def client(api):
    with TestClient(api, base_url="https://testserver") as c:
        yield c


def last_code(app, msisdn: str) -> str:
    with app.db.read() as c:
        rows = c.execute(select(outbox.c.payload).where(outbox.c.recipient == msisdn, outbox.c.kind == "sms")
                         .order_by(outbox.c.id.desc())).scalars().all()
    return rows[0]["code"]


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
    staff_auth.create_staff(app, username, PASSWORD, role, brands)
    r = client.post("/api/v1/auth/staff/sign-in", json={"username": username, "password": PASSWORD,
                                                        "session": "token"})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def partner_key(app, scopes: list[str]) -> str:
    return partner_keys.create_key(app, "partner", scopes)[1]


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
