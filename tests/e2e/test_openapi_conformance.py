"""schemathesis over the whole OpenAPI, in-process: no 5xx, and every response matches its schema.

The app is built at import (schemathesis reads /openapi.json then); its wiring is swapped for the test
database by the fixture, with a customer and a staff session whose tokens go with each generated call.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from simexit.asgi import create_app
from simexit.clock import SystemClock
from simexit.config import DEMO_POLICY_DIR
from simexit.domain.policy import load_policies
from simexit.services.context import Simexit
from simexit.store.database import Database
from tests.e2e.conftest import customer_token, partner_key, staff_token
from tests.factories import make_line

# Never connected: the fixture swaps in the test database before any request.
_placeholder = Simexit(db=Database("sqlite:///placeholder-never-opened.db"), policies=load_policies(DEMO_POLICY_DIR),
                       clock=SystemClock(), secret_key="placeholder-secret-0123456789")
api = create_app(_placeholder)


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx, value) -> bytes:  # bulk closure uploads: the generated string is the file
    return value.encode() if isinstance(value, str) else str(value).encode()


schema = schemathesis.openapi.from_asgi("/openapi.json", api)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
TOKENS: dict[str, dict[str, str]] = {}


@pytest.fixture
def wired(app):
    from fastapi.testclient import TestClient

    api.state.simexit = app
    line = make_line(app, "liuliang")
    with TestClient(api, base_url="https://testserver") as client:
        TOKENS["customer"] = {"Authorization": "Bearer " + customer_token(client, app, line["msisdn"],
                                                                          line["id_number"])}
        TOKENS["staff"] = {"Authorization": "Bearer " + staff_token(client, app, "schema-admin", "admin", ["*"])}
    TOKENS["partner"] = {"X-Api-Key": partner_key(app, ["smdp"])}
    yield app
    api.state.bulk_jobs.join()  # bulk closures started by generated uploads finish before the database is emptied
    api.state.simexit = _placeholder


def _auth(path: str) -> dict[str, str]:
    if path.startswith("/api/v1/me") or path.startswith("/api/v1/auth/customer"):
        return TOKENS["customer"]
    if path.startswith("/api/v1/staff") or path.startswith("/api/v1/auth/staff"):
        return TOKENS["staff"]
    if path.startswith("/gsma/"):
        return TOKENS["partner"]
    return {}


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_response_matches_the_schema(case, wired):
    headers = {k: v for k, v in _auth(case.path).items() if k not in (case.headers or {})}
    if case.path.endswith("/sign-out"):
        headers = {}  # keep the shared sessions alive
    case.call_and_validate(headers=headers, checks=CHECKS)
