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


# ----------------------------------------------------------------------------------------------------------------
# The console and the portal (issue 11, item 5): every page × every kind of caller × B's resources.

def _web_routes() -> set[tuple[str, str]]:
    from simexit.web import console, portal, public

    return {(m, route.path) for module in (console, portal, public) for route in module.router.routes
            for m in route.methods - {"HEAD"}}


def _token(c, path: str) -> str:
    return c.get(path).text.split('name="csrf" value="')[1].split('"')[0]


def _portal_client(web, app, msisdn: str):
    from fastapi.testclient import TestClient

    from tests.e2e.conftest import last_code

    c = TestClient(web, base_url="https://127.0.0.1")
    csrf = _token(c, "/status")
    assert c.post("/sign-in/code", data={"csrf": csrf, "phone": msisdn}).status_code == 200
    r = c.post("/sign-in", data={"csrf": csrf, "phone": msisdn, "code": last_code(app, msisdn)},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def _console_client(web, app, username: str, role: str, brands: list[str]):
    from fastapi.testclient import TestClient

    from tests.e2e.conftest import STAFF_PASSWORD, create_staff

    create_staff(app, username, STAFF_PASSWORD, role, brands)
    c = TestClient(web, base_url="https://127.0.0.1")
    r = c.post("/console/sign-in", data={"csrf": _token(c, "/console/sign-in"), "username": username,
                                         "password": STAFF_PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def test_no_page_shows_another_customers_data(api, app):
    from fastapi.testclient import TestClient

    from simexit.domain.identifiers import mask_msisdn

    a = make_line(app, "liuliang")
    b = make_line(app, "liuliang")
    mb = b["msisdn"]
    pc = precheck(app, mb)
    nb = applications.apply(app, ApplyRequest(
        msisdn=mb, channel="hotline", identity_method="service_password", staff_ref="setup", staff_role="agent",
        consequences_confirmed=list(pc.to_dict()["consequences"]),
        refund_method="original_payment" if pc.quote.refund_minor > 0 else None)).application_no
    with app.db.read() as c:
        status_before = c.execute(select(applications_table.c.status)).scalar_one()
    b_data = {nb, mb, mask_msisdn(mb)}

    callers = {"anonymous": TestClient(api, base_url="https://127.0.0.1"),
               "customer A": _portal_client(api, app, a["msisdn"])}
    for role in ("agent", "store_clerk", "reviewer", "supervisor", "admin"):
        callers[f"{role} of huaxin"] = _console_client(api, app, f"w{role}", role, ["huaxin"])
    owners = {"customer B": _portal_client(api, app, mb),
              "reviewer of liuliang": _console_client(api, app, "wown", "reviewer", ["liuliang"])}

    wrong_last4 = f"{(int(mb[-4:]) + 1) % 10000:04d}"
    step = {"consequence": list(pc.to_dict()["consequences"]), "refund_method": "original_payment",
            "dest_original_payment_reference": "x"}
    # (method, route) → (path, form or None, strings of B's the caller typed in and may see echoed)
    cases = {
        ("GET", "/"): ("/", None, set()),
        ("POST", "/sign-in/code"): ("/sign-in/code", {"phone": mb}, {mb}),
        ("POST", "/sign-in"): ("/sign-in", {"phone": mb, "code": "999999"}, {mb}),
        ("GET", "/lines"): ("/lines", None, set()),
        ("GET", "/lines/{index}/close"): ("/lines/1/close", None, set()),
        ("POST", "/lines/{index}/quote"): ("/lines/1/quote", step, set()),
        ("POST", "/lines/{index}/confirm"): ("/lines/1/confirm", step, set()),
        ("POST", "/lines/{index}/submit"): ("/lines/1/submit", {**step, "id_tail": b["id_number"][-6:]}, set()),
        ("GET", "/applications/{application_no}/receipt"): (f"/applications/{nb}/receipt", None, {nb}),
        ("GET", "/applications/{application_no}"): (f"/applications/{nb}", None, {nb}),
        ("POST", "/applications/{application_no}/withdraw"): (f"/applications/{nb}/withdraw", {}, {nb}),
        ("GET", "/my-data"): ("/my-data", None, set()),
        ("POST", "/my-data"): ("/my-data", {"id_tail": b["id_number"][-6:]}, set()),
        ("GET", "/lang/{code}"): (f"/lang/en?next=/applications/{nb}", None, {nb}),
        ("GET", "/cancel"): ("/cancel", None, set()),
        ("POST", "/cancel"): ("/cancel", {"kind": "ordinary", "name": "A", "phone": mb, "email": "a@example.com"},
                              {mb}),
        ("POST", "/cancel/confirm"): ("/cancel/confirm", {"request_no": "C-0000", "code": "999999"}, set()),
        ("GET", "/cancel/confirm"): ("/cancel/confirm", None, set()),
        ("GET", "/cancel/requests/{request_no}/{token}"): ("/cancel/requests/KR-0000-0000-0/x", None, set()),
        ("POST", "/cancel/requests/{request_no}/{token}/apply"): (
            "/cancel/requests/KR-0000-0000-0/x/apply", {"consequence": "NO_REACTIVATION"}, set()),
        ("GET", "/status"): (f"/status?no={nb}", None, {nb}),
        ("POST", "/status"): ("/status", {"application_no": nb, "last4": wrong_last4}, {nb}),
        ("GET", "/help"): ("/help", None, set()),
        ("GET", "/console/sign-in"): ("/console/sign-in", None, set()),
        ("POST", "/console/sign-in"): ("/console/sign-in", {"username": "wown", "password": "wrong"}, set()),
        ("GET", "/console"): ("/console?brand=liuliang", None, set()),
        ("GET", "/console/applications/{application_no}"): (f"/console/applications/{nb}", None, {nb}),
        ("POST", "/console/applications/{application_no}/decide"): (
            f"/console/applications/{nb}/decide", {"decision": "reject", "reason": "DOCUMENTS_INCOMPLETE"}, {nb}),
        ("GET", "/console/applications/{application_no}/receipt"): (f"/console/applications/{nb}/receipt", None,
                                                                     {nb}),
        ("POST", "/console/applications/{application_no}/retry"): (
            f"/console/applications/{nb}/retry", {"note": "retry"}, {nb}),
        ("POST", "/console/applications/{application_no}/confirm-state"): (
            f"/console/applications/{nb}/confirm-state", {"note": "profile Unavailable"}, {nb}),
        ("POST", "/console/queue/decide"): ("/console/queue/decide", {"decision": "approve", "brand": "liuliang",
                                                                      "shown": nb}, set()),
        ("GET", "/console/intake"): ("/console/intake", None, set()),
        ("POST", "/console/intake"): ("/console/intake", {"channel": "hotline", "phone": mb}, {mb}),
        ("GET", "/console/reports"): ("/console/reports", None, set()),
        ("GET", "/console/reports.csv"): ("/console/reports.csv", None, set()),
        ("GET", "/console/dashboard"): ("/console/dashboard", None, set()),
        ("POST", "/sign-out"): ("/sign-out", {}, set()),
        ("POST", "/console/sign-out"): ("/console/sign-out", {}, set()),
    }
    assert set(cases) == _web_routes(), "every console and portal page needs a row in this matrix"
    # B's own application page, by the owner and by staff of B's brand: the check below would see a leak.
    assert nb in owners["customer B"].get(f"/applications/{nb}").text
    assert nb in owners["reviewer of liuliang"].get(f"/console/applications/{nb}").text
    expected = {  # caller kind → status on the pages of B's application
        f"/applications/{nb}": {"anonymous": 303, "customer A": 404, "staff": 303},
        f"/applications/{nb}/receipt": {"anonymous": 303, "customer A": 404, "staff": 303},
        f"/console/applications/{nb}": {"anonymous": 303, "customer A": 303, "staff": 404},
        f"/console/applications/{nb}/decide": {"anonymous": 303, "customer A": 303, "staff": 404},
        f"/console/applications/{nb}/receipt": {"anonymous": 303, "customer A": 303, "staff": 404},
        f"/console/applications/{nb}/retry": {"anonymous": 303, "customer A": 303, "staff": 404},
        f"/console/applications/{nb}/confirm-state": {"anonymous": 303, "customer A": 303, "staff": 404},
    }

    checked = 0
    sign_outs = [k for k in cases if k[1].endswith("sign-out")]
    for who, c in callers.items():
        for key in [k for k in cases if k not in sign_outs] + sign_outs:  # sign out last
            method, _route = key
            path, form, echoed = cases[key]
            if method == "GET":
                r = c.get(path, follow_redirects=False)
            else:
                csrf = _token(c, "/console/sign-in" if path.startswith("/console") else "/status")
                r = c.post(path, data={**form, "csrf": csrf}, follow_redirects=False)
            assert (r.status_code < 500 and r.status_code != 403) or method == "POST" or "/console" in path, \
                (who, path, r.status_code)
            if r.status_code == 303:
                assert r.headers["location"] in ("/", "/lines", "/console/sign-in", "/console", "/my-data",
                                                 "/applications/" + nb, "/cancel") or who == "customer A" \
                    or r.headers["location"].startswith("/cancel/requests/KR-"), (who, path)
            kind = who if who in ("anonymous", "customer A") else "staff"
            if path in expected:
                assert r.status_code == expected[path][kind], (who, path, r.status_code, r.text[:300])
            if mb in echoed:  # the number the caller typed may come back, masked or not
                echoed = echoed | {mask_msisdn(mb)}
            leaked = {s for s in b_data - echoed if s in r.text}
            assert not leaked, (who, method, path, r.status_code, leaked)
            checked += 1
        c.close()
    assert checked == len(callers) * len(cases)
    for c in owners.values():
        c.close()
    with app.db.read() as c:
        assert c.execute(select(applications_table.c.status)).scalar_one() == status_before  # nothing changed
