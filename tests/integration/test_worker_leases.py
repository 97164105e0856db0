"""Issue 12 item 2: a worker's claimed batch must not outlive its lease. A worker claims no more than it can
finish within a lease, renews the leases while it works through the batch, checks the lease right before each
outside call, and sends the same message with the same key on every try. (The load test with two worker
processes and a slow mail server is tests/reliability/test_slow_mail_server.py.)"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from simexit.config import Settings
from simexit.integrations.errors import IntegrationError
from simexit.integrations.messaging.base import OutgoingMessage
from simexit.integrations.messaging.smtp import message_id
from simexit.integrations.wiring import Integrations
from simexit.services.execution import outbox

LEASE = 60.0


class SlowSender:
    """An e-mail sender whose every send takes ``seconds`` on the test's clock; ``during`` runs once, in the
    middle of the ``at``-th send (another worker at work while this one waits for the mail server)."""

    kind = "email"

    def __init__(self, clock, seconds: float, delivered: list[str], *, at: int = 0,
                 during: Callable[[], object] | None = None, fail_first: bool = False) -> None:
        self.clock, self.seconds, self.delivered = clock, seconds, delivered
        self.at, self.during, self.fail_first = at, during, fail_first
        self.calls: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> str:
        self.calls.append(message)
        self.clock.advance(seconds=self.seconds)
        if self.fail_first and len(self.calls) == 1:
            raise IntegrationError("smtp", "SMTP_TIMEOUT", "no answer", retryable=True)
        if self.during is not None and len(self.calls) == self.at:
            during, self.during = self.during, None
            during()
        self.delivered.append(message.recipient)
        return message_id(message.idempotency_key, "simexit.localhost")


def _integrations(sender: SlowSender) -> Integrations:
    return Integrations(network=None, smdp=None, senders={"email": sender})  # type: ignore[arg-type]


def _enqueue(app, clock, n: int) -> None:
    with app.db.write() as conn:
        for i in range(n):
            outbox.enqueue(conn, kind="email", recipient=f"c{i}@example.com", template="closure_confirmation",
                           payload={}, idempotency_key=f"SX-TEST-{i}:confirmation:email", now=clock.now())


def _worker(app, sender: SlowSender, worker_id: str, **options):
    from simexit.worker.runner import Worker, WorkerOptions

    return Worker(app, _integrations(sender), WorkerOptions(lease_seconds=LEASE, **options), worker_id=worker_id)


def test_a_second_worker_never_resends_what_the_first_is_still_sending(app, clock):
    """Each send takes 0.6 of a lease; during the first worker's second send a second worker looks for work.
    Before the fix the first worker's batch of 6 had one lease for all of them: it ran out at 60 s, the second
    worker claimed and sent messages 2 to 6, and the first sent them again (11 e-mails for 6 messages)."""
    delivered: list[str] = []
    b = _worker(app, SlowSender(clock, 0, delivered), "B")
    a = _worker(app, SlowSender(clock, 0.6 * LEASE, delivered, at=2, during=b.run_outbox), "A")
    _enqueue(app, clock, 6)
    a.run_outbox()
    for w in (a, b):
        w.run_until_idle()
    counts = Counter(delivered)
    assert len(counts) == 6 and set(counts.values()) == {1}, counts


def test_a_claim_takes_no_more_than_fits_in_one_lease(app, clock):
    """20 messages, a 60 s lease and a 10 s SMTP timeout: 6 fit one after the other, not the batch of 20."""
    from simexit.worker.runner import Worker, WorkerOptions

    delivered: list[str] = []
    options = WorkerOptions.from_settings(Settings(worker_lease_seconds=60, worker_batch=20, smtp_timeout_s=10,
                                                    worker_concurrency=1))
    _enqueue(app, clock, 20)
    w = Worker(app, _integrations(SlowSender(clock, 0, delivered)), options, worker_id="A")
    assert w.run_outbox() == 6
    w.run_until_idle()
    assert len(delivered) == 20


def test_the_same_message_carries_the_same_key_and_message_id_on_every_try(app, clock):
    delivered: list[str] = []
    sender = SlowSender(clock, 1, delivered, fail_first=True)
    w = _worker(app, sender, "A", backoff_seconds=1)
    _enqueue(app, clock, 1)
    w.run_until_idle()
    clock.advance(seconds=5)
    w.run_until_idle()
    assert delivered == ["c0@example.com"] and len(sender.calls) == 2
    first, second = sender.calls
    assert first.idempotency_key == second.idempotency_key
    assert message_id(first.idempotency_key, "x.example") == message_id(second.idempotency_key, "x.example")
