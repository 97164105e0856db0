"""Timer handlers, by kind. A handler runs in the transaction that marks its timer done; it returns None when
done, or a later time to leave the timer pending until then.

- ``closure_due``: the effective date has ended: the closing saga starts.
- ``erasure_due``: calls the erasure handler registered with ``register_erasure_handler`` (another module
  implements erasure); without one the timer stays pending and is looked at again a day later.
- ``quarantine_end``: the number becomes available again, once relying parties were told of the disconnect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection, RowMapping, select

from simexit.services.context import Simexit
from simexit.services.execution.scheduling import start_saga
from simexit.services.privacy.export import BUILD_TIMER, handle_export_build
from simexit.store import closing_repo
from simexit.store.tables import applications
from simexit.store.tables_worker import saga_steps

TimerHandler = Callable[[Simexit, Connection, RowMapping, datetime], datetime | None]
TIMER_HANDLERS: dict[str, TimerHandler] = {BUILD_TIMER: handle_export_build}  # export_build: services/export.py
_ERASURE: list[TimerHandler] = []
RECHECK = timedelta(days=1)


def timer_handler(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    def deco(fn: TimerHandler) -> TimerHandler:
        TIMER_HANDLERS[kind] = fn
        return fn
    return deco


def register_erasure_handler(fn: TimerHandler | None) -> None:
    """The erasure module registers its handler here (None unregisters)."""
    _ERASURE.clear()
    if fn is not None:
        _ERASURE.append(fn)


@timer_handler("closure_due")
def _closure_due(app: Simexit, conn: Connection, timer: RowMapping, now: datetime) -> datetime | None:
    row = conn.execute(select(applications.c.status, applications.c.application_no)
                       .where(applications.c.id == int(timer["subject"]))).one()
    if row.status == "approved":
        start_saga(conn, int(timer["subject"]), row.application_no, now)
    return None  # withdrawn meanwhile: nothing to start


@timer_handler("erasure_due")
def _erasure_due(app: Simexit, conn: Connection, timer: RowMapping, now: datetime) -> datetime | None:
    if not _ERASURE:
        return now + RECHECK
    return _ERASURE[0](app, conn, timer, now)


@timer_handler("quarantine_end")
def _quarantine_end(app: Simexit, conn: Connection, timer: RowMapping, now: datetime) -> datetime | None:
    told = conn.execute(select(saga_steps.c.state).where(saga_steps.c.application_id == int(timer["subject"]),
                                                         saga_steps.c.step == "relying_parties")).scalar()
    if told != "done":
        return now + RECHECK
    closing_repo.release_number(conn, (timer["data"] or {})["msisdn"], now)
    return None
