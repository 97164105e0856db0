"""Every route × every kind of caller × a resource that belongs to someone else: nothing leaks.

Customer B (brand liuliang) owns the line, the application and the eSIM profile used as targets. The
callers are: anonymous, customer A of the same brand, staff of another brand in every role, staff of
B's brand in a role that lacks the permission, and a partner key with every scope. A route added to the
API without an entry here fails the test.
"""

from __future__ import annotations

from sqlalchemy import select

from simexit.services.bulk.closure import BulkOptions, close_file
from simexit.services.closure import applications
from simexit.services.closure.applications import ApplyRequest
from simexit.services.closure.precheck import precheck
from simexit.services.privacy import export
from simexit.store.tables import applications as applications_table
from simexit.store.tables import esim_profiles
from tests.e2e.conftest import bearer, customer_token, partner_key, staff_token
from tests.factories import make_line

DENIED = {401, 403, 404}
PUBLIC = {202, 401, 404, 422, 429}


def _routes(api) -> set[tuple[str, str]]:
    return {(m.upper(), path) for path, ops in api.openapi()["paths"].items() for m in ops
            if path.startswith(("/api/", "/gsma/", "/receipts/"))}


def test_no_route_leaks_another_customers_data(client, app, api, tmp_path):
    a = make_line(app, "liuliang")
    b = make_line(app, "liuliang", esim_state="Installed")
    mb = b["msisdn"]
    # B's application, taken at the counter so that no refund or consequence questions get in the way.
    with app.db.read() as c:
        iccid_b = c.execute(select(esim_profiles.c.iccid)).scalar_one()
    pc = precheck(app, mb)
    nb = applications.apply(app, ApplyRequest(
        msisdn=mb, channel="hotline", identity_method="service_password", staff_ref="setup", staff_role="agent",
        consequences_confirmed=list(pc.to_dict()["consequences"]),
        refund_method="original_payment" if pc.quote.refund_minor > 0 else None)).application_no
    r = client.post("/api/v1/public/cancellations", json={"kind": "ordinary", "customer_name": "B", "msisdn": mb,
                                                          "email": "b@example.com"})
    request_no = r.json()["request_no"]
    with app.db.read() as c:
        status_before = c.execute(select(applications_table.c.status)).scalar_one()
    export_b = export.request_export(app, mb)
    bulk_file = tmp_path / "b.csv"
    bulk_file.write_text(f"msisdn\n{mb}\n", encoding="utf-8")
    batch_b = close_file(app, bulk_file, BulkOptions(channel="store", identity_method="id_document_inspected",
                                                     staff_ref="setup", staff_role="store_clerk",
                                                     brands=["liuliang"]))["batch_id"]

    callers: dict[str, dict[str, str]] = {"anonymous": {}, "customer A": bearer(customer_token(client, app, a["msisdn"],
                                                                                           a["id_number"]))}
    for role in ("agent", "store_clerk", "reviewer", "supervisor", "admin"):
        callers[f"{role} of huaxin"] = bearer(staff_token(client, app, f"x{role}", role, ["huaxin"]))
    callers["reviewer of liuliang"] = bearer(staff_token(client, app, "own-reviewer", "reviewer", ["liuliang"]))
    callers["agent of liuliang"] = bearer(staff_token(client, app, "own-agent", "agent", ["liuliang"]))
    callers["partner"] = {"X-Api-Key": partner_key(app, ["smdp", "relying_party"])}

    apply_b = {"msisdn": mb, "consequences_confirmed": []}
    es2 = {"header": {"functionRequesterIdentifier": "x", "functionCallIdentifier": "FCI-9"}, "iccid": iccid_b,
           "profileType": "p", "timestamp": "2026-11-23T02:00:00Z", "notificationPointId": 7,
           "notificationPointStatus": {"status": "Executed-Success"}}
    # (method, route) → (path, body, statuses allowed for a caller that has no right to B's data)
    cases = {
        ("POST", "/api/v1/auth/customer/start"): ("/api/v1/auth/customer/start", {"msisdn": mb}, PUBLIC),
        ("POST", "/api/v1/auth/customer/verify"): ("/api/v1/auth/customer/verify", {"msisdn": mb, "code": "999999"},
                                                   PUBLIC),
        ("POST", "/api/v1/auth/customer/second-factor"): ("/api/v1/auth/customer/second-factor",
                                                          {"id_tail": b["id_number"][-6:]}, DENIED),
        ("POST", "/api/v1/auth/customer/sign-out"): ("/api/v1/auth/customer/sign-out", None, {204, 401}),
        ("GET", "/api/v1/me/lines"): ("/api/v1/me/lines", None, {200, 401}),
        ("POST", "/api/v1/me/precheck"): ("/api/v1/me/precheck", {"msisdn": mb}, DENIED),
        ("POST", "/api/v1/me/applications"): ("/api/v1/me/applications", apply_b, DENIED),
        ("GET", "/api/v1/me/applications"): ("/api/v1/me/applications", None, {200, 401}),
        ("GET", "/api/v1/me/applications/{application_no}"): (f"/api/v1/me/applications/{nb}", None, DENIED),
        ("POST", "/api/v1/me/applications/{application_no}/withdraw"): (
            f"/api/v1/me/applications/{nb}/withdraw", {}, DENIED),
        ("POST", "/api/v1/auth/staff/sign-in"): ("/api/v1/auth/staff/sign-in",
                                                 {"username": "own-agent", "password": "wrong password"},
                                                 DENIED | {429}),  # repeated failures: the backoff answers
        ("POST", "/api/v1/auth/staff/sign-out"): ("/api/v1/auth/staff/sign-out", None, {204, 401}),
        ("GET", "/api/v1/staff/me"): ("/api/v1/staff/me", None, {200, 401}),
        ("GET", "/api/v1/staff/lines"): ("/api/v1/staff/lines?brand=liuliang", None, DENIED),
        ("POST", "/api/v1/staff/precheck"): ("/api/v1/staff/precheck", {"msisdn": mb}, DENIED),
        ("POST", "/api/v1/staff/applications"): ("/api/v1/staff/applications",
                                                 {**apply_b, "channel": "store", "identity_method": "id_number",
                                                  "id_number": b["id_number"]}, DENIED),
        ("GET", "/api/v1/staff/applications"): ("/api/v1/staff/applications?brand=liuliang", None, DENIED),
        ("GET", "/api/v1/staff/applications/{application_no}"): (f"/api/v1/staff/applications/{nb}", None, DENIED),
        ("POST", "/api/v1/staff/applications/{application_no}/approve"): (
            f"/api/v1/staff/applications/{nb}/approve", {}, DENIED),
        ("POST", "/api/v1/staff/applications/{application_no}/reject"): (
            f"/api/v1/staff/applications/{nb}/reject", {"reasons": ["DOCUMENTS_INCOMPLETE"]}, DENIED),
        ("POST", "/api/v1/staff/applications/{application_no}/withdraw"): (
            f"/api/v1/staff/applications/{nb}/withdraw", {"channel": "store"}, DENIED),
        ("POST", "/api/v1/staff/bulk-closures"): (
            "/api/v1/staff/bulk-closures?channel=store&identity_method=id_document_inspected", f"msisdn\n{mb}\n",
            DENIED | {202}),
        ("GET", "/api/v1/staff/bulk-closures/{batch_id}"): (f"/api/v1/staff/bulk-closures/{batch_b}", None, DENIED),
        ("GET", "/api/v1/staff/bulk-closures/{batch_id}/results"): (
            f"/api/v1/staff/bulk-closures/{batch_b}/results", None, DENIED),
        ("POST", "/api/v1/staff/bulk-closures/{batch_id}/approve"): (
            f"/api/v1/staff/bulk-closures/{batch_b}/approve", {}, DENIED),
        ("POST", "/api/v1/public/cancellations"): ("/api/v1/public/cancellations",
                                                   {"kind": "ordinary", "customer_name": "A", "msisdn": mb,
                                                    "email": "a@example.com"}, {201, 429}),
        ("POST", "/api/v1/public/cancellations/{request_no}/confirm"): (
            f"/api/v1/public/cancellations/{request_no}/confirm", {"code": "999999"}, PUBLIC),
        ("POST", "/api/v1/public/application-status"): (
            "/api/v1/public/application-status",
            {"application_no": nb, "line_last4": f"{(int(mb[-4:]) + 1) % 10000:04d}"}, PUBLIC),
        ("POST", "/gsma/rsp2/es2plus/handleDownloadProgressInfo"): (
            "/gsma/rsp2/es2plus/handleDownloadProgressInfo", es2, {401}),
        ("POST", "/api/v1/partner/disconnect-subscriptions"): (
            "/api/v1/partner/disconnect-subscriptions", {"label": "x", "url": "https://rp.example/h"}, {401}),
        ("GET", "/api/v1/partner/disconnect-subscriptions"): ("/api/v1/partner/disconnect-subscriptions", None, {401}),
        ("DELETE", "/api/v1/partner/disconnect-subscriptions/{label}"): (
            "/api/v1/partner/disconnect-subscriptions/x", None, {401}),
        ("POST", "/api/v1/partner/disconnects/query"): (
            "/api/v1/partner/disconnects/query", {"msisdn": mb, "since": "2026-01-01"}, {401}),
        ("POST", "/api/v1/me/exports"): ("/api/v1/me/exports", {"msisdn": mb}, DENIED),
        ("GET", "/api/v1/me/exports/{export_id}"): (f"/api/v1/me/exports/{export_b}", None, DENIED),
        ("POST", "/api/v1/staff/exports"): ("/api/v1/staff/exports", {"msisdn": mb}, DENIED),
        ("GET", "/api/v1/staff/exports/{export_id}"): (f"/api/v1/staff/exports/{export_b}", None, DENIED),
        ("GET", "/api/v1/exports/download"): (f"/api/v1/exports/download?t={export_b}.9999999999.{'0' * 64}", None,
                                              {404}),
        ("GET", "/receipts/{application_no}"): (f"/receipts/{nb}?t={'0' * 20}", None, {404}),
    }
    assert set(cases) == _routes(api), "every API route needs a row in this matrix"

    checked = 0
    for who, headers in callers.items():
        for (method, _route), (path, body, allowed) in cases.items():
            if who == "partner" and path.startswith(("/gsma/", "/api/v1/partner/")):
                continue  # the partner's own API: tested in test_staff_public_partner_api, test_partner_export_…
            if isinstance(body, str):  # a file upload
                r = client.request(method, path, content=body, headers={**headers, "content-type": "text/csv"})
            else:
                r = client.request(method, path, json=body, headers=headers)
            assert r.status_code in allowed, (who, method, path, r.status_code, r.text)
            assert nb not in r.text and mb not in r.text and mb[1:] not in r.text, (who, method, path, r.text)
            if r.status_code == 200 and "items" in r.json():
                assert all(i.get("msisdn") != mb for i in r.json()["items"])
            checked += 1
    assert checked == len(callers) * len(cases) - 5
    api.state.bulk_jobs.join()
    with app.db.read() as c:
        assert c.execute(select(applications_table.c.status)).scalar_one() == status_before  # nothing changed
        assert c.execute(select(esim_profiles.c.state)).scalar_one() == "Installed"
