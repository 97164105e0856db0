"""What the worker runs for numbers after their closure (listed in worker/registry.py):

- ``STEPS``: ``relying_parties`` — the saga step that gives each subscribed relying party its own durable
  notice of the permanent disconnect (one ``webhook`` outbox message per party, with its own idempotency key,
  retried on its own by the outbox worker);
- ``TIMERS``: ``quarantine_end`` — at the end of the quarantine the number becomes available again, or a
  ported-in number is returned to its range holder (a notice through the number-return hook), never
  reissued here. The reissue waits for the quarantine end, not for the notices (each is already durable).
  ``rnd_report`` — the FCC RND monthly report (services/numbers/rnd_report.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from simexit.domain.number_afterlife import state_after_quarantine
from simexit.domain.saga import idempotency_key
from simexit.integrations.relying_parties.notices import DISCONNECT_TEMPLATE, RETURN_TEMPLATE
from simexit.services.context import Simexit
from simexit.services.execution import outbox
from simexit.services.execution.closing_steps import StepRun, nothing
from simexit.services.numbers import rnd_report
from simexit.store import closing_repo, numbers_repo
from simexit.store.work_queue import add_timer

if TYPE_CHECKING:
    from simexit.store.database import Connection


def _notices(conn: Connection, run: StepRun, data: dict[str, Any]) -> dict[str, Any]:
    case = run.case
    held = numbers_repo.disconnected_on(conn, case.line_id)
    day = (held if held is not None else case.effective_date).isoformat()
    sent = {}
    for party in numbers_repo.relying_parties_list(conn):
        sent[party["name"]] = outbox.enqueue(
            conn, kind="webhook", recipient=party["name"], template=DISCONNECT_TEMPLATE,
            payload={"msisdn": case.msisdn, "disconnected_on": day}, application_id=case.application_id,
            idempotency_key=idempotency_key(case.application_no, "relying_parties", party["name"]), now=run.now)
    if run.app.policy(case.brand).brand.jurisdiction == "US":  # the FCC RND monthly report runs from now on
        add_timer(conn, kind="rnd_report", subject="monthly", due_at=rnd_report.next_run(run.app, run.now),
                  now=run.now)
    return {"notices": sent, "disconnected_on": day}


def quarantine_end(app: Simexit, conn: Connection, timer: Mapping[str, Any], now: datetime) -> datetime | None:
    data = timer["data"] or {}
    msisdn = data["msisdn"]
    number = numbers_repo.number_row(conn, msisdn)
    range_holder = number["ported_in_from"] if number is not None else None
    line_id = data.get("line_id")
    if range_holder:
        held = numbers_repo.disconnected_on(conn, line_id) if line_id else None
        day: date = held if held is not None else now.date()
        outbox.enqueue(conn, kind="webhook", recipient=range_holder, template=RETURN_TEMPLATE,
                       payload={"msisdn": msisdn, "disconnected_on": day.isoformat(), "range_holder": range_holder},
                       idempotency_key=f"number_return:{msisdn}:{day.isoformat()}", now=now)
    else:
        closing_repo.release_number(conn, msisdn, now)
    if line_id:
        numbers_repo.set_holding_state(conn, line_id, state_after_quarantine(range_holder), now)
    return None


STEPS = {"relying_parties": (nothing, _notices)}
TIMERS = {"quarantine_end": quarantine_end, "rnd_report": rnd_report.timer}
