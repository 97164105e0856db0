"""What the worker runs for the closing saga (listed in worker/registry.py, never registered by import):

- ``STEPS``: the saga steps of this capability, each an external part and a record part (closing_steps.py);
- ``TIMERS``: ``closure_due`` — the effective date has ended: the closing saga starts.

A timer handler runs in the transaction that marks its timer done; it returns None when done, or a later
time to leave the timer pending until then.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from simexit.services.context import Simexit
from simexit.services.execution.closing_steps import STEP_ACTIONS
from simexit.services.execution.scheduling import start_saga
from simexit.store import closing_repo

if TYPE_CHECKING:
    from simexit.store.database import Connection


def closure_due(app: Simexit, conn: Connection, timer: Mapping[str, Any], now: datetime) -> datetime | None:
    application_id = int(timer["subject"])
    row = closing_repo.status_and_number(conn, application_id)
    if row.status == "approved":
        start_saga(conn, application_id, row.application_no, now)
    return None  # withdrawn meanwhile: nothing to start


STEPS = dict(STEP_ACTIONS)
TIMERS = {"closure_due": closure_due}
