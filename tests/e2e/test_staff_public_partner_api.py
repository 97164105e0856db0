from sqlalchemy import select

from simexit.store.tables import esim_profiles, outbox
from simexit.store.tables_api import esim_notifications
from tests.e2e.conftest import apply_body, bearer, partner_key, staff_token
from tests.factories import make_line


def test_staff_apply_on_behalf_list_and_review(client, app):
    agent = staff_token(client, app, "ann", "agent", ["liuliang"])
    clerk = staff_token(client, app, "carl", "store_clerk", ["liuliang"])
    rita = staff_token(client, app, "rita", "reviewer", ["liuliang"])
    m1 = make_line(app, "liuliang")["msisdn"]
    m2 = make_line(app, "liuliang", services=["WeChat"])["msisdn"]
    body = apply_body(client, agent, m1, "/api/v1/staff/precheck", channel="hotline",
                      identity_method="service_password", identity_evidence={"checked": "service password"})
    r = client.post("/api/v1/staff/applications", json={**body, "channel": "store"}, headers=bearer(agent))
    assert r.status_code == 403 and r.json()["code"] == "CHANNEL_NOT_ALLOWED_FOR_ROLE"
    r = client.post("/api/v1/staff/applications", json=body, headers=bearer(rita))
    assert r.status_code == 403 and r.json()["code"] == "ROLE_NOT_PERMITTED"
    r = client.post("/api/v1/staff/applications", json=body, headers=bearer(agent))
    assert r.status_code == 201, r.text
    n1 = r.json()["application_no"]
    shown = client.get(f"/api/v1/staff/applications/{n1}", headers=bearer(clerk)).json()
    assert shown["staff_ref"] == "ann" and shown["identity_method"] == "service_password"
    assert shown["timeline"][0]["actor_role"] == "agent" and shown["timeline"][0]["channel"] == "hotline"
    body2 = apply_body(client, agent, m2, "/api/v1/staff/precheck", channel="hotline",
                       identity_method="service_password")
    r = client.post("/api/v1/staff/applications", json=body2, headers=bearer(agent))
    assert r.status_code == 409 and r.json()["code"] == "PRECHECK_BLOCKED"
    assert [f["code"] for f in r.json()["findings"]] == ["SERVICES_BOUND"]
    page = client.get("/api/v1/staff/applications?brand=liuliang&channel=hotline&limit=1", headers=bearer(rita)).json()
    assert page["limit"] == 1 and [i["application_no"] for i in page["items"]] == [n1] and page["total"] == 1
    assert client.get("/api/v1/staff/applications?channel=chat", headers=bearer(rita)).json()["total"] == 0
    assert client.get("/api/v1/staff/applications?brand=huaxin", headers=bearer(rita)).status_code == 403
    assert client.get("/api/v1/staff/applications?status=nonsense", headers=bearer(rita)).status_code == 422
    # baohao reviews every closure by a person
    hotline = staff_token(client, app, "hal", "agent", ["baohao"])
    boss = staff_token(client, app, "vera", "reviewer", ["baohao"])
    m3 = make_line(app, "baohao")["msisdn"]
    body3 = apply_body(client, hotline, m3, "/api/v1/staff/precheck", channel="hotline",
                       identity_method="service_password")
    r = client.post("/api/v1/staff/applications", json=body3, headers=bearer(hotline))
    assert r.status_code == 201 and r.json()["status"] == "pending_review", r.text
    n3 = r.json()["application_no"]
    due = client.get("/api/v1/staff/applications?status=pending_review&due_before=2100-01-01T00:00:00Z",
                     headers=bearer(boss)).json()
    assert [i["application_no"] for i in due["items"]] == [n3]
    assert client.post(f"/api/v1/staff/applications/{n3}/approve", json={}, headers=bearer(hotline)).status_code == 403
    r = client.post(f"/api/v1/staff/applications/{n3}/reject", json={"reasons": ["NOPE"]}, headers=bearer(boss))
    assert r.status_code == 422
    r = client.post(f"/api/v1/staff/applications/{n3}/reject", json={"reasons": ["DOCUMENTS_INCOMPLETE"]},
                    headers=bearer(boss))
    assert r.status_code == 200 and r.json()["status"] == "rejected", r.text
    last = r.json()["timeline"][-1]
    assert (last["actor_id"], last["actor_role"], last["event"]) == ("vera", "reviewer", "rejected")
    lines = client.get("/api/v1/staff/lines?limit=5", headers=bearer(rita)).json()["items"]
    assert {x["brand"] for x in lines} == {"liuliang"}


