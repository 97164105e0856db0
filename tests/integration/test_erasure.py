import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import String, Text, cast, func, insert, or_, select

from simexit.services.erasure import erase_due, plan
from simexit.services.export import build_export, request_export
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
    closed_at = clock.now()
    with app.db.write() as conn:
        mark_line_closed_stand_in(conn, c["msisdn"], closed_at)
    assert find_person(app, _person(c)) >= {("customers", "name"), ("customers", "email"), ("lines", "msisdn"),
                                            ("application_events", "note"), ("applications", "refund_destination"),
                                            ("outbox", "recipient")}

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
