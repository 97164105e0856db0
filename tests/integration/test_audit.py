import itertools
import threading
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, update

from simexit.domain.audit_chain import entry_hash
from simexit.domain.state_machine import ActorType
from simexit.services.closure.applications import Actor, approve
from simexit.services.privacy import audit
from simexit.store.tables_audit import audit_log
from tests.audit_fixtures import EMAIL, NAME, PHONE, rich_customer


def _entries(app):
    with app.db.read() as conn:
        return [dict(r) for r in conn.execute(select(audit_log).order_by(audit_log.c.seq)).mappings()]


def _logged(app, clock):
    c = rich_customer(app, "huaxin", usage=0)
    clock.advance(hours=1)
    approve(app, c["application_no"], Actor(ActorType.STAFF, "rita", "reviewer"), note=f"checked {NAME}")
    audit.record_sign_in(app, actor="rita", role="reviewer", method="password")
    return c


def test_every_transition_is_audited_without_personal_data_and_the_chain_verifies(app, clock):
    c = _logged(app, clock)
    entries = audit.application_entries(app, c["application_no"])
    assert [e["action"] for e in entries] == ["application.submitted", "application.queued_for_review",
                                              "application.approved"]
    assert entries[2]["actor"] == "rita" and entries[2]["role"] == "reviewer"
    assert entries[2]["data"]["from"] == "pending_review" and entries[2]["data"]["note"] is True
    assert all(e["prev_hash"] == p["hash"] for p, e in itertools.pairwise(entries))
    text = repr(_entries(app))
    for secret in (NAME, EMAIL, PHONE, c["msisdn"], c["id_number"]):
        assert secret not in text
    rep = audit.verify(app)
    assert rep.intact and rep.entries == 4 and rep.head_seq == 4


def test_verify_names_a_changed_entry(app, clock):
    _logged(app, clock)
    victim = _entries(app)[1]
    with app.db.write() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == victim["id"]).values(actor="mallory"))
    b = audit.verify(app).broken
    assert (b.kind, b.entry_id) == ("changed", victim["id"])


def test_verify_names_a_changed_and_rehashed_entry(app, clock):
    _logged(app, clock)
    victim = _entries(app)[1]
    forged = {**victim, "actor": "mallory"}
    with app.db.write() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == victim["id"])
                     .values(actor="mallory", hash=entry_hash(forged)))
    b = audit.verify(app).broken
    assert (b.kind, b.entry_id) == ("changed", victim["id"])


def test_verify_names_where_an_entry_was_removed(app, clock):
    _logged(app, clock)
    es = _entries(app)
    with app.db.write() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id == es[1]["id"]))
    b = audit.verify(app).broken
    assert (b.kind, b.entry_id, b.seq) == ("removed", es[2]["id"], 2)


def test_verify_notices_the_newest_entry_removed(app, clock):
    _logged(app, clock)
    es = _entries(app)
    with app.db.write() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id == es[-1]["id"]))
    b = audit.verify(app).broken
    assert (b.kind, b.seq) == ("removed", es[-1]["seq"])


def test_verify_names_an_inserted_entry(app, clock):
    _logged(app, clock)
    es = _entries(app)
    forged = {k: es[1][k] for k in ("seq", "actor", "role", "action", "subject_type", "subject_ref", "data",
                                    "prev_hash")}
    forged.update(at=es[1]["at"] + timedelta(seconds=1), action="application.approved", actor="mallory")
    forged["hash"] = entry_hash(forged)
    with app.db.write() as conn:
        new_id = conn.execute(insert(audit_log).values(**forged).returning(audit_log.c.id)).scalar_one()
    b = audit.verify(app).broken
    assert (b.kind, b.entry_id) == ("inserted", new_id)


def test_verify_names_an_entry_appended_behind_the_logs_back(app, clock):
    _logged(app, clock)
    last = _entries(app)[-1]
    forged = {k: last[k] for k in ("actor", "role", "action", "subject_type", "subject_ref", "data")}
    forged.update(seq=last["seq"] + 1, at=last["at"], prev_hash=last["hash"])
    forged["hash"] = entry_hash(forged)
    with app.db.write() as conn:
        new_id = conn.execute(insert(audit_log).values(**forged).returning(audit_log.c.id)).scalar_one()
    b = audit.verify(app).broken
    assert (b.kind, b.entry_id) == ("inserted", new_id)


def test_concurrent_appends_never_fork_the_chain(app, clock):
    errors = []

    def worker(i: int) -> None:
        try:
            for j in range(5):
                with app.db.write() as conn:
                    audit.record(conn, at=clock.now(), actor=f"w{i}", role="system", action="test.append",
                                 subject_type="test", subject_ref=f"{i}-{j}")
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with app.db.read() as conn:
        seqs = list(conn.execute(select(audit_log.c.seq).order_by(audit_log.c.seq)).scalars())
        assert conn.execute(select(func.count(func.distinct(audit_log.c.prev_hash)))).scalar_one() == 40
    assert seqs == list(range(1, 41))
    assert audit.verify(app).intact


def test_entries_of_a_rolled_back_transaction_are_never_written_nor_left_for_the_next_one(app, clock):
    class Boom(Exception):
        pass

    try:
        with app.db.write() as conn:
            audit.record(conn, at=clock.now(), actor="x", role="system", action="test.rolled_back",
                         subject_type="test", subject_ref="1")
            raise Boom
    except Boom:
        pass
    for _ in range(3):  # whichever pooled connection comes next starts clean
        with app.db.write() as conn:
            audit.record(conn, at=clock.now(), actor="x", role="system", action="test.kept", subject_type="test",
                         subject_ref="2")
    assert [e["action"] for e in _entries(app)] == ["test.kept"] * 3
    assert audit.verify(app).intact


def test_a_transactions_entries_are_chained_in_order_at_commit(app, clock):
    with app.db.write() as conn:
        for i in range(5):
            audit.record(conn, at=clock.now(), actor="x", role="system", action=f"test.{i}", subject_type="test",
                         subject_ref=str(i))
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar_one() == 0  # not yet: at commit
    entries = _entries(app)
    assert [e["action"] for e in entries] == [f"test.{i}" for i in range(5)]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert audit.verify(app).intact and audit.verify(app).head_seq == 5


def test_a_savepoint_rolled_back_takes_its_audit_entries_back_with_its_rows(app, clock):
    # the chained closing steps (issue 16) run each in a savepoint: one that fails must leave no audit entry
    from simexit.store import audit_repo

    def entry(action):
        audit_repo.append(conn, at=clock.now(), actor="sys", role="system", action=action, subject_type="t",
                          subject_ref="1")

    with app.db.write() as conn:
        entry("kept.before")
        try:
            with conn.begin_nested():
                entry("dropped")
                raise RuntimeError("the step failed")
        except RuntimeError:
            pass
        with conn.begin_nested():
            entry("kept.inside")
        entry("kept.after")
    assert [e["action"] for e in _entries(app)] == ["kept.before", "kept.inside", "kept.after"]
    assert audit.verify(app).intact
