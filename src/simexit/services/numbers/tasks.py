"""What the worker runs for numbers after their closure (listed in worker/registry.py):

- ``STEPS``: ``relying_parties`` — the saga step that tells the subscribed relying parties of the permanent
  disconnect (signed webhooks with the step's idempotency key as event id);
- ``TIMERS``: ``quarantine_end`` — the number becomes available again, once relying parties were told.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from simexit.services.context import Simexit
from simexit.services.execution.closing_steps import StepRun, noted
from simexit.store import closing_repo
from simexit.store.work_queue import step_state

if TYPE_CHECKING:
    from simexit.store.database import Connection

RECHECK = timedelta(days=1)


def notify_relying_parties(run: StepRun) -> dict[str, Any]:
    run.integrations.disconnect_notifier().notify(run.case.msisdn, run.case.effective_date, run.key)
    return {"notified": True}


def quarantine_end(app: Simexit, conn: Connection, timer: Mapping[str, Any], now: datetime) -> datetime | None:
    if step_state(conn, int(timer["subject"]), "relying_parties") != "done":
        return now + RECHECK
    closing_repo.release_number(conn, (timer["data"] or {})["msisdn"], now)
    return None


STEPS = {"relying_parties": (notify_relying_parties, noted)}
TIMERS = {"quarantine_end": quarantine_end}
