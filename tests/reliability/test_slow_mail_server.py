"""Issue 12 item 2, under load: two worker processes, a mail server that answers slowly and leases shorter
than a batch takes. Every confirmation e-mail must reach the mail server exactly once.

Before the fix a worker claimed its batch (up to 20) with one lease for all of it: with each e-mail taking
0.3 s and a 1 s lease, the batch outlived its lease, the other worker claimed the same messages and sent them
again (80 e-mails for 40 confirmations). Bounded in time: the workers are stopped after 45 s at most; here the
40 e-mails took about 10 s, the whole test 30 s with the workers' start on a busy machine."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes
from email.policy import default as email_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from simexit.services.execution import outbox
from simexit.simulators.mail_sink import free_port
from simexit.store.tables import outbox as outbox_table
from tests.conftest import SECRET

ROOT = Path(__file__).resolve().parents[2]
CONFIRMATIONS = 40
SMTP_DELAY = 0.3  # seconds the mail server takes to accept each message (its answer to DATA)
LEASE = 1.0
DEADLINE = 45.0
PAYLOAD = {"brand_name": "畅流量", "msisdn": "+8613900001234", "closed_at": "2026-11-23T02:00:00+00:00",
           "time_zone": "Asia/Shanghai", "currency": "CNY", "balance_minor": 123450, "fees_minor": 1000,
           "refund_minor": 122450, "refund_by": "2026-11-30", "amount_due_minor": 0, "erasure_date": "2028-11-23"}


class SlowMailServer:
    """An aiosmtpd server that keeps every message it accepted, after a pause before its answer to DATA."""

    def __init__(self, delay: float) -> None:
        self.delay, self.received, self.times = delay, [], []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.sleep(self.delay)
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=email_policy)
        self.received.append((str(msg["Message-ID"]), tuple(envelope.rcpt_tos)))
        self.times.append(time.monotonic())
        return "250 OK"


def _env(app, smtp_port: int) -> dict[str, str]:
    path = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)
    return {**os.environ, "PYTHONPATH": path, "SIMEXIT_DATABASE_URL": app.db.url, "SIMEXIT_SECRET_KEY": SECRET,
            "SIMEXIT_SMTP_HOST": "127.0.0.1", "SIMEXIT_SMTP_PORT": str(smtp_port), "SIMEXIT_SMTP_TIMEOUT_S": "5",
            "SIMEXIT_MESSAGE_SENDERS": json.dumps({"sms": "tests.recording_doubles:sms_sender"}),
            "SIMEXIT_WORKER_LEASE_SECONDS": str(LEASE), "SIMEXIT_WORKER_BATCH": "20",
            "SIMEXIT_WORKER_POLL_SECONDS": "0.05", "SIMEXIT_WORKER_SWEEP_SECONDS": "3600"}


def _pending(app) -> int:
    with app.db.read() as conn:
        return conn.execute(select(func.count()).select_from(outbox_table)
                            .where(outbox_table.c.state == "pending")).scalar_one()


@pytest.mark.postgres_only
def test_two_workers_and_a_slow_mail_server_send_every_confirmation_once(app, clock, tmp_path):
    if app.db.dialect != "postgresql":
        pytest.skip("two worker processes share the work through SKIP LOCKED on PostgreSQL")
    from datetime import UTC, datetime

    clock.set(datetime.now(UTC))  # the worker processes run on the system clock
    with app.db.write() as conn:
        for i in range(CONFIRMATIONS):
            number = f"SX-LOAD-{i:04d}"
            outbox.enqueue(conn, kind="email", recipient=f"customer{i}@example.com",
                           template="closure_confirmation", locale="zh-CN" if i % 2 else "en",
                           payload={**PAYLOAD, "application_no": number,
                                    "receipt_url": f"https://simexit.example/receipts/{number}?t=abc"},
                           idempotency_key=f"{number}:confirmation:email", now=clock.now())
    server = SlowMailServer(SMTP_DELAY)
    server.controller.start()
    env, logs = _env(app, server.port), [tmp_path / f"worker{i}.log" for i in (1, 2)]
    t0 = time.monotonic()
    workers = [subprocess.Popen([sys.executable, "-m", "simexit.cli.main", "worker"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=log.open("ab")) for log in logs]
    try:
        while time.monotonic() - t0 < DEADLINE and (_pending(app) or len(server.received) < CONFIRMATIONS):
            time.sleep(0.2)
        time.sleep(3 * LEASE)  # a late duplicate would arrive now
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            w.wait(timeout=30)
        server.controller.stop()
    elapsed = time.monotonic() - t0
    ids = Counter(mid for mid, _ in server.received)
    recipients = Counter(rcpt for _, rcpt in server.received)
    duplicates = len(server.received) - len(ids)
    print(f"\n2 workers, lease {LEASE:.0f} s, mail server {SMTP_DELAY} s per message: {CONFIRMATIONS} "
          f"confirmations, {len(server.received)} e-mails, {duplicates} duplicates; sent in "
          f"{server.times[-1] - server.times[0]:.1f} s, {elapsed:.1f} s with the workers' start and stop")
    assert _pending(app) == 0, [log.read_text(errors="replace")[-2000:] for log in logs]
    assert duplicates == 0 and set(recipients.values()) == {1}, ids.most_common(3)
    assert len(server.received) == CONFIRMATIONS
