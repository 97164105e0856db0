"""The served TMF622/TMF637 documents are the published files' operations, unchanged (paths, schemas, enums,
required fields), and schemathesis finds no response outside them (in-process, like test_openapi_conformance).

Served subset — TMF622 at /tmf-api/productOrderingManagement/v5: GET/POST /productOrder, GET/PATCH
/productOrder/{id}, GET/POST /cancelProductOrder, GET /cancelProductOrder/{id}, POST /hub, DELETE /hub/{id}.
TMF637 at /tmf-api/productInventory/v5: GET /product, GET /product/{id}."""

from __future__ import annotations

import hashlib

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from simexit.api.tmf import spec
from simexit.asgi import create_app
from simexit.clock import SystemClock
from simexit.config import DEMO_POLICY_DIR
from simexit.domain.policy import load_policies
from simexit.services.context import Simexit
from simexit.store.database import Database
from tests.e2e.conftest import partner_key
from tests.factories import make_line

# sha256 of the files as published in /work/shared/specs (tmf622/, tmf637/), copied unchanged into the package.
PUBLISHED_SHA256 = {
    "TMF622-ProductOrdering-v5.0.0.oas.yaml": "833d15f23c6e79c43594e68a236821669f1257426dedf51111e98fccdf30a3ba",
    "TMF637-ProductInventory-v5.0.0.oas.yaml": "e3904d0788266b7005d63fce826e0cd07551d7611fc11e15ed42cd414d27c977",
}
IMPLEMENTED = {
    "ordering": {("get", "/productOrder"), ("post", "/productOrder"), ("get", "/productOrder/{id}"),
                 ("patch", "/productOrder/{id}"), ("get", "/cancelProductOrder"), ("post", "/cancelProductOrder"),
                 ("get", "/cancelProductOrder/{id}"), ("post", "/hub"), ("delete", "/hub/{id}")},
    "inventory": {("get", "/product"), ("get", "/product/{id}")},
}
BASES = {"ordering": spec.ORDERING_BASE, "inventory": spec.INVENTORY_BASE}

_placeholder = Simexit(db=Database("sqlite:///placeholder-never-opened.db"), policies=load_policies(DEMO_POLICY_DIR),
                       clock=SystemClock(), secret_key="placeholder-secret-0123456789")
api = create_app(_placeholder)


def test_the_packaged_files_are_the_published_ones():
    for name, digest in PUBLISHED_SHA256.items():
        assert hashlib.sha256((spec.PUBLISHED / name).read_bytes()).hexdigest() == digest


def _all_refs(node, out):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            out.add(node["$ref"])
        for v in node.values():
            _all_refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _all_refs(v, out)
    return out


@pytest.mark.parametrize("which", ["ordering", "inventory"])
def test_served_document_is_the_published_subset(which):
    with TestClient(api) as client:
        served = client.get(f"{BASES[which]}/openapi.json").json()
    published = spec.published(which)
    assert served["openapi"] == published["openapi"] and served["info"] == published["info"]
    assert served["servers"] == [{"url": BASES[which]}]
    ops = {(m, p) for p, methods in served["paths"].items() for m in methods}
    assert ops == IMPLEMENTED[which]
    for method, path in ops:  # the operation exactly as published: parameters, bodies, responses
        assert served["paths"][path][method] == published["paths"][path][method], (method, path)
    for kind, members in served["components"].items():
        for name, node in members.items():  # schemas (with their enums and required fields) unchanged
            assert node == published["components"][kind][name], (kind, name)
    for ref in _all_refs(served, set()):  # self-contained: every reference resolves in the served document
        _, _, kind, name = ref.split("/", 3)
        assert name in served["components"][kind], ref
    # the routes behind it exist, under the base path: each answers a TMF Error (no key, or no body)
    with TestClient(api) as client:
        for method, path in sorted(ops):
            r = client.request(method.upper(), BASES[which] + path.replace("{id}", "x"))
            assert r.status_code in (400, 401) and r.json()["@type"] == "Error", (method, path, r.text)


def test_the_published_enums_and_required_fields_are_served():
    ordering = spec.served("ordering")["components"]["schemas"]
    assert ordering["ProductOrderStateType"]["enum"] == [
        "acknowledged", "rejected", "pending", "held", "inProgress", "cancelled", "completed", "failed", "partial",
        "assessingCancellation", "pendingCancellation", "draft", "inProgress.accepted"]
    assert ordering["InitialProductOrderStateType"]["enum"] == ["acknowledged", "draft"]
    assert ordering["ItemActionType"]["enum"] == ["add", "modify", "delete", "noChange"]
    assert ordering["ProductOrder_FVO"]["allOf"][1]["required"] == ["productOrderItem"]
    assert ordering["CancelProductOrder_FVO"]["allOf"][1]["required"] == ["productOrder"]
    assert ordering["Hub_FVO"]["required"] == ["callback"]
    assert ordering["Error"]["allOf"][1]["required"] == ["code", "reason"]
    inventory = spec.served("inventory")["components"]["schemas"]
    assert inventory["ProductStatusType"]["enum"][:6] == ["created", "pendingActive", "cancelled", "active",
                                                          "pendingTerminate", "terminated"]


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
KEY: dict[str, str] = {}


@pytest.fixture
def wired(app):
    api.state.simexit = app
    line = make_line(app, "baohao")
    KEY["X-Api-Key"] = partner_key(app, ["tmf"])
    with TestClient(api) as client:
        from sqlalchemy import select

        from simexit.store.tables import lines
        with app.db.read() as conn:
            line_id = conn.execute(select(lines.c.id).where(lines.c.msisdn == line["msisdn"])).scalar_one()
        r = client.post(f"{spec.ORDERING_BASE}/productOrder", headers=KEY, json={
            "@type": "ProductOrder", "requestedInitialState": "draft", "productOrderItem": [
                {"@type": "ProductOrderItem", "id": "1", "action": "delete",
                 "product": {"@type": "ProductRef", "id": str(line_id)}}]})
        assert r.status_code == 201, r.text
    yield app
    api.state.simexit = _placeholder


ordering_schema = schemathesis.openapi.from_asgi(f"{spec.ORDERING_BASE}/openapi.json", api)
inventory_schema = schemathesis.openapi.from_asgi(f"{spec.INVENTORY_BASE}/openapi.json", api)
# Only the fuzzing phase for TMF622: extracting the property examples of its deeply nested published schemas
# (the examples phase) took minutes of collection.
ordering_schema.config.phases.update(phases=["fuzzing"])


@ordering_schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_tmf622_responses_match_the_published_schemas(case, wired):
    case.call_and_validate(headers={k: v for k, v in KEY.items() if k not in (case.headers or {})}, checks=CHECKS)


@inventory_schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_tmf637_responses_match_the_published_schemas(case, wired):
    case.call_and_validate(headers={k: v for k, v in KEY.items() if k not in (case.headers or {})}, checks=CHECKS)
