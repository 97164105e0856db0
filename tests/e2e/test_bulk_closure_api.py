"""Bulk closure through the API: upload, progress, result pages, approval, brand scope and the body limit."""

from __future__ import annotations

import time

from tests.e2e.conftest import bearer, staff_token
from tests.factories import make_line

URL = "/api/v1/staff/bulk-closures"
STORE = {"channel": "store", "identity_method": "id_document_inspected"}
CSV = {"content-type": "text/csv"}


def wait_done(client, token: str, location: str) -> dict:
    deadline = time.monotonic() + 30  # the batch runs in a background thread of the app
    while True:
        r = client.get(location, headers=bearer(token))
        assert r.status_code == 200, r.text
        if r.json()["state"] == "done":
            return r.json()
        assert time.monotonic() < deadline, r.json()
        time.sleep(0.05)


def csv_of(*msisdns: str) -> bytes:
    return ("msisdn,iccid,effective_date,reason,note\n" + "".join(f"{m},,,,\n" for m in msisdns)).encode()


def test_upload_poll_page_and_approve(client, app):
    clerk = staff_token(client, app, "carla", "store_clerk", ["huaxin"])
    rita = staff_token(client, app, "rita", "reviewer", ["huaxin"])
    other = staff_token(client, app, "otto", "reviewer", ["hansanet"])
    cn = [make_line(app, "huaxin", kind="sim")["msisdn"] for _ in range(3)]
    body = csv_of(*cn, "not a number")
    r = client.post(URL, params=STORE, content=body, headers={**bearer(rita), **CSV})
    assert r.status_code == 403 and r.json()["code"] == "ROLE_NOT_PERMITTED"
    r = client.post(URL, params={**STORE, "channel": "hotline"}, content=body, headers={**bearer(clerk), **CSV})
    assert r.status_code == 403 and r.json()["code"] == "CHANNEL_NOT_ALLOWED_FOR_ROLE"
    r = client.post(URL, params=STORE, content=body, headers={**bearer(clerk), "content-type": "text/plain"})
    assert r.status_code == 415 and r.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    r = client.post(URL, params=STORE, content=body, headers={**bearer(clerk), **CSV, "Idempotency-Key": "k1"})
    assert r.status_code == 202, r.text
    batch = r.json()["batch_id"]
    location = r.headers["location"]
    assert location == f"{URL}/{batch}" and r.json()["total"] == 4
    progress = wait_done(client, clerk, location)
    assert progress["done"] == 4 and progress["counts"] == {"applied": 3, "invalid": 1}
    again = client.post(URL, params=STORE, content=body, headers={**bearer(clerk), **CSV, "Idempotency-Key": "k1"})
    assert again.status_code == 202 and again.headers["idempotency-replayed"] == "true"
    assert again.json()["batch_id"] == batch
    assert client.post(URL, params=STORE, content=body, headers={**bearer(clerk), **CSV}).json()["state"] == "done"

    page = client.get(f"{location}/results?limit=2", headers=bearer(clerk)).json()
    assert [x["row"] for x in page["items"]] == [2, 3] and page["next_after_row"] == 3
    rest = client.get(f"{location}/results?limit=2&after_row=3", headers=bearer(clerk)).json()
    assert [x["row"] for x in rest["items"]] == [4, 5] and rest["items"][1]["outcome"] == "invalid"
    assert client.get(f"{location}/results?limit=2&after_row=5", headers=bearer(clerk)).json() == {
        "items": [], "next_after_row": None}
    numbers = [x["application_no"] for x in page["items"] + rest["items"][:1]]
    assert all(x["status"] == "pending_review" for x in page["items"])

    assert client.get(location, headers=bearer(other)).status_code == 404  # another brand's reviewer
    r = client.post(f"{location}/approve", json={}, headers=bearer(other))
    assert r.status_code == 404 and r.json()["code"] == "BATCH_NOT_FOUND"
    assert client.post(f"{location}/approve", json={}, headers=bearer(clerk)).status_code == 403
    r = client.post(f"{location}/approve", json={"application_nos": [numbers[0], "SX-NOPE"]}, headers=bearer(rita))
    assert r.status_code == 200, r.text
    assert r.json()["approved"] == 1 and [x["code"] for x in r.json()["refused"]] == ["APPLICATION_NO_INVALID"]
    r = client.post(f"{location}/approve", json={"application_nos": [numbers[0]]}, headers=bearer(rita))
    assert r.status_code == 422 and r.json()["code"] == "TRANSITION_NOT_ALLOWED"  # already approved
    r = client.post(f"{location}/approve", json={"note": "fleet"}, headers=bearer(rita))
    assert r.status_code == 200 and r.json() == {"batch_id": batch, "approved": 2, "refused": []}
    for n in numbers:
        assert client.get(f"/api/v1/staff/applications/{n}", headers=bearer(rita)).json()["status"] == "approved"


