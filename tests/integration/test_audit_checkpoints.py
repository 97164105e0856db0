"""Issue 12 item 10: the audit log cannot be rewritten by whoever can write the database. Entries are chained
with a keyed MAC, and signed checkpoints outside the database pin the log's history; each attack below went
unnoticed with the plain SHA-256 chain and head row alone."""

import json

import pytest
from sqlalchemy import delete, select, update

from simexit.domain.audit_chain import GENESIS, entry_hash, entry_mac
from simexit.services.privacy import audit
from simexit.store import audit_checkpoints
from simexit.store.tables_audit import audit_head, audit_log


@pytest.fixture
def signed(app, tmp_path):
    """The app with a signing key and a checkpoint file (what an operator sets)."""
    key = tmp_path / "audit-signing-key.pem"
    audit_checkpoints.generate_key(key)
    app.audit_signing_key = key
    app.audit_checkpoint_file = tmp_path / "checkpoints.jsonl"
    return app


def _log(app, clock, n: int) -> None:
    for i in range(n):
        with app.db.write() as conn:
            audit.record(conn, at=clock.now(), actor="rita", role="reviewer", action="test.entry",
                         subject_type="test", subject_ref=str(i), data={"i": i})
        clock.advance(seconds=1)


def _entries(app):
    with app.db.read() as conn:
        return [dict(r) for r in conn.execute(select(audit_log).order_by(audit_log.c.seq)).mappings()]


def _rewrite(app, entries, hasher) -> None:
    """What a database writer does to cover their tracks: renumber from 1, rechain, move the head."""
    with app.db.write() as conn:
        conn.execute(delete(audit_log))
        prev = GENESIS
        for seq, e in enumerate(entries, 1):
            row = {k: e[k] for k in ("at", "actor", "role", "action", "subject_type", "subject_ref", "data")}
            row.update(seq=seq, prev_hash=prev)
            row["hash"] = prev = hasher(row)
            conn.execute(audit_log.insert().values(**row))
        conn.execute(update(audit_head).values(seq=len(entries), hash=prev))


def _with_key(app):
    return lambda row: entry_mac(app.db.audit_key, row)


def test_a_changed_entry_with_chain_and_head_recomputed_is_caught_by_the_mac(app, clock):
    _log(app, clock, 6)
    es = _entries(app)
    es[2] = {**es[2], "actor": "mallory"}
    _rewrite(app, es, entry_hash)  # the attacker has the database, not the key
    rep = audit.verify(app)
    assert not rep.intact
    assert rep.broken.kind == "changed"  # no entry carries the MAC (and no checkpoint covers them)


def test_a_changed_entry_rechained_even_with_the_chain_key_is_caught_by_the_checkpoint(signed, clock):
    _log(signed, clock, 6)
    assert signed.audit_checkpoint_file.exists() is False
    cp = audit.write_checkpoint(signed, force=True)
    assert cp is not None and cp.seq == 6
    es = _entries(signed)
    es[2] = {**es[2], "actor": "mallory"}
    _rewrite(signed, es, _with_key(signed))  # the worst case: the chain key leaked too
    rep = audit.verify(signed)
    assert not rep.intact
    assert (rep.broken.kind, rep.broken.seq) == ("changed", 6)
    assert "checkpoint" in rep.broken.detail


def test_entries_deleted_and_the_rest_renumbered_and_rechained_are_caught(signed, clock):
    _log(signed, clock, 8)
    audit.write_checkpoint(signed, force=True)
    es = _entries(signed)
    survivors = es[:3] + es[5:]
    _rewrite(signed, survivors, entry_hash)
    assert not audit.verify(signed).intact
    _rewrite(signed, survivors, _with_key(signed))
    rep = audit.verify(signed)
    assert not rep.intact
    assert rep.broken.kind == "removed" and rep.broken.seq == 7
    assert "checkpoint" in rep.broken.detail


def test_the_newest_entries_deleted_and_the_head_moved_back_are_caught(signed, clock):
    _log(signed, clock, 10)
    audit.write_checkpoint(signed, force=True)
    es = _entries(signed)
    with signed.db.write() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.seq > 7))
        conn.execute(update(audit_head).values(seq=7, hash=es[6]["hash"]))
    rep = audit.verify(signed)
    assert not rep.intact
    assert (rep.broken.kind, rep.broken.seq) == ("removed", 8)


