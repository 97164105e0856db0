"""The portal's "download my data" (request → ready → download) and the receipt link on the status page."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from simexit.asgi import create_app
from simexit.store.tables import applications, lines
from simexit.worker.runner import Worker
from tests.e2e.conftest import last_code
from tests.factories import make_line
from tests.integration.test_messaging_records import closed


@pytest.fixture
def client(app):
    with TestClient(create_app(app), base_url="https://127.0.0.1") as c:
        yield c


def _csrf(client: TestClient, path: str) -> str:
    return client.get(path).text.split('name="csrf" value="')[1].split('"')[0]


def _sign_in(client: TestClient, app, msisdn: str) -> str:
    """Sign in; returns the CSRF token of the signed-in session's forms."""
    csrf = _csrf(client, "/")
    assert client.post("/sign-in/code", data={"csrf": csrf, "phone": msisdn}).status_code == 200
    r = client.post("/sign-in", data={"csrf": csrf, "phone": msisdn, "code": last_code(app, msisdn)},
                    follow_redirects=False)
    assert r.status_code == 303
    return _csrf(client, "/my-data")


def test_download_my_data_from_request_to_zip(client, app, tmp_path):
    app.export_dir = tmp_path
    line = make_line(app, "liuliang")
    csrf = _sign_in(client, app, line["msisdn"])
    page = client.get("/my-data").text
    assert "Prepare my data" in page and "export-download" not in page
    r = client.post("/my-data", data={"csrf": csrf, "id_tail": "000000"})
    assert r.status_code == 400 and "not the last 6 characters" in r.text
    r = client.post("/my-data", data={"csrf": csrf, "id_tail": line["id_number"][-6:]}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/my-data"
    assert "being prepared" in client.get("/my-data").text
    Worker(app, None).run_timers()  # type: ignore[arg-type]
    page = client.get("/my-data").text
    link = re.search(r'href="([^"]+)" data-testid="export-download"', page).group(1)
    assert link.startswith("/api/v1/exports/download?t=")
    r = client.get(link)
    assert r.status_code == 200
    assert "customer.json" in zipfile.ZipFile(io.BytesIO(r.content)).namelist()


def test_status_page_links_the_certificate_once_completed(client, app):
    m, no, _ = closed(app)
    with app.db.write() as conn:  # a closed line's customer cannot sign in: keep the line open for the portal
        conn.execute(update(lines).where(lines.c.msisdn == m).values(status="active", closed_at=None))
    _sign_in(client, app, m)
    page = client.get(f"/applications/{no}").text
    assert 'data-testid="receipt-link"' in page
    href = re.search(r'href="([^"]+)" data-testid="receipt-link"', page).group(1)
    r = client.get(href.replace("&amp;", "&"))
    assert r.status_code == 200 and no in r.text
    with app.db.write() as conn:  # before completion there is no certificate, and no link to it
        conn.execute(update(applications).where(applications.c.application_no == no).values(status="executing"))
    assert "receipt-link" not in client.get(f"/applications/{no}").text
    assert client.get(href.replace("&amp;", "&")).status_code == 404
