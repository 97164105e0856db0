"""Internal error texts never reach customers (issue 12, item 6): after an HSS outage the customer's timeline
and status show a plain message in their language; staff see the technical note with identifiers masked."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from simexit.asgi import create_app
from simexit.store.tables import accounts, customers, lines
from simexit.worker.runner import Worker, WorkerOptions
from tests.e2e.conftest import bearer, customer_token, staff_token
from tests.simulated_world import apply_for, clean_line

PLAIN = {"en": "We hit a technical problem while closing your line. Our team is on it; you need do nothing.",
         "zh-CN": "注销号码时遇到技术问题，我们正在处理，您无需任何操作。"}


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_hss_error_reaches_the_customer_as_a_plain_message(app, sims, locale):
    line = clean_line(app, "globetalk")
    seeded = sims.seed_line(app, line["msisdn"])
    with app.db.write() as conn:
        cid = conn.execute(select(accounts.c.customer_id).join(lines, lines.c.account_id == accounts.c.id)
                           .where(lines.c.msisdn == line["msisdn"])).scalar_one()
        conn.execute(update(customers).where(customers.c.id == cid).values(locale=locale))
    number = apply_for(app, line["msisdn"])
    sims.post(sims.hss, "behaviour", {"fail": "error"})
    Worker(app, sims.integrations(), WorkerOptions(max_attempts=1)).run_until_idle()
    imsi = seeded["imsi"]
    secret = ("pyhss", "HTTP_500", "/subscriber", imsi)

    with TestClient(create_app(app), base_url="https://testserver") as client:
        token = customer_token(client, app, line["msisdn"])
        mine = client.get(f"/api/v1/me/applications/{number}", headers=bearer(token))
        assert mine.status_code == 200 and mine.json()["status"] == "needs_attention"
        assert not any(s in mine.text for s in secret), mine.text
        last = mine.json()["timeline"][-1]
        assert last["event"] == "needs_attention" and last["note"] == PLAIN[locale]

        client.cookies.set("lang", locale)
        client.cookies.set("sx_session", token)
        page = client.get(f"/applications/{number}")
        assert page.status_code == 200
        assert not any(s in page.text for s in secret)
        assert PLAIN[locale] in page.text

        status = client.post("/api/v1/public/application-status",
                             json={"application_no": number, "line_last4": line["msisdn"][-4:]})
        assert status.status_code == 200 and not any(s in status.text for s in secret)

        staff = client.get(f"/api/v1/staff/applications/{number}",
                           headers=bearer(staff_token(client, app, "sue", "supervisor", ["*"])))
        note = staff.json()["timeline"][-1]["note"]
        assert "pyhss: HTTP_500" in note and imsi not in note and imsi[-4:] in note
