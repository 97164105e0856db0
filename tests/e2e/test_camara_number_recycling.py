"""The CAMARA Number Recycling API: its served OpenAPI document has the published file's paths, schemas and
error codes; schemathesis finds no failure against it; the answers come from simexit's record of who held a
number when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import schemathesis
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import update

from simexit.api.routes import camara
from simexit.asgi import create_app
from simexit.clock import SystemClock
from simexit.config import DEMO_POLICY_DIR
from simexit.domain.policy import load_policies
from simexit.services.context import Simexit
from simexit.store.database import Database
from simexit.store.tables import lines
from tests.e2e.conftest import partner_key
from tests.factories import make_line

PUBLISHED = Path("/work/shared/specs/camara-number-recycling/number-recycling.yaml")
PACKAGED = Path(camara.__file__).parent.parent / "specs" / camara.SPEC_FILE
BASE = f"/number-recycling/{camara.version()}"

_placeholder = Simexit(db=Database("sqlite:///placeholder-never-opened.db"), policies=load_policies(DEMO_POLICY_DIR),
                       clock=SystemClock(), secret_key="placeholder-secret-0123456789")
api = create_app(_placeholder)
schema = schemathesis.openapi.from_asgi(f"{BASE}/openapi.json", api)
KEYS: dict[str, str] = {}


def _codes(doc: dict, response: str) -> list[str]:
    schema = doc["components"]["responses"][response]["content"]["application/json"]["schema"]
    return schema["allOf"][1]["properties"]["code"]["enum"]


@pytest.fixture
def wired(app):
    api.state.simexit = app
    KEYS["ok"] = partner_key(app, ["number_recycling"])
    KEYS["other"] = partner_key(app, ["relying_party"])
    yield app
    api.state.simexit = _placeholder


@pytest.fixture
def client(wired):
    with TestClient(api, base_url="https://testserver") as c:
        yield c


def test_the_packaged_file_is_the_published_one():
    if PUBLISHED.exists():  # the project's shared copy of the CAMARA file
        assert PACKAGED.read_bytes() == PUBLISHED.read_bytes()
    assert camara.published()["info"]["version"] == "wip" and BASE == "/number-recycling/vwip"


def test_served_document_has_the_published_paths_schemas_and_codes(client):
    served = client.get(f"{BASE}/openapi.json").json()
    published = yaml.safe_load(PACKAGED.read_text(encoding="utf-8"))
    assert served["openapi"] == published["openapi"] and served["info"] == published["info"]
    assert set(served["paths"]) == set(published["paths"]) == {"/check"}
    s_op, p_op = served["paths"]["/check"]["post"], published["paths"]["/check"]["post"]
    assert set(s_op["responses"]) == set(p_op["responses"]) == {"200", "400", "401", "403", "404", "422"}
    assert s_op["operationId"] == p_op["operationId"] == "checkNumberRecycling"
    assert s_op["requestBody"] == p_op["requestBody"]
    for name in ("CreateCheckNumRecycling", "CheckNumRecyclingInfo"):
        s, p = served["components"]["schemas"][name], published["components"]["schemas"][name]
        assert {k: v for k, v in s.items() if k != "properties"} == {k: v for k, v in p.items() if k != "properties"}
        assert set(s["properties"]) == set(p["properties"])
    for r in ("Generic400", "Generic401", "Generic403", "Generic404", "Generic422"):
        assert _codes(served, r) == _codes(published, r)
    assert "../common" not in str(served)  # every reference resolves inside the served document
    # simexit's main OpenAPI does not carry it: it is served on its own
    assert not any(p.startswith("/number-recycling") for p in client.get("/openapi.json").json()["paths"])


def _check(client, body, key="ok", **headers):
    h = {"Authorization": f"Bearer {KEYS[key]}", **headers} if key else headers
    return client.post(f"{BASE}/check", json=body, headers=h)


def test_answers_from_the_record_of_who_held_the_number(client, wired):
    app = wired
    line = make_line(app, "roamly", activated_at="2025-03-01T12:00:00+00:00")
    today = datetime.now(UTC).date()
    r = _check(client, {"phoneNumber": line["msisdn"], "specifiedDate": "2025-06-01"}, **{"x-correlator": "abc-1"})
    assert r.status_code == 200 and r.json() == {"phoneNumberRecycled": False}
    assert r.headers["x-correlator"] == "abc-1"
    # before the first holding simexit knows of: cannot be known, never a guess
    r = _check(client, {"phoneNumber": line["msisdn"], "specifiedDate": "2025-01-01"})
    assert r.status_code == 400 and r.json()["code"] == "OUT_OF_RANGE"
    future = (today + timedelta(days=3)).isoformat()
    assert _check(client, {"phoneNumber": line["msisdn"], "specifiedDate": future}).json()["code"] == "OUT_OF_RANGE"
    # the holder lost it: the line was closed (before the holdings record existed: its closing day counts)
    with app.db.write() as conn:
        conn.execute(update(lines).where(lines.c.msisdn == line["msisdn"])
                     .values(status="closed", closed_at=datetime(2025, 9, 1, 15, tzinfo=UTC)))
    assert _check(client, {"phoneNumber": line["msisdn"], "specifiedDate": "2025-06-01"}).json() == \
        {"phoneNumberRecycled": True}
    r = _check(client, {"phoneNumber": "+12025550199", "specifiedDate": "2025-06-01"})
    assert r.status_code == 404 and r.json() == {"status": 404, "code": "IDENTIFIER_NOT_FOUND",
                                                 "message": "Phone number not found."}


def test_errors_have_camara_codes(client):
    body = {"phoneNumber": "+12025550100", "specifiedDate": "2025-06-01"}
    assert _check(client, body, key=None).json()["code"] == "UNAUTHENTICATED"
    assert _check(client, body, key=None).status_code == 401
    r = _check(client, body, key="other")
    assert (r.status_code, r.json()["code"]) == (403, "PERMISSION_DENIED")
    assert _check(client, {**body, "extra": 1}).json()["code"] == "INVALID_ARGUMENT"
    assert _check(client, {"phoneNumber": "12", "specifiedDate": "2025-06-01"}).status_code == 400
    assert _check(client, {"phoneNumber": "+12025550100", "specifiedDate": "2025-13-01"}).status_code == 400
    r = _check(client, {"specifiedDate": "2025-06-01"})
    assert (r.status_code, r.json()["code"]) == (422, "MISSING_IDENTIFIER")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_schemathesis_finds_no_failure(case, wired):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {KEYS['ok']}"}
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_headers_conformance, response_schema_conformance])
