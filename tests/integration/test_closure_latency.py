"""From the customer's confirmation (apply) to `completed` with the confirmation e-mail sent, for a clean
prepaid eSIM line of an auto-approving, immediate-effect brand, with the simulators and a worker thread
(the clock is kept at the current time). Goal: under 60 seconds."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import select

from simexit.services.closure.applications import show
from simexit.store.tables import outbox
from simexit.worker.runner import Worker, WorkerOptions
from tests.simulated_world import apply_for, clean_line, start_world, stop_world


def test_confirmation_to_completed_under_a_minute(app, clock):
    clock.set(datetime.now(UTC))
    world = start_world()
    worker = Worker(app, world.integrations(), WorkerOptions(poll_seconds=0.2))
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    try:
        line = clean_line(app, "globetalk", kind="esim", payment="prepaid", balance=1500)
        world.seed_line(app, line["msisdn"])
        thread.start()
        t0 = time.monotonic()
        number = apply_for(app, line["msisdn"])
        while time.monotonic() - t0 < 60:
            clock.set(datetime.now(UTC))
            with app.db.read() as conn:
                mail = conn.execute(select(outbox.c.state).where(outbox.c.kind == "email",
                                                                 outbox.c.template == "closure_confirmation")).scalar()
            if show(app, number)["status"] == "completed" and mail == "sent":
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - t0
        print(f"\nconfirmation → completed with the e-mail sent: {elapsed:.2f}s")
        assert show(app, number)["status"] == "completed" and elapsed < 60
    finally:
        worker.stop_event.set()
        thread.join(timeout=10)
        stop_world(world)
