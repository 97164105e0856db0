"""A number's afterlife with a fixed clock: one permanent-disconnect date everywhere (timeline, relying-party
notices, RND export and query, CAMARA check, confirmation, erasure plan, quarantine) for immediate,
end-of-period, chosen-date and late-approved closures, in CN, DE and US time zones, around midnight and DST;
ported-in numbers returned, never available; a quarantine of -1 never ends."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from simexit.domain.display import format_day
from simexit.domain.errors import InvalidInput, NotFound
from simexit.domain.state_machine import ActorType
from simexit.integrations.relying_parties.range_holder import HttpNumberReturnHook
from simexit.services.access.caller import Partner, System
from simexit.services.closure.applications import Actor, approve, show
from simexit.services.execution.receipts import render_receipt
from simexit.services.numbers import commands, queries, recycling, rnd_report
from simexit.services.numbers.commands import subscribe
from simexit.services.numbers.rnd_report import RECORD
from simexit.services.privacy.erasure import plan
from simexit.simulators.range_holder import RangeHolderSimulator
from simexit.store.tables import lines, numbers, outbox
from simexit.store.tables_numbers import number_holdings, rnd_reports
from simexit.store.tables_worker import timers
from simexit.worker.runner import Worker, WorkerOptions
from tests.simulated_world import apply_for, clean_line

REVIEWER = Actor(ActorType.STAFF, "rita", "reviewer", "online")
PARTNER = Partner(1, "bank", ("number_recycling",))


def at(day: str, clock_time: str, tz: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock_time}").replace(tzinfo=ZoneInfo(tz))


def worker(app, world) -> Worker:
    return Worker(app, world.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=3))


def reviewed(app, brand: str) -> None:
    """Make every closure of ``brand`` wait for a person (to approve it late)."""
    p = app.policies[brand]
    app.policies[brand] = p.model_copy(update={"review": p.review.model_copy(update={"auto_approve_clean": False})})


def close(app, clock, sims, brand: str, *, wanted: date | None = None, approve_at: datetime | None = None):
    line = clean_line(app, brand, balance=0, activated_at="2025-01-01T00:00:00+00:00")
    sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"], **({"requested_effective_date": wanted} if wanted else {}))
    if show(app, number)["status"] == "pending_review":
        if approve_at is not None:
            clock.set(approve_at)
        approve(app, number, REVIEWER)
    w = worker(app, sims)
    w.run_until_idle()
    if show(app, number)["status"] == "approved":  # waits until the effective day has ended
        with app.db.read() as conn:
            due = conn.execute(select(timers.c.due_at).where(timers.c.kind == "closure_due",
                                                             timers.c.state == "pending")).scalars().all()
        clock.set(max(due) + timedelta(seconds=2))
        w.run_until_idle()
    view = show(app, number)
    assert view["status"] == "completed", view["timeline"][-1]
    return line["msisdn"], view, w


def one_date(app, sims, msisdn: str, view: dict) -> date:
    """Every place that names the disconnect date names the same one; returns it."""
    policy = app.policy(view["brand"]) if "brand" in view else None
    with app.db.read() as conn:
        held = conn.execute(select(number_holdings).where(number_holdings.c.msisdn == msisdn)).mappings().one()
        num = conn.execute(select(numbers).where(numbers.c.msisdn == msisdn)).mappings().one()
        line_id = conn.execute(select(lines.c.id).where(lines.c.msisdn == msisdn)).scalar_one()
        sent = conn.execute(select(outbox.c.template, outbox.c.payload).where(outbox.c.kind.in_(("sms", "email")))
                            ).all()
    day = held["disconnected_on"]
    brand = held["brand_id"]
    policy = app.policy(app.brand_code(brand))
    # relying-party notices
    told = [c for c in sims.recorder.calls if c["system"] == "relying_parties" and c["msisdn"] == msisdn]
    assert told and {c["disconnected_on"] for c in told} == {day.isoformat()}
    # RND export and query
    rows = queries.permanent_disconnects(app, System(), f"{day:%Y-%m}")
    assert [r.permanent_disconnect_date for r in rows if r.number == msisdn] == [day.isoformat()]
    assert queries.was_disconnected(app, System(), msisdn, day) == "yes"
    assert queries.was_disconnected(app, System(), msisdn, day + timedelta(days=1)) == "no"
    # CAMARA: the holder of the disconnect day lost the number; the day before too
    assert recycling.check(app, PARTNER, msisdn, day) is True
    # confirmation to the customer
    confirmed = [p for t, p in sent if t == "closure_confirmation" and p["msisdn"] == msisdn]
    assert confirmed and {p["disconnected_on"] for p in confirmed} == {day.isoformat()}
    assert {p["erasure_date"] for p in confirmed} == {(day + timedelta(days=policy.retention.erase_after_days))
                                                       .isoformat()}
    # the certificate of cancellation
    cert = render_receipt(app, view["application_no"], "en")
    assert f"<th>Number permanently disconnected on</th><td>{format_day(day, 'en')}</td>" in cert
    erase = day + timedelta(days=policy.retention.erase_after_days)
    assert f"<td>{format_day(erase, 'en')}</td>" in cert
    # the erasure plan and the quarantine
    stages = [p.stage.due_on for p in plan(app) if p.subject_type == "line" and p.subject_id == line_id]
    assert stages == [day + timedelta(days=policy.retention.erase_after_days)]
    assert num["quarantined_until"] == day + timedelta(days=policy.numbers.quarantine_days)
    assert held["quarantine_until"] == num["quarantined_until"]
    return day


@pytest.fixture(autouse=True)
def parties(app):
    subscribe(app, System(), "bank", "https://bank.example/hook")
    subscribe(app, System(), "chat", "https://chat.example/hook")


def test_immediate_closure_just_before_midnight_cn(app, clock, sims):
    clock.set(at("2026-11-10", "23:59:50", "Asia/Shanghai"))
    msisdn, view, _ = close(app, clock, sims, "liuliang")
    assert one_date(app, sims, msisdn, view) == date(2026, 11, 10) == date.fromisoformat(view["effective_date"])


def test_end_of_billing_period_closure_runs_after_midnight_but_keeps_the_effective_date_cn(app, clock, sims):
    clock.set(at("2026-11-20", "10:00:00", "Asia/Shanghai"))
    msisdn, view, _ = close(app, clock, sims, "huaxin", approve_at=at("2026-11-20", "11:00:00", "Asia/Shanghai"))
    assert view["effective_date"] == "2026-11-30"
    assert one_date(app, sims, msisdn, view) == date(2026, 11, 30)


def test_chosen_date_on_the_dst_change_de(app, clock, sims):
    clock.set(at("2027-03-10", "12:00:00", "Europe/Berlin"))
    msisdn, view, _ = close(app, clock, sims, "hansanet", wanted=date(2027, 3, 28))  # clocks go forward
    assert one_date(app, sims, msisdn, view) == date(2027, 3, 28)


def test_late_approval_counts_every_date_from_the_day_of_the_closure_us(app, clock, sims):
    reviewed(app, "roamly")
    clock.set(at("2026-11-02", "09:00:00", "America/New_York"))
    msisdn, view, _ = close(app, clock, sims, "roamly", approve_at=at("2026-11-25", "16:00:00", "America/New_York"))
    assert view["effective_date"] == "2026-11-02"
    day = one_date(app, sims, msisdn, view)
    assert day == date(2026, 11, 25)
    moved = [e for e in view["timeline"] if e["event"] == "disconnect_date_moved"]
    assert len(moved) == 1  # the customer is told why the dates moved (and the confirmation says it too)
    assert (app.policy("roamly").numbers.quarantine_days, day + timedelta(days=45)) == (45, date(2027, 1, 9))


def test_late_approval_around_midnight_and_dst_end_us(app, clock, sims):
    reviewed(app, "roamly")
    clock.set(at("2026-10-30", "09:00:00", "America/New_York"))
    # approved at 23:59:59 on the day the clocks went back: that day, in New York
    msisdn, view, _ = close(app, clock, sims, "roamly", approve_at=at("2026-11-01", "23:59:59", "America/New_York"))
    assert one_date(app, sims, msisdn, view) == date(2026, 11, 1)


def test_late_approval_cn(app, clock, sims):
    clock.set(at("2026-11-02", "09:00:00", "Asia/Shanghai"))
    msisdn, view, _ = close(app, clock, sims, "baohao", approve_at=at("2026-11-25", "00:00:01", "Asia/Shanghai"))
    assert one_date(app, sims, msisdn, view) == date(2026, 11, 25)


def test_ported_in_number_is_returned_never_available(app, clock, sims):
    holder = RangeHolderSimulator(secret="r" * 32).start()
    real = sims.integrations

    def integrations(timeout: float = 5):
        i = real(timeout)
        i.number_return = HttpNumberReturnHook(f"{holder.url}/number-returns", "r" * 32)
        return i

    sims.integrations = integrations
    try:
        _ported_in_is_returned(app, clock, sims, holder)
    finally:
        sims.integrations = real
        holder.stop()


def _ported_in_is_returned(app, clock, sims, holder):
    clock.set(at("2026-11-10", "12:00:00", "Europe/Berlin"))
    line = clean_line(app, "globetalk", balance=0, activated_at="2025-01-01T00:00:00+00:00")
    with app.db.write() as conn:
        conn.execute(update(numbers).where(numbers.c.msisdn == line["msisdn"]).values(ported_in_from="Telekom"))
    sims.seed_line(app, line["msisdn"])
    apply_for(app, line["msisdn"])
    w = worker(app, sims)
    w.run_until_idle()
    with app.db.read() as conn:
        assert conn.execute(select(number_holdings.c.state)).scalar_one() == "returning"
    clock.set(clock.now() + timedelta(days=app.policy("globetalk").numbers.quarantine_days + 1))
    w.run_until_idle()
    with app.db.read() as conn:
        assert conn.execute(select(number_holdings.c.state)).scalar_one() == "returned"
        assert conn.execute(select(numbers.c.state).where(numbers.c.msisdn == line["msisdn"])).scalar() != \
            "available"
        ret = conn.execute(select(outbox).where(outbox.c.template == "number.returned")).mappings().one()
    assert ret["recipient"] == "Telekom" and ret["payload"]["msisdn"] == line["msisdn"]
    assert ret["state"] == "sent"
    assert [(e["msisdn"], e["range_holder"]) for e in holder.effects] == [(line["msisdn"], "Telekom")]


def test_quarantine_of_minus_one_never_ends(app, clock, sims):
    p = app.policies["liuliang"]
    app.policies["liuliang"] = p.model_copy(update={"numbers": p.numbers.model_copy(update={"quarantine_days": -1})})
    clock.set(at("2026-11-10", "12:00:00", "Asia/Shanghai"))
    msisdn, _, w = close(app, clock, sims, "liuliang")
    clock.set(clock.now() + timedelta(days=3650))
    w.run_until_idle()
    with app.db.read() as conn:
        num = conn.execute(select(numbers).where(numbers.c.msisdn == msisdn)).mappings().one()
        assert conn.execute(select(timers).where(timers.c.kind == "quarantine_end")).first() is None
        assert conn.execute(select(number_holdings.c.quarantine_until)).scalar() is None
    assert num["state"] == "quarantined" and num["quarantined_until"] is None


def test_a_failing_party_is_retried_alone(app, clock, sims):
    calls = sims.recorder.calls
    real = sims.integrations

    class Flaky:
        failed = False

        def notify(self, party, msisdn, day, key):
            from simexit.integrations.errors import IntegrationError

            if party == "chat" and not Flaky.failed:
                Flaky.failed = True
                raise IntegrationError("relying_parties", "RELYING_PARTY_FAILED", "chat: 503", retryable=True)
            calls.append({"system": "relying_parties", "party": party, "key": key, "msisdn": msisdn})

    def integrations(timeout: float = 5):
        i = real(timeout)
        i.notifier = Flaky()
        return i

    sims.integrations = integrations
    try:
        clock.set(at("2026-11-10", "12:00:00", "Asia/Shanghai"))
        line = clean_line(app, "liuliang", balance=0)
        sims.seed_line(app, line["msisdn"])
        apply_for(app, line["msisdn"])
        w = worker(app, sims)
        w.run_until_idle()
        clock.set(clock.now() + timedelta(minutes=5))
        w.run_until_idle()
    finally:
        sims.integrations = real
    told = [(c["party"], c["key"]) for c in calls if c["system"] == "relying_parties"]
    assert sorted(p for p, _ in told) == ["bank", "chat"]  # bank once (not re-posted), chat after its retry
    assert len({k for _, k in told}) == 2


def test_fcc_rnd_report_by_timer_then_the_next_month_incremental(app, clock, sims):
    clock.set(at("2026-11-20", "09:00:00", "America/New_York"))
    msisdn, _, w = close(app, clock, sims, "roamly")
    with app.db.read() as conn:
        due = conn.execute(select(timers.c.due_at).where(timers.c.kind == "rnd_report")).scalar_one()
    assert due.astimezone(ZoneInfo("America/New_York")).date() == date(2026, 12, 11)
    clock.set(due + timedelta(minutes=1))
    w.run_until_idle()
    with app.db.read() as conn:
        reports = conn.execute(select(rnd_reports)).mappings().all()
        again = conn.execute(select(timers.c.due_at, timers.c.state).where(timers.c.kind == "rnd_report")).one()
    assert [(r["period_first"], r["period_last"], r["rows"]) for r in reports] == \
        [(date(2026, 11, 11), date(2026, 12, 10), 1)]
    assert reports[0]["content"] == f"{msisdn[2:]},20261120\n"
    assert all(RECORD.match(x) for x in reports[0]["content"].splitlines())
    assert again.state == "pending" and again.due_at.astimezone(ZoneInfo("America/New_York")).date() == \
        date(2027, 1, 11)
    # the CLI's run in the same month gives the stored report; January's starts after December's cutoff
    made = rnd_report.report(app, System(), date(2026, 12, 14))
    assert made is not None and not made.made and made.content == reports[0]["content"]
    jan = rnd_report.report(app, System(), date(2027, 1, 12))
    assert (jan.period_first, jan.period_last, jan.rows, jan.content) == (date(2026, 12, 11), date(2027, 1, 10), 0, "")
    assert rnd_report.report(app, System(), date(2027, 2, 3)) is None  # before the 11th: the period is not over


def test_port_out_completion_closes_the_line_and_records_the_end_of_the_holding(app, clock, sims):
    clock.set(at("2026-11-20", "09:00:00", "Europe/Berlin"))
    line = clean_line(app, "globetalk", balance=0, activated_at="2025-01-01T00:00:00+00:00", port_out_pending=True)
    with pytest.raises(InvalidInput):
        commands.port_out_completed(app, System(), clean_line(app, "globetalk")["msisdn"])
    done = commands.port_out_completed(app, System(), line["msisdn"])
    assert done == {"msisdn": line["msisdn"], "disconnected_on": "2026-11-20", "reason": "port_out"}
    with app.db.read() as conn:
        ln = conn.execute(select(lines).where(lines.c.msisdn == line["msisdn"])).mappings().one()
        held = conn.execute(select(number_holdings)).mappings().one()
        num = conn.execute(select(numbers).where(numbers.c.msisdn == line["msisdn"])).mappings().one()
    assert ln["status"] == "closed" and not ln["port_out_pending"]
    assert (held["reason"], held["disconnected_on"]) == ("port_out", date(2026, 11, 20))
    assert num["state"] == "quarantined" and num["quarantined_until"] is None  # never reissued here
    # the subscriber keeps the number elsewhere: not a permanent disconnect
    assert queries.was_disconnected(app, System(), line["msisdn"], date(2026, 11, 1)) == "no"
    assert queries.permanent_disconnects(app, System(), "2026-11") == []
    with pytest.raises(NotFound):
        recycling.check(app, PARTNER, line["msisdn"], date(2026, 6, 1))


def test_a_transaction_reads_a_recorded_disconnect_day_once_and_a_missing_one_every_time(app, clock):
    """The closing steps chained in one transaction ask for the line's disconnect day four times (issue 16): it
    is read once, from the row recorded or read, and a rolled-back savepoint takes it back with the row."""
    from sqlalchemy import event

    from simexit.store import numbers_repo

    line = clean_line(app, "globetalk", kind="sim", balance=0)
    with app.db.read() as conn:
        line_id, brand_id = conn.execute(select(lines.c.id, lines.c.brand_id)
                                         .where(lines.c.msisdn == line["msisdn"])).one()
    reads: list[str] = []

    def count(_conn, _cursor, statement, *_a):
        if "number_holdings" in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    values = dict(msisdn=line["msisdn"], brand_id=brand_id, line_id=line_id, held_from=None,
                  disconnected_on=date(2026, 3, 2), reason="closure", ported_in_from=None, state="quarantined",
                  quarantine_until=date(2026, 6, 1), recorded_at=clock.now(), updated_at=clock.now())
    event.listen(app.db.engine, "before_cursor_execute", count)
    try:
        with app.db.write() as conn:
            assert numbers_repo.disconnected_on(conn, line_id) is None
            assert numbers_repo.disconnected_on(conn, line_id) is None
            assert len(reads) == 2  # none recorded: asked again each time
            savepoint = conn.begin_nested()
            numbers_repo.add_holding(conn, values)
            assert numbers_repo.disconnected_on(conn, line_id) == date(2026, 3, 2)
            savepoint.rollback()
            assert numbers_repo.disconnected_on(conn, line_id) is None  # the row went, and the day with it
            numbers_repo.add_holding(conn, values)
            numbers_repo.add_holding(conn, {**values, "disconnected_on": date(2026, 3, 9)})  # ignored: once a line
            assert [numbers_repo.disconnected_on(conn, line_id) for _ in range(4)] == [date(2026, 3, 2)] * 4
            assert len(reads) == 3
        with app.db.write() as conn:  # a new transaction reads it again
            assert numbers_repo.disconnected_on(conn, line_id) == date(2026, 3, 2)
            assert numbers_repo.disconnected_on(conn, line_id) == date(2026, 3, 2)
        assert len(reads) == 4
    finally:
        event.remove(app.db.engine, "before_cursor_execute", count)
    with app.db.read() as conn:
        assert conn.execute(select(number_holdings.c.disconnected_on)
                            .where(number_holdings.c.line_id == line_id)).scalars().all() == [date(2026, 3, 2)]