def test_lines_of_another_brand_are_refused_as_not_found(client, app):
    clerk = staff_token(client, app, "anna", "store_clerk", ["hansanet"])
    theirs = [make_line(app, "huaxin", kind="sim")["msisdn"] for _ in range(2)]
    mine = make_line(app, "hansanet")["msisdn"]
    body = "\n".join(f'{{"msisdn": "{m}"}}' for m in [*theirs, mine]).encode() + b"\n"
    r = client.post(URL, params=STORE, content=body, headers={**bearer(clerk), "content-type": "application/x-ndjson"})
    assert r.status_code == 202, r.text
    assert wait_done(client, clerk, r.headers["location"])["counts"] == {"refused": 2, "applied": 1}
    items = client.get(f"{r.headers['location']}/results", headers=bearer(clerk)).json()["items"]
    assert [(x["outcome"], x["codes"]) for x in items[:2]] == [("refused", ["LINE_NOT_FOUND"])] * 2
    assert items[2]["outcome"] == "applied" and items[2]["application_no"]


def test_a_body_over_the_limit_gets_413(client, app):
    clerk = staff_token(client, app, "bert", "store_clerk", ["hansanet"])
    settings = client.app.state.api_settings
    r = client.post(URL, params=STORE, content=b"x" * (settings.api_bulk_max_bytes + 1),
                    headers={**bearer(clerk), **CSV})
    assert r.status_code == 413 and r.json()["code"] == "BODY_TOO_LARGE"

    def chunks():  # no content-length: the limit is enforced while streaming to the temporary file
        for _ in range(settings.api_bulk_max_lines // 10_000 + 2):
            yield b"+491510000000,,,,\n" * 10_000

    r = client.post(URL, params=STORE, content=chunks(), headers={**bearer(clerk), **CSV})
    assert r.status_code == 413 and "lines" in r.json()["detail"]
    # a body above the general 64 KiB limit but under the upload's is accepted
    big = csv_of(*["+491510000000"] * 5000)
    assert len(big) > settings.api_max_body_bytes
    r = client.post(URL, params=STORE, content=big, headers={**bearer(clerk), **CSV})
    assert r.status_code == 202, r.text
    assert wait_done(client, clerk, r.headers["location"])["done"] == 5000


def test_rows_ending_in_cr_only_count_against_the_line_limit(client, app):
    clerk = staff_token(client, app, "cora", "store_clerk", ["hansanet"])
    settings = client.app.state.api_settings

    def chunks():
        for _ in range(settings.api_bulk_max_lines // 10_000 + 2):
            yield b"+491510000000,,,,\r" * 10_000

    r = client.post(URL, params=STORE, content=chunks(), headers={**bearer(clerk), **CSV})
    assert r.status_code == 413 and r.json()["code"] == "BODY_TOO_LARGE", r.text
    # CR LF split between two chunks is one line ending, not two
    from simexit.api.middleware import LineEnds

    ends = LineEnds()
    assert [ends.feed(c) for c in (b"msisdn\r", b"\n+491510000000\r", b"\n", b"+49\r+49\n\r\n")] == [1, 2, 2, 5]


def test_a_file_that_is_not_utf8_or_has_a_10_mb_line_is_a_422_not_a_500(client, app):
    clerk = staff_token(client, app, "cleo", "store_clerk", ["hansanet"])
    latin1 = "msisdn,note\n+491510000000,ok\n+491510000001,Müller\n".encode("latin-1")
    r = client.post(URL, params=STORE, content=latin1, headers={**bearer(clerk), **CSV})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    assert r.json()["code"] == "BULK_FILE_NOT_UTF8" and "row 3, column 16" in r.json()["detail"]
    long_line = b'{"msisdn": "+491510000000", "note": "' + b"x" * (10 * 1024 * 1024) + b'"}\n'
    r = client.post(URL, params=STORE, content=long_line,
                    headers={**bearer(clerk), "content-type": "application/x-ndjson"})
    assert r.status_code == 422 and r.json()["code"] == "BULK_LINE_TOO_LONG" and "row 1" in r.json()["detail"]
    r = client.post(URL, params=STORE, content=b'msisdn,note\n+491510000000,"open\n' + b"more\n" * 30_000,
                    headers={**bearer(clerk), **CSV})
    assert r.status_code == 422 and r.json()["code"] == "BULK_FILE_NOT_CSV", r.text
