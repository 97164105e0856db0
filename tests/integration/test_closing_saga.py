"""End to end per card kind: an approved application is closed everywhere by the worker, against the HSS and
SM-DP+ simulators running as real HTTP servers, and each simulator shows exactly what it received."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from simexit.domain.saga import STEPS
from simexit.domain.state_machine import ActorType
from simexit.services.access.caller import System
from simexit.services.closure.applications import Actor, approve, show
from simexit.services.numbers.commands import subscribe
from simexit.store.closing_repo import ledger_sum
from simexit.store.tables import accounts, bills, lines, numbers
from simexit.store.tables_worker import saga_steps, timers
from simexit.worker.runner import Worker, WorkerOptions
from tests.simulated_world import BRANDS, apply_for, clean_line

REVIEWER = Actor(ActorType.STAFF, "rita", "reviewer", "online")


def worker_for(app, world, **kw) -> Worker:
    return Worker(app, world.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=3, **kw))


@pytest.mark.parametrize("card_kind", sorted(BRANDS))
def test_approved_application_is_closed_everywhere(app, clock, sims, card_kind):
    brand = BRANDS[card_kind]
    policy = app.policy(brand)
    line = clean_line(app, brand, balance=5000)
    seeded = sims.seed_line(app, line["msisdn"])
    for party in ("bank", "chat"):
        subscribe(app, System(), party, f"https://{party}.example/hook")
    number = apply_for(app, line["msisdn"])
    if show(app, number)["status"] == "pending_review":
        approve(app, number, REVIEWER)
    worker = worker_for(app, sims)
    worker.run_until_idle()
    view = show(app, number)
    if policy.closure.effective != "immediate":
        # waits on a timer until the effective day has ended in the brand's time zone
        assert view["status"] == "approved"
        with app.db.read() as conn:
            due = conn.execute(select(timers.c.due_at).where(timers.c.kind == "closure_due")).scalar_one()
        assert due > clock.now() and sims.effects(sims.hss) == []
        clock.set(due + timedelta(seconds=1))
        worker.run_until_idle()
        view = show(app, number)
    assert view["status"] == "completed", view["timeline"][-1]

    # the HSS got exactly: bar (with PyHSS's own CLR of type 1), the detach from the MME (CLR type 2 through
    # /push/clr, data-only lines included), the IMS deregistration (voice lines), delete IMS, subscriber, AuC
    hss = [(e["kind"], e["imsi"]) for e in sims.effects(sims.hss)]
    expected = ["bar", "cancel_location", "cancel_location"] + \
        (["deregister", "delete_ims"] if seeded["kind"] != "data" else []) + ["delete_subscriber", "delete_auc"]
    assert hss == [(k, seeded["imsi"]) for k in expected]
    assert [e["type"] for e in sims.effects(sims.hss) if e["kind"] == "cancel_location"] == [1, 2]
    requests = sims.get(sims.hss, "requests")
    writes = [r for r in requests if r["method"] in ("PATCH", "DELETE")]
    assert all(r["headers"]["provisioning-key"] == "sim-provisioning-key" for r in writes)
    assert {r["query"]["operation_id"].split(":")[0] for r in writes} == {number}
    # the SM-DP+: one cancelOrder to Unavailable per profile of an eSIM line, nothing otherwise
    smdp = sims.effects(sims.smdp)
    assert [(e["kind"], e["iccid"], e["final"]) for e in smdp] == \
        [("cancel_order", i, "Unavailable") for i in seeded["profiles"]]
    calls = sims.get(sims.smdp, "requests")
    assert all(c["headers"]["x-admin-protocol"].startswith("gsma/rsp/v2") for c in calls)
    assert all(c["body"]["header"]["functionCallIdentifier"].startswith(number) for c in calls)

    # refund, confirmation per channel, relying parties: once each
    q = view["quote"]
    rec = sims.recorder.calls
    refunds = [c for c in rec if c["system"] == "refund"]
    assert [c["amount_minor"] for c in refunds] == ([q["refund_minor"]] if q["refund_minor"] else [])
    msgs = sorted((c["kind"], c["template"]) for c in rec if c["system"] == "messaging"
                  and c["template"] == "closure_confirmation")
    assert msgs == [(kind, "closure_confirmation") for kind in sorted(policy.contact.messages)]  # brand's channels
    told = {c["template"] for c in rec if c["system"] == "messaging"}
    assert {"application_received", "application_approved"} <= told
    assert all(c["payload"]["application_no"] == number for c in rec if c["system"] == "messaging")
    told = [c for c in rec if c["system"] == "relying_parties"]
    assert sorted((c["party"], c["msisdn"]) for c in told) == [("bank", line["msisdn"]), ("chat", line["msisdn"])]
    assert len({c["key"] for c in told}) == 2  # each party its own notice and key
    assert {c["disconnected_on"] for c in told} == {q["effective_date"]}

    with app.db.read() as conn:
        ln = conn.execute(select(lines).where(lines.c.msisdn == line["msisdn"])).mappings().one()
        acct = conn.execute(select(accounts).where(accounts.c.id == ln["account_id"])).mappings().one()
        num = conn.execute(select(numbers).where(numbers.c.msisdn == line["msisdn"])).mappings().one()
        final = conn.execute(select(bills).where(bills.c.line_id == ln["id"])).mappings().all()
        steps = conn.execute(select(saga_steps.c.step, saga_steps.c.state)).all()
        assert ledger_sum(conn, acct["id"]) == 0
    assert ln["status"] == "closed" and ln["closed_at"] is not None and acct["status"] == "closed"
    assert num["state"] == "quarantined" and num["quarantined_until"].isoformat() == q["number_release_date"]
    assert [b["period_end"].isoformat() for b in final] == [q["effective_date"]] and final[0]["paid_at"]
    assert final[0]["amount_minor"] == q["cancellation_fee_minor"] + q["early_termination_fee_minor"]
    assert len(steps) == len(STEPS) and {s.state for s in steps} == {"done"}

    # the quarantine ends: the number is available again; erasure waits for its handler (none registered)
    clock.set(clock.now() + timedelta(days=policy.numbers.quarantine_days + 2))
    worker.run_until_idle()
    with app.db.read() as conn:
        assert conn.execute(select(numbers.c.state).where(numbers.c.msisdn == line["msisdn"])).scalar() == "available"
        erasure = conn.execute(select(timers).where(timers.c.kind == "erasure_due")).mappings().one()
    assert erasure["state"] == "pending"
