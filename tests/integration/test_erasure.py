import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import String, Text, cast, func, insert, or_, select

from simexit.services.privacy.erasure import erase_due, plan
from simexit.services.privacy.export import build_export, request_export
from simexit.store.closed_state_stand_in import mark_line_closed_stand_in
from simexit.store.schema import metadata
from simexit.store.tables import bills, customers, usage_records
from simexit.store.tables_audit import erasures
from tests.audit_fixtures import EMAIL, NAME, PHONE, rich_customer

# The operator's own inventory of numbers (quarantine, reissue) keeps every number it ever assigned; once the
# line is erased nothing links the number to a person any more.
INVENTORY = {("numbers", "msisdn")}


def find_person(app, needles: list[str]) -> set[tuple[str, str]]:
    """Every (table, column) of the whole database whose text holds any of ``needles``."""
    variants = set()
    for n in needles:
        variants |= {n, json.dumps(n)[1:-1]}  # JSON columns on SQLite escape non-ASCII characters
    hits = set()
    with app.db.read() as conn:
        for table in metadata.sorted_tables:
            for col in table.columns:
                text = cast(col, Text) if not isinstance(col.type, String | Text) else col
                cond = or_(*[text.like(f"%{v}%") for v in variants])
                if conn.execute(select(func.count()).select_from(table).where(cond)).scalar_one():
                    hits.add((table.name, col.name))
    return hits


def _traces_in_later_tables(app, clock, c, customer_id):
    """The person also appears in what the API, the public entry, refunds and bulk runs store."""
    from simexit.services.closure.public_cancellation import submit
    from simexit.store.tables import applications, lines
    from simexit.store.tables_api import api_idempotency, esim_notifications, partner_api_keys
    from simexit.store.tables_auth import customer_sessions
    from simexit.store.tables_bulk import bulk_batches, bulk_items
    from simexit.store.tables_messaging import refunds

    now = clock.now()
    submit(app, kind="ordinary", reason="moving", customer_name=NAME, msisdn=c["msisdn"], end_date_wanted=None,
           email=EMAIL)
    with app.db.write() as conn:
        line = conn.execute(select(lines).where(lines.c.id == c["line_id"])).mappings().one()
        app_id = conn.execute(select(applications.c.id).where(
            applications.c.application_no == c["application_no"])).scalar_one()
        conn.execute(insert(customer_sessions).values(token_hash="0" * 64, customer_id=customer_id,
                                                      msisdn=c["msisdn"], created_at=now, expires_at=now))
        conn.execute(insert(api_idempotency).values(principal=f"c:{customer_id}", idem_key="k", request_hash="0",
                                                    status_code=201, response={"msisdn": c["msisdn"]},
                                                    created_at=now, expires_at=now))
        conn.execute(insert(refunds).values(application_id=app_id, application_no=c["application_no"],
                                            amount_minor=100, currency="CNY", method="bank_transfer",
                                            destination={"holder": NAME}, destination_masked="****0001",
                                            reference="r1", recorded_at=now))
        conn.execute(insert(bulk_batches).values(id="B-1", file_sha256="0" * 64, file_name="f.csv", file_format="csv",
                                                 options={}, state="done", total_rows=1, counts={},
                                                 created_at=now, updated_at=now))
        conn.execute(insert(bulk_items).values(batch_id="B-1", row_no=1, line_ref=c["msisdn"],
                                               line_id=c["line_id"], outcome="applied"))
        key = conn.execute(insert(partner_api_keys).values(name="smdp", prefix="p1", key_hash="0" * 64,
                                                           scopes=["smdp"], created_at=now)
                           .returning(partner_api_keys.c.id)).scalar_one()
        conn.execute(insert(esim_notifications).values(
            partner_key_id=key, requester="smdp", function_call_id="f1", iccid=line["iccid"],
            notification_point_id=4, status="Executed-Success", event_at=now, matched=True,
            payload={"iccid": line["iccid"], "msisdn": c["msisdn"]}, received_at=now))


