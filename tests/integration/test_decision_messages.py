"""Issue 14 item 3: the customer is told every decision — received, approved, rejected (the reasons and what to
do), completed (the certificate link), needs attention (what happens now) — through the outbox, by the brand's
message channels (policy ``[contact] messages``), in the customer's language, once: the SMS reaches the SMS
gateway simulator and the e-mail the mail sink (a real SMTP server), and neither is sent twice on a retry or
after a crash between storing and sending."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from simexit.config import Settings
from simexit.domain.state_machine import ActorType
from simexit.integrations.messaging.senders import message_senders
from simexit.integrations.network.pyhss import PyHssProvisioner
from simexit.services.closure.applications import Actor, approve, reject, show
from simexit.services.execution.decision_messages import notify
from simexit.simulators.mail_sink import MailSink, free_port
from simexit.simulators.sms_gateway import SmsGatewaySimulator
from simexit.store.tables import outbox
from simexit.store.tables_worker import timers
from simexit.worker.runner import Worker, WorkerOptions
from tests.simulated_world import apply_for, clean_line

REVIEWER = Actor(ActorType.STAFF, "rita", "reviewer", "online")


@pytest.fixture(scope="module")
def gateways():
    with MailSink() as sink, SmsGatewaySimulator() as sms:
        yield sink, sms


@pytest.fixture
def inboxes(gateways):
    sink, sms = gateways
    sink.reset_state()
    httpx.post(f"{sms.url}/_sim/reset", json={})
    return sink, sms


def worker(app, sims, inboxes, **kw) -> Worker:
    sink, sms = inboxes
    settings = Settings(smtp_host=sink.smtp_host, smtp_port=sink.smtp_port, sms_gateway_url=sms.url)
    integrations = replace(sims.integrations(), senders=message_senders(settings), **kw)
    return Worker(app, integrations, WorkerOptions(backoff_seconds=1, max_attempts=2))


def close_it(app, clock, w: Worker, number: str) -> None:
    w.run_until_idle()
    if show(app, number)["status"] == "approved":
        with app.db.read() as conn:
            due = conn.execute(select(timers.c.due_at).where(timers.c.kind == "closure_due")).scalar_one()
        clock.set(due + timedelta(seconds=1))
        w.run_until_idle()


def sms_texts(sms, to: str) -> list[str]:
    return [m["text"] for m in sms.delivered() if m["to"] == to]


def test_huaxin_zh_is_told_every_decision_by_sms_only(app, clock, sims, inboxes):
    sink, sms = inboxes
    line = clean_line(app, "huaxin", balance=5000, locale="zh-CN")
    m = line["msisdn"]
    sims.seed_line(app, m)
    first = apply_for(app, m)
    reject(app, first, REVIEWER, ["DOCUMENTS_INCOMPLETE"], "背面看不清")
    second = apply_for(app, m)
    approve(app, second, REVIEWER)
    w = worker(app, sims, inboxes)
    close_it(app, clock, w, second)
    assert show(app, second)["status"] == "completed"
    texts = sms_texts(sms, m)
    assert len(texts) == 5, texts  # received, rejected, received, approved, closed
    assert texts[0].startswith("【华信移动】已收到号码") and first in texts[0]
    assert "未通过" in texts[1] and "证件复印件缺失" in texts[1] and "重新申请" in texts[1]
    assert "已通过" in texts[3] and second in texts[3]
    assert "已注销" in texts[4] and f"/receipts/{second}?t=" in texts[4]
    assert sink.inbox() == []  # Huaxin sends by SMS only
    w.run_until_idle()
    assert len(sms_texts(sms, m)) == 5  # nothing again


def test_hansanet_de_gets_sms_and_mail_in_german_with_the_certificate_link(app, clock, sims, inboxes):
    sink, sms = inboxes
    line = clean_line(app, "hansanet", balance=5000, locale="de")
    m = line["msisdn"]
    sims.seed_line(app, m)
    number = apply_for(app, m)
    if show(app, number)["status"] == "pending_review":
        approve(app, number, REVIEWER)
    close_it(app, clock, worker(app, sims, inboxes), number)
    assert show(app, number)["status"] == "completed"
    mails = [x for x in sink.inbox() if x["envelope_to"] == [f"{line['ref']}@example.com"]]
    assert [x["template"] for x in mails] == ["application_received", "application_approved",
                                              "closure_confirmation"]
    assert all(x["language"] == "de" for x in mails)
    assert mails[0]["subject"].startswith("Ihr Antrag auf Kündigung")
    assert "Ihre Kündigungsbestätigung: " in mails[2]["text"] and f"/receipts/{number}?t=" in mails[2]["text"]
    texts = sms_texts(sms, m)
    assert len(texts) == 3 and "eingegangen" in texts[0] and "genehmigt" in texts[1] and "gekündigt" in texts[2]


def test_needs_attention_tells_what_happens_now_once(app, clock, sims, inboxes):
    sink, sms = inboxes
    line = clean_line(app, "liuliang", balance=5000, locale="en")
    m = line["msisdn"]
    sims.seed_line(app, m)
    number = apply_for(app, m)
    if show(app, number)["status"] == "pending_review":
        approve(app, number, REVIEWER)
    dead_hss = PyHssProvisioner(f"http://127.0.0.1:{free_port()}", "k", timeout=0.5)
    w = worker(app, sims, inboxes, network=dead_hss)
    for _ in range(4):
        close_it(app, clock, w, number)
        clock.set(clock.now() + timedelta(minutes=5))
    assert show(app, number)["status"] == "needs_attention"
    [attention] = [t for t in sms_texts(sms, m) if "delayed" in t]
    assert "you need not do anything" in attention and "400-100-2626" in attention
    [mail] = [x for x in sink.inbox() if x["template"] == "application_needs_attention"]
    assert mail["language"] == "en" and "What happens now" in mail["text"]


def test_rejection_in_english_names_reasons_and_what_to_do_and_a_retry_sends_once(app, clock, sims, inboxes):
    sink, sms = inboxes
    line = clean_line(app, "baohao", balance=5000, locale="en")
    m = line["msisdn"]
    number = apply_for(app, m)
    assert show(app, number)["status"] == "pending_review"
    httpx.post(f"{sms.url}/_sim/behaviour", json={"fail_status": 503, "fail_times": 1})
    reject(app, number, REVIEWER, ["SERVICES_STILL_BOUND"])
    with app.db.write() as conn:  # a crash after the commit and a second try store nothing new
        app_id = conn.execute(select(outbox.c.application_id).where(outbox.c.recipient == m)).scalars().first()
        notify(app, conn, app_id, "rejected", clock.now())
    w = worker(app, sims, inboxes)
    for _ in range(3):
        w.run_until_idle()
        clock.set(clock.now() + timedelta(minutes=1))
    texts = sms_texts(sms, m)
    assert len([t for t in texts if "not approved" in t]) == 1, texts
    [mail] = [x for x in sink.inbox() if x["template"] == "application_rejected"]
    assert "Third-party services are still bound" in mail["text"] and "What to do:" in mail["text"]
    assert "apply again at http" in mail["text"] and "call 400-600-5678" in mail["text"]
