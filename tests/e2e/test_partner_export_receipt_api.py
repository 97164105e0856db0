"""Relying parties' API (subscriptions, the reassigned-numbers query), the data export over HTTP (request,
worker build, poll, streamed download through the signed link) and the certificate-of-cancellation link."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from simexit.services.execution.receipts import receipt_url
from simexit.worker.runner import Worker
from tests.e2e.conftest import bearer, customer_token, partner_key, staff_token
from tests.factories import make_line
from tests.integration.test_messaging_records import closed


def test_relying_party_subscribes_lists_unsubscribes_and_queries(client, app):
    key = {"X-Api-Key": partner_key(app, ["relying_party"])}
    other = {"X-Api-Key": partner_keys_other(app)}
    smdp_only = {"X-Api-Key": partner_key(app, ["smdp"])}
    body = {"label": "main", "url": "https://bank.example/hooks/simexit"}
    assert client.post("/api/v1/partner/disconnect-subscriptions", json=body, headers=smdp_only).status_code == 401
    r = client.post("/api/v1/partner/disconnect-subscriptions", json=body,
                    headers={**key, "Idempotency-Key": "sub-1"})
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    assert len(secret) >= 32 and r.json()["active"] is True
    again = client.post("/api/v1/partner/disconnect-subscriptions", json=body,
                        headers={**key, "Idempotency-Key": "sub-1"})
    assert again.status_code == 201 and again.json()["secret"] == secret
    assert again.headers["Idempotency-Replayed"] == "true"
    dup = client.post("/api/v1/partner/disconnect-subscriptions", json=body, headers=key)
    assert dup.status_code == 409 and dup.json()["code"] == "RELYING_PARTY_EXISTS"
    assert dup.headers["content-type"] == "application/problem+json"
    listed = client.get("/api/v1/partner/disconnect-subscriptions", headers=key).json()["items"]
    assert [(i["label"], i["url"]) for i in listed] == [("main", body["url"])] and "secret" not in listed[0]
    # another partner sees nothing of it and cannot remove it
    assert client.get("/api/v1/partner/disconnect-subscriptions", headers=other).json()["items"] == []
    assert client.delete("/api/v1/partner/disconnect-subscriptions/main", headers=other).status_code == 404
    r = client.delete("/api/v1/partner/disconnect-subscriptions/main", headers=key)
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/api/v1/partner/disconnect-subscriptions", headers=key).json()["items"] == []

    gone, _, _ = closed(app, "roamly", at=app.clock.now())
    held = make_line(app, "roamly")["msisdn"]

    def ask(msisdn: str, since: str) -> str:
        r = client.post("/api/v1/partner/disconnects/query", json={"msisdn": msisdn, "since": since}, headers=key)
        assert r.status_code == 200, r.text
        assert msisdn not in r.text
        return r.json()["answer"]

    today = app.clock.now().date()
    assert ask(gone, (today - timedelta(days=30)).isoformat()) == "yes"
    assert ask(gone, (today + timedelta(days=1)).isoformat()) == "no"
    assert ask(held, today.isoformat()) == "no"
    assert ask("+12025550123", "2020-01-01") == "no_data"
    r = client.post("/api/v1/partner/disconnects/query", json={"msisdn": "12", "since": "2026-01-01"}, headers=key)
    assert r.status_code == 422


def partner_keys_other(app) -> str:
    from simexit.services.access import commands as access
    from simexit.services.access.caller import System

    return access.create_partner_key(app, System(), "another bank", ["relying_party"]).key


def test_customer_export_is_built_by_the_worker_and_downloaded_through_the_signed_link(client, app, tmp_path):
    app.export_dir = tmp_path
    line = make_line(app, "liuliang")
    other = make_line(app, "liuliang")
    signed_in = customer_token(client, app, line["msisdn"])
    r = client.post("/api/v1/me/exports", json={}, headers=bearer(signed_in))
    assert r.status_code == 403 and r.json()["code"] == "SECOND_FACTOR_REQUIRED"
    token = customer_token(client, app, line["msisdn"], line["id_number"])
    r = client.post("/api/v1/me/exports", json={"msisdn": other["msisdn"]}, headers=bearer(token))
    assert r.status_code == 404 and other["msisdn"] not in r.text
    r = client.post("/api/v1/me/exports", json={}, headers={**bearer(token), "Idempotency-Key": "exp-1"})
    assert r.status_code == 202, r.text
    export_id = r.json()["export_id"]
    assert r.json()["state"] == "requested" and r.json()["download_url"] is None
    # the same key replays; a second request while one waits returns that one
    assert client.post("/api/v1/me/exports", json={}, headers={**bearer(token), "Idempotency-Key": "exp-1"}
                       ).json()["export_id"] == export_id
    assert client.post("/api/v1/me/exports", json={}, headers=bearer(token)).json()["export_id"] == export_id
    other_token = customer_token(client, app, other["msisdn"])
    assert client.get(f"/api/v1/me/exports/{export_id}", headers=bearer(other_token)).status_code == 404

    assert Worker(app, None).run_timers() == 1  # type: ignore[arg-type]  # the export_build timer
    status = client.get(f"/api/v1/me/exports/{export_id}", headers=bearer(token)).json()
    assert status["state"] == "ready" and status["download_url"].startswith("/api/v1/exports/download?t=")
    assert status["counts"]["lines.csv"] == 1
    r = client.get(status["download_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert "customer.json" in names and "usage_records.csv" in names
    forged = status["download_url"][:-4] + "0000"
    r = client.get(forged)
    assert r.status_code == 404 and r.json()["code"] == "EXPORT_TOKEN_INVALID"
    app.clock.advance(hours=app.export_ttl_hours + 1)
    r = client.get(status["download_url"])
    assert r.status_code == 410 and r.json()["code"] == "EXPORT_EXPIRED"


def test_agent_asks_for_an_export_on_behalf_within_their_brands(client, app, tmp_path):
    app.export_dir = tmp_path
    m = make_line(app, "huaxin")["msisdn"]
    agent = staff_token(client, app, "ann", "agent", ["huaxin"])
    outsider = staff_token(client, app, "otto", "agent", ["liuliang"])
    reviewer = staff_token(client, app, "rita", "reviewer", ["huaxin"])
    assert client.post("/api/v1/staff/exports", json={"msisdn": m}, headers=bearer(outsider)).status_code == 404
    assert client.post("/api/v1/staff/exports", json={"msisdn": m}, headers=bearer(reviewer)).status_code == 403
    r = client.post("/api/v1/staff/exports", json={"msisdn": m}, headers=bearer(agent))
    assert r.status_code == 202, r.text
    export_id = r.json()["export_id"]
    assert client.get(f"/api/v1/staff/exports/{export_id}", headers=bearer(outsider)).status_code == 404
    assert client.get(f"/api/v1/staff/exports/{export_id}", headers=bearer(reviewer)).json()["state"] == "requested"


def test_receipt_link_serves_the_certificate_only_when_completed_and_keyed(client, app):
    _, no, _ = closed(app)
    url = receipt_url(app, "", no)
    assert url.startswith(f"/receipts/{no}?t=")
    r = client.get(url + "&lang=en")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html") and no in r.text
    csp = r.headers["content-security-policy"]  # the print button's script is a file: no inline script allowed
    assert "script-src 'self'" in csp and "unsafe" not in csp.split("script-src")[1].split(";")[0]
    assert "注销" in client.get(url, headers={"Accept-Language": "zh-CN"}).text
    r = client.get(f"/receipts/{no}?t=00000000000000000000")
    assert r.status_code == 404 and r.json()["code"] == "RECEIPT_NOT_FOUND"
    _, open_no, _ = closed(app, complete=False)
    r = client.get(receipt_url(app, "", open_no))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