def _person(c):
    return [NAME, EMAIL, PHONE, c["msisdn"], c["id_number"]]


def test_cn_customer_is_erased_on_schedule_except_what_the_law_keeps_until_its_own_date(app, clock, tmp_path):
    app.export_dir = tmp_path
    c = rich_customer(app, "huaxin", usage=50)
    other = rich_customer(app, "huaxin", usage=5, name="李四", email="li.si@example.net", phone="+8613600000000")
    with app.db.write() as conn:
        acc = conn.execute(select(customers.c.id).where(customers.c.customer_ref == c["ref"])).scalar_one()
        conn.execute(insert(bills).values(account_id=acc, line_id=c["line_id"], period_start=clock.now().date(),
                                          period_end=clock.now().date(), amount_minor=100, currency="CNY",
                                          due_date=clock.now().date()))
    view = build_export(app, request_export(app, c["msisdn"]))
    assert Path(view.file_path).exists()
    _traces_in_later_tables(app, clock, c, acc)
    closed_at = clock.now()
    with app.db.write() as conn:
        mark_line_closed_stand_in(conn, c["msisdn"], closed_at)
    assert find_person(app, _person(c)) >= {("customers", "name"), ("customers", "email"), ("lines", "msisdn"),
                                            ("application_events", "note"), ("applications", "refund_destination"),
                                            ("outbox", "recipient"), ("cancellation_requests", "customer_name"),
                                            ("cancellation_requests", "email"), ("refunds", "destination"),
                                            ("bulk_items", "line_ref"), ("customer_sessions", "msisdn"),
                                            ("api_idempotency", "response"), ("esim_notifications", "payload")}

    # huaxin: erase after 180 days; the real-name record 730 days, billing 1825 days.
    clock.advance(days=179)
    assert erase_due(app).done == []
    clock.advance(days=1)
    report = erase_due(app)
    assert {d["record_set"] for d in report.done} == {"line_data", "personal"}
    assert find_person(app, _person(c)) == {("customers", "name"), ("lines", "msisdn")} | INVENTORY
    assert not Path(view.file_path).exists()
    with app.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(usage_records)
                            .where(usage_records.c.line_id == c["line_id"])).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(bills)).scalar_one() == 1  # kept for tax
        rules = conn.execute(select(erasures.c.record_set, erasures.c.rule, erasures.c.table_name, erasures.c.count)
                             .where(erasures.c.record_set == "line_data")).all()
    assert ("line_data", "huaxin: retention.erase_after_days=180", "usage_records", 50) in rules
    assert erase_due(app).done == []  # nothing twice

    clock.set(closed_at + timedelta(days=730))
    assert [d["record_set"] for d in erase_due(app).done] == ["real_name"]
    assert find_person(app, _person(c)) == INVENTORY
    clock.set(closed_at + timedelta(days=1825))
    assert [d["record_set"] for d in erase_due(app).done] == ["billing"]
    assert find_person(app, _person(c)) == INVENTORY
    with app.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(bills)).scalar_one() == 0
    assert plan(app) == []
    # The other customer's line is still open: untouched.
    assert ("lines", "msisdn") in find_person(app, [other["msisdn"]])


def test_us_customer_keeps_consent_evidence_until_its_date(app, clock):
    c = rich_customer(app, "roamly", usage=3)
    with app.db.write() as conn:
        mark_line_closed_stand_in(conn, c["msisdn"], clock.now())
    clock.advance(days=90)
    done = {d["record_set"] for d in erase_due(app).done}
    assert done == {"line_data", "personal"}
    # No real-name rule in the US: name and number go on the erasure date.
    assert find_person(app, _person(c)) == INVENTORY
    due = {p.stage.record_set: p.stage.due_on for p in plan(app)}
    assert set(due) == {"consent", "billing"}
    clock.advance(days=1095 - 90)
    assert [d["record_set"] for d in erase_due(app).done] == ["consent"]