def test_public_cancellation_without_password_gives_a_dated_receipt(client, app, clock):
    m = make_line(app, "hansanet")["msisdn"]
    r = client.post("/api/v1/public/cancellations", json={
        "kind": "ordinary", "customer_name": "Test User", "msisdn": m, "email": "test@example.com"})
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["received_at"].startswith(clock.now().date().isoformat()) and receipt["received_at_local"]
    assert m not in r.text and receipt["msisdn"].endswith(m[-4:])
    with app.db.read() as c:
        code = c.execute(select(outbox.c.payload).where(outbox.c.template == "cancellation_code")).scalar_one()["code"]
    bad = client.post(f"/api/v1/public/cancellations/{receipt['request_no']}/confirm", json={"code": "x"})
    assert bad.status_code == 422 and bad.json()["code"] == "CODE_INVALID"
    r = client.post(f"/api/v1/public/cancellations/{receipt['request_no']}/confirm", json={"code": code})
    assert r.status_code == 200 and r.json()["state"] == "quote", r.text  # the quote before the application
    assert r.json()["identity"] == "line_code" and "NO_REACTIVATION" in r.json()["consequences"]
    r = client.post(f"/api/v1/public/cancellations/{receipt['request_no']}/confirm",
                    json={"code": code, "consequences_confirmed": list(r.json()["consequences"])})
    assert r.status_code == 200 and r.json()["state"] == "confirmed", r.text
    number = r.json()["application_no"]
    r = client.post("/api/v1/public/application-status", json={"application_no": number, "line_last4": m[-4:]})
    assert r.status_code == 200 and r.json()["status"] in ("approved", "pending_review") and m not in r.text
    wrong = f"{(int(m[-4:]) + 1) % 10000:04d}"
    r = client.post("/api/v1/public/application-status", json={"application_no": number, "line_last4": wrong})
    assert r.status_code == 404 and r.json()["code"] == "APPLICATION_NOT_FOUND"


def test_status_lookup_locks_after_five_wrong_tails(client, app):
    m = make_line(app, "hansanet")["msisdn"]
    r = client.post("/api/v1/public/cancellations", json={
        "kind": "ordinary", "customer_name": "Test User", "msisdn": m, "email": "test@example.com"})
    with app.db.read() as c:
        code = c.execute(select(outbox.c.payload).where(outbox.c.template == "cancellation_code")).scalar_one()["code"]
    url = f"/api/v1/public/cancellations/{r.json()['request_no']}/confirm"
    quote = client.post(url, json={"code": code}).json()
    number = client.post(url, json={"code": code, "consequences_confirmed": list(quote["consequences"])}
                         ).json()["application_no"]
    wrong = [f"{(int(m[-4:]) + i) % 10000:04d}" for i in range(1, 6)]
    assert [client.post("/api/v1/public/application-status", json={"application_no": number, "line_last4": w}
                        ).status_code for w in wrong] == [404] * 5
    r = client.post("/api/v1/public/application-status", json={"application_no": number, "line_last4": m[-4:]})
    assert r.status_code == 429


def test_smdp_callback_records_and_moves_the_profile_out_of_installed(client, app):
    make_line(app, "globetalk", esim_state="Installed")
    with app.db.read() as c:
        iccid = c.execute(select(esim_profiles.c.iccid)).scalar_one()
    smdp = partner_key(app, ["smdp"])
    rp = partner_key(app, ["relying_party"])
    body = {"header": {"functionRequesterIdentifier": "smdp.example", "functionCallIdentifier": "FCI-1-1"},
            "iccid": iccid + "F", "profileType": "globetalk-1", "timestamp": "2026-11-23T02:00:00Z",
            "notificationPointId": "5", "notificationPointStatus": {"status": "Executed-Success"}}
    url = "/gsma/rsp2/es2plus/handleDownloadProgressInfo"
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers={"X-Api-Key": rp}).status_code == 401
    r = client.post(url, json=body, headers={"X-Api-Key": smdp})
    assert r.status_code == 204 and r.content == b"" and r.headers["x-admin-protocol"].startswith("gsma/rsp/v2")
    assert client.post(url, json=body, headers={"X-Api-Key": smdp}).status_code == 204  # a retry: recorded once
    with app.db.read() as c:
        assert c.execute(select(esim_profiles.c.state)).scalar_one() == "Deleted"
        notes = c.execute(select(esim_notifications)).mappings().all()
    assert len(notes) == 1 and notes[0]["matched"] and notes[0]["new_state"] == "Deleted"


def test_operations_endpoints_headers_and_limits(client, app):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff" and "frame-ancestors 'none'" in \
        r.headers["content-security-policy"] and "max-age" in r.headers["strict-transport-security"]
    assert r.headers["x-request-id"]
    client.get("/api/v1/me/lines")
    metrics = client.get("/metrics").text
    assert 'simexit_http_requests_total{method="GET",route="/api/v1/me/lines",status="401"}' in metrics
    r = client.post("/api/v1/auth/customer/start", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "MALFORMED_JSON"
    r = client.post("/api/v1/public/cancellations", content=b"x" * 70_000, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "BODY_TOO_LARGE"
    r = client.get("/api/v1/nowhere", headers={"X-Request-Id": "abc-123"})
    assert r.status_code == 404 and r.json()["request_id"] == "abc-123" and r.headers["x-request-id"] == "abc-123"
    r = client.post("/api/v1/auth/customer/start", json={"msisdn": "+8613912345678", "extra": 1})
    assert r.status_code == 422 and "+8613912345678" not in r.text  # never echoes input
