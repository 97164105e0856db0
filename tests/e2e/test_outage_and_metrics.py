"""A database outage answers 503 problem+json with Retry-After, not 500; /metrics reports applications in
needs_attention and dead outbox messages (issue 12, item 11)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from simexit.bootstrap import web_app
from simexit.clock import SystemClock
from simexit.services.context import Simexit
from simexit.store.database import Database
from simexit.store.tables import applications, outbox
from tests.e2e.conftest import apply_body, bearer, customer_token
from tests.factories import make_line

# Nothing listens on port 1; SQLite cannot open a directory as its database file.
UNREACHABLE = {"sqlite": "sqlite:///{tmp}", "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/simexit"}


@pytest.mark.parametrize("dialect", sorted(UNREACHABLE))
def test_a_database_outage_is_503_with_retry_after(policies, dialect, tmp_path):
    down = Simexit(db=Database(UNREACHABLE[dialect].format(tmp=tmp_path)), policies=dict(policies), clock=SystemClock(),
                   secret_key="outage-test-secret-0123456789", brand_ids={c: i for i, c in enumerate(policies, 1)})
    with TestClient(web_app(down), base_url="https://testserver") as client:
        for method, path, body in (("POST", "/api/v1/auth/customer/start", {"msisdn": "+8613912345678"}),
                                   ("GET", "/api/v1/me/lines", None),
                                   ("POST", "/api/v1/public/application-status",
                                    {"application_no": "SX-0000-0000-0", "line_last4": "0000"})):
            r = client.request(method, path, json=body, headers=bearer("x" * 40))
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.headers["retry-after"] == "5" and r.json()["code"] == "DATABASE_UNAVAILABLE"
        assert client.get("/readyz").status_code == 503
        metrics = client.get("/metrics")
        assert metrics.status_code == 200 and "simexit_database_up 0.0" in metrics.text
    down.db.dispose()


def test_metrics_count_needs_attention_and_dead_messages(client, app):
    line = make_line(app, "liuliang")
    token = customer_token(client, app, line["msisdn"], line["id_number"])
    r = client.post("/api/v1/me/applications", json=apply_body(client, token, line["msisdn"]), headers=bearer(token))
    assert r.status_code == 201, r.text
    text = client.get("/metrics").text
    assert 'simexit_applications_needs_attention{brand="liuliang"} 0.0' in text
    assert 'simexit_outbox_dead_messages{kind="sms"} 0.0' in text and "simexit_database_up 1.0" in text
    with app.db.write() as conn:
        conn.execute(update(applications).values(status="needs_attention"))
        conn.execute(update(outbox).where(outbox.c.kind == "sms", outbox.c.template == "otp_code").values(state="dead"))
    text = client.get("/metrics").text
    assert 'simexit_applications_needs_attention{brand="liuliang"} 1.0' in text
    assert 'simexit_applications_needs_attention{brand="huaxin"} 0.0' in text
    assert 'simexit_outbox_dead_messages{kind="sms"} 1.0' in text
