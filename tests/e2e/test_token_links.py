"""Issue 12 item 3 (the parts of the data export and the link routes): a customer's export was downloaded knowing
only its sequential id and the public default secret key (151 requests, 0.4 s: the expiry was counted through
with forged HMACs and no limit stopped it). Export ids are random now, a token holds a random part that only
the issued link knows, and every token route answers at most 30 requests per 15 minutes per address."""

from __future__ import annotations

import hashlib
import hmac
import itertools

from simexit.services.execution.receipts import receipt_url
from simexit.worker.runner import Worker
from tests.e2e.conftest import bearer, customer_token
from tests.factories import make_line
from tests.integration.test_messaging_records import closed


def _ready_export(client, app, tmp_path) -> dict:
    app.export_dir = tmp_path
    line = make_line(app, "liuliang")
    token = customer_token(client, app, line["msisdn"], line["id_number"])
    r = client.post("/api/v1/me/exports", json={}, headers=bearer(token))
    assert r.status_code == 202, r.text
    assert Worker(app, None).run_timers() == 1  # type: ignore[arg-type]
    status = client.get(f"/api/v1/me/exports/{r.json()['export_id']}", headers=bearer(token)).json()
    assert status["state"] == "ready"
    return status


def test_export_ids_are_not_a_counter(client, app, tmp_path):
    ids = []
    for _ in range(3):
        line = make_line(app, "liuliang")
        token = customer_token(client, app, line["msisdn"], line["id_number"])
        ids.append(client.post("/api/v1/me/exports", json={}, headers=bearer(token)).json()["export_id"])
    assert len(set(ids)) == 3
    assert all(b != a + 1 for a, b in itertools.pairwise(ids))
    assert min(ids) > 2**24 and max(ids) < 2**53  # random below 2**53 (p < 10**-8 of failing by chance)


def test_the_secret_key_and_the_export_id_do_not_make_a_download_link(client, app, tmp_path):
    status = _ready_export(client, app, tmp_path)
    real = status["download_url"].split("t=", 1)[1]
    export_id, exp = real.split(".")[:2]

    def sign(msg: str) -> str:
        return hmac.new(app.secret_key.encode(), msg.encode(), hashlib.sha256).hexdigest()

    # What the attack did: the old token shape, signed with the known key, for the right id and expiry.
    old = f"{export_id}.{exp}.{sign(f'export:{export_id}:{exp}')}"
    # The new shape with a random part of the attacker's choosing, correctly signed.
    nonce = "0" * 32
    new = f"{export_id}.{exp}.{nonce}.{sign(f'export:{export_id}:{exp}:{nonce}')}"
    for forged in (old, new):
        r = client.get(f"/api/v1/exports/download?t={forged}")
        assert r.status_code == 404 and r.json()["code"] == "EXPORT_TOKEN_INVALID", r.text
    assert client.get(status["download_url"]).status_code == 200


def test_the_download_route_answers_30_requests_per_15_minutes_per_address(client, app, tmp_path):
    status = _ready_export(client, app, tmp_path)
    wrong = status["download_url"][:-4] + ("0000" if not status["download_url"].endswith("0000") else "1111")
    codes = [client.get(wrong).status_code for _ in range(29)]
    assert codes == [404] * 29
    assert client.get(status["download_url"]).status_code == 200  # the 30th
    r = client.get(status["download_url"])  # the 31st, even with the right token
    assert r.status_code == 429 and r.json()["code"] == "RATE_LIMITED"
    assert r.headers["content-type"] == "application/problem+json" and int(r.headers["Retry-After"]) > 0
    app.clock.advance(minutes=31)  # the window and the lock that followed it have passed
    assert client.get(status["download_url"]).status_code == 200


def test_the_certificate_link_answers_30_requests_per_15_minutes_per_address(client, app):
    _, no, _ = closed(app, "roamly", at=app.clock.now())
    url = receipt_url(app, "", no)
    assert client.get(url).status_code == 200
    codes = [client.get(f"/receipts/{no}?t={'0' * 20}").status_code for _ in range(29)]
    assert codes == [404] * 29
    r = client.get(url)
    assert r.status_code == 429 and r.json()["code"] == "RATE_LIMITED"
    assert r.headers["content-type"] == "application/problem+json" and int(r.headers["Retry-After"]) > 0
