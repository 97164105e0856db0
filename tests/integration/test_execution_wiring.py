"""The execution side wired together: default integrations, refund records and the payout file, every enqueued
message template rendered from the payload the code really builds, the ES2+ delete notification through the
saga's path, the erasure timer, and the worker embedded in the serving process."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from simexit.bootstrap import embedded_worker, integrations_from_settings, worker_from_settings
from simexit.config import Settings
from simexit.domain.state_machine import ActorType
from simexit.integrations.messaging.rendering import TEMPLATES, render
from simexit.integrations.messaging.sms_http import HttpSmsSender
from simexit.integrations.messaging.smtp import SmtpSender
from simexit.integrations.payments.webhook import WebhookRefundGateway
from simexit.integrations.relying_parties.webhooks import WebhookDisconnectNotifier
from simexit.services.access import commands as access
from simexit.services.access import queries as access_queries
from simexit.services.access.caller import Public, System
from simexit.services.closure import public_cancellation
from simexit.services.closure.applications import Actor, reject, show
from simexit.services.execution import decision_messages
from simexit.services.execution import queries as execution
from simexit.services.execution.esim_notifications import record_download_progress
from simexit.services.execution.receipts import check_receipt_token
from simexit.services.numbers import commands as numbers
from simexit.services.privacy.export import build_export, request_export
from simexit.store.tables import customers, esim_profiles, lines, outbox
from simexit.store.tables_audit import erasures
from simexit.store.tables_messaging import refunds
from simexit.store.tables_worker import saga_steps, timers
from simexit.worker.runner import Worker, WorkerOptions
from simexit.worker.sweeps import escalate_overdue
from tests.factories import make_line
from tests.simulated_world import apply_for, clean_line

SRC = Path(__file__).resolve().parents[2] / "src" / "simexit"


def close(app, sims, brand="globetalk", **kw) -> str:
    line = clean_line(app, brand, **kw)
    sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1, max_attempts=3)).run_until_idle()
    assert show(app, number)["status"] == "completed"
    return number


def test_default_integrations_are_the_real_clients_and_factories_still_override(app):
    numbers.subscribe(app, System(), "bank", "http://127.0.0.1:9/hook")
    i = integrations_from_settings(Settings(), app)
    assert isinstance(i.sender("email"), SmtpSender) and isinstance(i.sender("sms"), HttpSmsSender)
    assert isinstance(i.refund_gateway(), WebhookRefundGateway)
    notifier = i.disconnect_notifier()
    assert isinstance(notifier, WebhookDisconnectNotifier)
    assert [s.name for s in notifier._subscriptions()] == ["bank"]
    doubles = "tests.recording_doubles"
    o = integrations_from_settings(Settings(message_senders={"sms": f"{doubles}:sms_sender"},
                                            refund_gateway=f"{doubles}:refund_gateway",
                                            disconnect_notifier=f"{doubles}:disconnect_notifier"), app)
    assert type(o.sender("sms")).__name__ == "RecordingSender" and isinstance(o.sender("email"), SmtpSender)
    assert type(o.refund_gateway()).__name__ == "RecordingRefundGateway"
    assert type(o.disconnect_notifier()).__name__ == "RecordingNotifier"


def test_the_saga_records_one_paid_refund_that_the_payout_file_lists(app, clock, sims):
    number = close(app, sims, balance=5000)
    with app.db.read() as conn:
        rows = conn.execute(select(refunds)).mappings().all()
    assert len(rows) == 1
    r = rows[0]
    pay = [c for c in sims.recorder.calls if c.get("system") == "refund"]
    assert len(pay) == 1
    assert (r["application_no"], r["state"], r["amount_minor"]) == (number, "paid", pay[0]["amount_minor"])
    with app.db.read() as conn:
        key = conn.execute(select(saga_steps.c.idempotency_key).where(saga_steps.c.step == "refund")).scalar_one()
    assert r["payment_ref"] and r["reference"] == key == pay[0]["key"] and key.startswith(f"{number}:")
    listed = execution.payouts(app, System(), clock.now().date())
    assert [(x.application_no, x.state, x.payment_ref) for x in listed] == [
        (number, "paid", r["payment_ref"])]


def test_no_refund_record_when_nothing_is_paid_out(app, sims):
    close(app, sims, balance=0)
    with app.db.read() as conn:
        assert conn.execute(select(refunds)).all() == []


def _enqueued_template_names() -> set[str]:
    names: set[str] = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'template="([a-z_]+)"', text))
        names |= set(re.findall(r'^[A-Z_]*TEMPLATE = "([a-z_]+)"', text, re.M))
    return names | set(decision_messages.TEMPLATES.values())


def test_every_enqueued_template_renders_from_the_payload_the_code_builds(app, clock, sims, tmp_path):
    app.export_dir = tmp_path
    # Each producer, for real: sign-in code, public cancellation (receipt + SMS code), SLA escalation,
    # closure confirmation (SMS + e-mail), export ready.
    owner = make_line(app, "hansanet", kind="esim")
    access.start_customer_sign_in(app, Public("127.0.0.1"), owner["msisdn"])
    public_cancellation.submit(app, kind="ordinary", reason=None, customer_name="Erika Muster",
                               msisdn=owner["msisdn"], end_date_wanted=date(2026, 12, 31),
                               email="erika@example.com", locale="de", client_address="127.0.0.1")
    pending = clean_line(app, "baohao")
    apply_for(app, pending["msisdn"])
    clock.set(clock.now() + timedelta(days=20))
    assert escalate_overdue(app, "sup@example.com")
    refused = apply_for(app, clean_line(app, "baohao")["msisdn"])
    reject(app, refused, Actor(ActorType.STAFF, "rita", "reviewer", "online"), ["OTHER"], "see the letter")
    with app.db.write() as conn:  # the step runner's producer, once a closing step has failed for good
        refused_id = conn.execute(select(outbox.c.application_id)
                                  .where(outbox.c.template == "application_rejected")).scalars().first()
        decision_messages.notify(app, conn, refused_id, "needs_attention", clock.now(), detail="network_bar")
    number = close(app, sims)
    build_export(app, request_export(app, owner["msisdn"]))
    with app.db.read() as conn:
        rows = conn.execute(select(outbox.c.template, outbox.c.payload, outbox.c.kind)).mappings().all()
    made = {r["template"] for r in rows}
    assert made == _enqueued_template_names(), "a producer above is missing, or a new one was added"
    assert made <= set(TEMPLATES)
    for r in rows:
        for locale in ("zh-CN", "en"):
            out = render(r["template"], locale, dict(r["payload"]))
            assert out.subject and out.text.strip() and out.sms.strip() and f'lang="{locale}"' in out.html
    receipt = next(r for r in rows if r["template"] == "cancellation_received")["payload"]
    en = render("cancellation_received", "en", dict(receipt))
    zh = render("cancellation_received", "zh-CN", dict(receipt))
    assert receipt["received_at_local"] in en.text and receipt["received_at_local"] in zh.text  # date and time
    assert "2026" in en.text.split("End date wanted:")[1] and "2026年12月31日" in zh.text
    conf = next(r for r in rows if r["template"] == "closure_confirmation")["payload"]
    url = conf["receipt_url"]
    assert url.startswith(f"{app.public_base_url}/receipts/{number}?t=")
    assert check_receipt_token(app, number, url.split("t=", 1)[1])


def test_esim_delete_notification_goes_through_the_saga_path(app, clock, sims):
    line = clean_line(app, "globetalk", esim_state="Installed")
    sims.seed_line(app, line["msisdn"])
    number = apply_for(app, line["msisdn"])
    Worker(app, sims.integrations(), WorkerOptions()).run_until_idle()
    assert show(app, number)["status"] == "completed"
    with app.db.read() as conn:
        iccid, state = conn.execute(select(esim_profiles.c.iccid, esim_profiles.c.state)).one()
    assert state == "DeletePending"
    key = access.create_partner_key(app, System(), "smdp", ["smdp"]).key
    partner = access_queries.partner_for_key(app, key, "smdp")
    body = dict(requester="smdp.example", iccid=iccid, event_at=clock.now(), payload={})
    # a late "installed" notification does not take the profile out of DeletePending
    assert record_download_progress(app, partner, call_id="c-1", point_id=4, status="Executed-Success", **body)
    with app.db.read() as conn:
        assert conn.execute(select(esim_profiles.c.state)).scalar_one() == "DeletePending"
    # notificationPointId 5 is "deleted" (PROTOCOLS.md §A; simexit once read it as "enabled")
    assert record_download_progress(app, partner, call_id="c-2", point_id=5, status="Executed-Success", **body)
    with app.db.read() as conn:
        assert conn.execute(select(esim_profiles.c.state)).scalar_one() == "Deleted"


def test_erasure_timer_of_the_saga_erases_on_the_date_the_erasure_service_computes(app, clock, sims):
    number = close(app, sims)
    worker = worker_from_settings(app, Settings())  # registers the erasure handler
    worker.integrations = sims.integrations()
    with app.db.read() as conn:
        due = conn.execute(select(timers.c.due_at).where(timers.c.kind == "erasure_due")).scalar_one()
    erase_after = app.policy("globetalk").retention.erase_after_days
    assert due.astimezone(UTC) > clock.now() + timedelta(days=erase_after - 1)
    clock.set(due - timedelta(seconds=1))
    worker.run_until_idle()
    with app.db.read() as conn:
        assert conn.execute(select(erasures)).all() == []
    clock.set(due + timedelta(seconds=1))
    worker.run_until_idle()
    with app.db.read() as conn:
        sets = {r.record_set for r in conn.execute(select(erasures.c.record_set))}
        name = conn.execute(select(customers.c.name)).scalar_one()
        state = conn.execute(select(timers.c.state).where(timers.c.kind == "erasure_due")).scalar_one()
    assert {"line_data", "personal"} <= sets and number
    assert name is None or "*" in str(name) or name == ""
    assert state in ("pending", "done")


def test_embedded_worker_runs_in_a_thread_and_stops_cleanly(app, sims):
    line = clean_line(app, "globetalk")
    sims.seed_line(app, line["msisdn"])
    embedded = embedded_worker(app, Settings(worker_poll_seconds=0.05))
    embedded.worker.integrations = sims.integrations()
    embedded.start()
    try:
        number = apply_for(app, line["msisdn"])
        deadline = datetime.now(UTC) + timedelta(seconds=30)
        while show(app, number)["status"] != "completed" and datetime.now(UTC) < deadline:
            embedded.worker.stop_event.wait(0.05)
    finally:
        assert embedded.stop(timeout=10)
    assert show(app, number)["status"] == "completed"
    with app.db.read() as conn:
        assert conn.execute(select(lines.c.status).where(lines.c.msisdn == line["msisdn"])).scalar_one() == "closed"