def test_everything_deleted_is_a_failure_when_checkpoints_say_otherwise(signed, clock):
    _log(signed, clock, 5)
    audit.write_checkpoint(signed, force=True)
    with signed.db.write() as conn:
        conn.execute(delete(audit_log))
        conn.execute(delete(audit_head))
    rep = audit.verify(signed)
    assert not rep.intact
    assert rep.entries == 0 and rep.broken.kind == "removed"
    assert "5" in rep.broken.detail


def test_an_intact_log_verifies_against_its_checkpoints(signed, clock):
    _log(signed, clock, 4)
    audit.write_checkpoint(signed, force=True)
    _log(signed, clock, 3)
    audit.write_checkpoint(signed, force=True)
    _log(signed, clock, 2)  # after the newest checkpoint: covered by the MAC only
    rep = audit.verify(signed)
    assert rep.intact, rep.broken
    assert (rep.entries, rep.checkpoints, rep.checkpoint_seq, rep.checkpoints_configured) == (9, 2, 7, True)


def test_a_forged_or_edited_checkpoint_is_refused(signed, clock, tmp_path):
    _log(signed, clock, 3)
    audit.write_checkpoint(signed, force=True)
    lines = signed.audit_checkpoint_file.read_text().splitlines()
    cp = json.loads(lines[0])
    cp["seq"] = cp["count"] = 2  # moved back to fit a truncated log
    signed.audit_checkpoint_file.write_text(json.dumps(cp) + "\n")
    rep = audit.verify(signed)
    assert not rep.intact and rep.broken.kind == "checkpoint"
    # Signed by another key (an attacker's):
    other = tmp_path / "other.pem"
    audit_checkpoints.generate_key(other)
    signed.audit_checkpoint_file.unlink()
    real, signed.audit_signing_key = signed.audit_signing_key, other
    audit.write_checkpoint(signed, force=True)
    signed.audit_signing_key = real
    rep = audit.verify(signed)
    assert not rep.intact and rep.broken.kind == "checkpoint"


def test_checkpoints_are_written_every_n_entries_or_m_minutes_and_not_when_nothing_moved(signed, clock):
    signed.audit_checkpoint_entries, signed.audit_checkpoint_seconds = 5, 600
    assert audit.write_checkpoint(signed) is None  # an empty log: nothing to sign
    _log(signed, clock, 2)
    assert audit.write_checkpoint(signed).seq == 2  # the first one: no checkpoint yet
    _log(signed, clock, 4)
    assert audit.write_checkpoint(signed) is None  # 4 entries, 4 seconds: not yet
    _log(signed, clock, 1)
    assert audit.write_checkpoint(signed).seq == 7  # 5 entries
    assert audit.write_checkpoint(signed) is None  # nothing moved
    _log(signed, clock, 1)
    clock.advance(minutes=10)
    assert audit.write_checkpoint(signed).seq == 8  # 10 minutes
    clock.advance(minutes=10)
    assert audit.write_checkpoint(signed) is None  # nothing moved
    assert [cp.seq for cp in audit_checkpoints.read_all(signed.audit_checkpoint_file)] == [2, 7, 8]


def test_no_checkpoint_vouches_for_a_log_that_does_not_continue_the_last_one(signed, clock):
    _log(signed, clock, 4)
    audit.write_checkpoint(signed, force=True)
    _log(signed, clock, 2)
    es = _entries(signed)
    es[1] = {**es[1], "actor": "mallory"}
    _rewrite(signed, es, _with_key(signed))
    assert audit.write_checkpoint(signed, force=True) is None
    assert len(audit_checkpoints.read_all(signed.audit_checkpoint_file)) == 1


def test_entries_chained_before_the_key_are_accepted_only_under_a_checkpoint(signed, clock):
    _log(signed, clock, 3)
    _rewrite(signed, _entries(signed), entry_hash)  # what a log written by simexit before the key looks like
    rep = audit.verify(signed)
    assert not rep.intact and rep.broken.seq == 3 and "checkpoint" in rep.broken.detail
    assert audit.write_checkpoint(signed).seq == 3  # the first checkpoint after the upgrade covers them
    _log(signed, clock, 2)  # keyed from here on
    assert audit.verify(signed).intact
    es = _entries(signed)
    _rewrite(signed, [{**es[0], "actor": "mallory"}, *es[1:3]], entry_hash)  # a legacy entry rewritten
    assert not audit.verify(signed).intact


def test_the_workers_sweep_writes_the_checkpoint_when_due(signed, clock):
    from simexit.worker.runner import Worker

    _log(signed, clock, 3)
    Worker(signed, None).sweep(force=True)  # type: ignore[arg-type]
    assert [cp.seq for cp in audit_checkpoints.read_all(signed.audit_checkpoint_file)] == [3]
