from tests.e2e.conftest import apply_body, bearer, customer_token, last_code
from tests.factories import make_line


def test_customer_walk_from_sign_in_to_withdrawal(client, app):
    line = make_line(app, "liuliang")
    m = line["msisdn"]
    token = customer_token(client, app, m)
    r = client.get("/api/v1/me/lines", headers=bearer(token))
    assert [x["msisdn"] for x in r.json()["items"]] == [m]
    body = apply_body(client, token, m)
    r = client.post("/api/v1/me/applications", json=body, headers=bearer(token))
    assert r.status_code == 403 and r.json()["code"] == "SECOND_FACTOR_REQUIRED"
    assert r.headers["content-type"] == "application/problem+json"
    r = client.post("/api/v1/auth/customer/second-factor", json={"id_tail": "000000"}, headers=bearer(token))
    assert r.status_code == 401 and r.json()["code"] == "SECOND_FACTOR_INVALID"
    r = client.post("/api/v1/auth/customer/second-factor", json={"id_tail": line["id_number"][-6:]},
                    headers=bearer(token))
    assert r.status_code == 200 and r.json()["second_factor_until"]
    r = client.post("/api/v1/me/applications", json=body, headers=bearer(token))
    assert r.status_code == 201, r.text
    number = r.json()["application_no"]
    assert r.json()["status"] == "approved" and r.json()["replayed"] is False
    r = client.post("/api/v1/me/applications", json=body, headers=bearer(token))
    assert r.status_code == 200 and r.json() == {"application_no": number, "status": "approved", "replayed": True}
    page = client.get("/api/v1/me/applications?limit=1", headers=bearer(token)).json()
    assert page["total"] == 1 and page["items"][0]["application_no"] == number
    shown = client.get(f"/api/v1/me/applications/{number}", headers=bearer(token)).json()
    assert shown["timeline"][0]["event"] == "submitted" and shown["timeline"][0]["actor_type"] == "customer"
    r = client.post(f"/api/v1/me/applications/{number}/withdraw", json={"note": "changed my mind"},
                    headers=bearer(token))
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    r = client.post("/api/v1/auth/customer/sign-out", headers=bearer(token))
    assert r.status_code == 204
    assert client.get("/api/v1/me/lines", headers=bearer(token)).status_code == 401


def test_cookie_session_is_secure_httponly_samesite(client, app):
    m = make_line(app, "liuliang")["msisdn"]
    client.post("/api/v1/auth/customer/start", json={"msisdn": m})
    r = client.post("/api/v1/auth/customer/verify", json={"msisdn": m, "code": last_code(app, m)})
    assert r.status_code == 200 and r.json()["token"] is None
    cookie = r.headers["set-cookie"].lower()
    assert "simexit_session=" in cookie and "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    assert client.get("/api/v1/me/lines").json()["items"][0]["msisdn"] == m  # the cookie alone signs in
    assert client.post("/api/v1/auth/customer/sign-out").status_code == 204
    client.cookies.clear()
    assert client.get("/api/v1/me/lines").status_code == 401


def test_five_wrong_codes_use_up_the_code(client, app):
    m = make_line(app, "liuliang")["msisdn"]
    client.post("/api/v1/auth/customer/start", json={"msisdn": m})
    code = last_code(app, m)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answers = [client.post("/api/v1/auth/customer/verify", json={"msisdn": m, "code": wrong}) for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert answers[-1].json()["code"] == "SIGN_IN_LOCKED"
    r = client.post("/api/v1/auth/customer/verify", json={"msisdn": m, "code": code})
    assert r.status_code == 429  # that code is used up, even when right
    client.post("/api/v1/auth/customer/start", json={"msisdn": m})  # a new code, at once: no lockout
    r = client.post("/api/v1/auth/customer/verify", json={"msisdn": m, "code": last_code(app, m)})
    assert r.status_code == 200


def test_answers_do_not_reveal_whether_a_number_exists(client, app):
    known = make_line(app, "liuliang")["msisdn"]
    unknown = "+8613912345678"
    starts = [client.post("/api/v1/auth/customer/start", json={"msisdn": n}) for n in (known, unknown)]
    assert starts[0].status_code == starts[1].status_code == 202
    assert starts[0].json() == starts[1].json()
    code = last_code(app, known)
    wrong = "000000" if code != "000000" else "111111"
    verifies = [client.post("/api/v1/auth/customer/verify", json={"msisdn": n, "code": wrong})
                for n in (known, unknown)]
    strip = [{k: v for k, v in r.json().items() if k != "request_id"} for r in verifies]
    assert verifies[0].status_code == verifies[1].status_code == 401 and strip[0] == strip[1]


def test_idempotent_replay_and_conflicting_body(client, app):
    line = make_line(app, "liuliang")
    m = line["msisdn"]
    token = customer_token(client, app, m, line["id_number"])
    body = apply_body(client, token, m)
    headers = {**bearer(token), "Idempotency-Key": "k-1"}
    bad = client.post("/api/v1/me/applications", json={**body, "channel": "fax"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "VALIDATION_FAILED"  # not stored
    first = client.post("/api/v1/me/applications", json=body, headers=headers)
    assert first.status_code == 201 and "idempotency-replayed" not in first.headers
    again = client.post("/api/v1/me/applications", json=body, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotency-replayed"] == "true"
    other = client.post("/api/v1/me/applications", json={**body, "reason_code": "too_expensive"}, headers=headers)
    assert other.status_code == 409 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_idempotency_lasts_24_hours(client, app, clock):
    r = {"kind": "ordinary", "customer_name": "Test User", "msisdn": "+8613900000000", "email": "a@example.com"}
    first = client.post("/api/v1/public/cancellations", json=r, headers={"Idempotency-Key": "day"})
    clock.advance(hours=23, minutes=59)
    again = client.post("/api/v1/public/cancellations", json=r, headers={"Idempotency-Key": "day"})
    assert again.json() == first.json()
    clock.advance(minutes=2)
    later = client.post("/api/v1/public/cancellations", json=r, headers={"Idempotency-Key": "day"})
    assert later.status_code == 201 and later.json()["request_no"] != first.json()["request_no"]
