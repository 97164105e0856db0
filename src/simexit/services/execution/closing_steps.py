"""What each closing step does. A step has an optional external part (a call to an outside system, made
outside any transaction, with the step's idempotency key) and a record part that runs in the transaction
that marks the step done — so a database effect happens exactly once and an external one is only repeated
with the same key, which the outside system recognises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from simexit.domain.erasure_schedule import line_stage
from simexit.domain.number_afterlife import (
    AfterlifeDates,
    afterlife_dates,
    local_day,
    permanent_disconnect_date,
    quarantine_end,
    state_after_closure,
)
from simexit.domain.policy import brand_display_name
from simexit.domain.saga import DELETE_PENDING, ON_DEVICE_STATES, idempotency_key, local_midnight
from simexit.domain.state_machine import Action, ActorType, Status, transition
from simexit.integrations.errors import IntegrationError
from simexit.integrations.network.base import Subscriber
from simexit.integrations.payments.base import RefundOrder
from simexit.integrations.wiring import Integrations
from simexit.services.context import Simexit
from simexit.services.execution import outbox
from simexit.services.execution.decision_messages import recipients
from simexit.services.execution.receipts import receipt_url
from simexit.services.execution.refunds import record_refund
from simexit.store import applications_repo, numbers_repo
from simexit.store import closing_repo as repo
from simexit.store.closing_repo import ClosingCase
from simexit.store.work_queue import add_timers, timer_values

if TYPE_CHECKING:
    from simexit.store.database import Connection

CONFIRMATION_TEMPLATE = "closure_confirmation"
# ES2+ refusals for the profile's state (8.2.1/3.3 already downloaded, 8.2.1/3.5 invalid transition).
STATE_REFUSALS = frozenset({"PROFILE_ALREADY_DOWNLOADED", "PROFILE_CANNOT_BE_RELEASED"})
# The one refusal a supervisor's confirmation turns into done: the profile is past the transition (Unavailable).
# 8.2.1/3.3 says it is on a device, which no confirmation makes Unavailable.
CONFIRMABLE_REFUSAL = "PROFILE_CANNOT_BE_RELEASED"
# A retried call refused for the state an earlier, unanswered try may have set: only a person can tell.
ESIM_STATE_UNCERTAIN = "ESIM_STATE_UNCERTAIN"
UNCERTAIN_CODES = frozenset({ESIM_STATE_UNCERTAIN})


@dataclass
class StepRun:
    app: Simexit
    integrations: Integrations
    case: ClosingCase
    step: str
    now: datetime
    key: str  # the step's outside idempotency key, stored with the step (the same on every try)
    attempt: int = 1  # 1 for the first try of this step
    # an earlier try was cut off (its worker died or lost the lease): its outside call may have been made
    interrupted: bool = False
    # a supervisor checked the outside system and confirmed the state this step sets (commands.confirm_outside_state)
    confirmed: dict[str, Any] | None = None

    @property
    def retried(self) -> bool:
        """An earlier try of this step may have reached the outside system."""
        return self.attempt > 1 or self.interrupted

    @property
    def subscriber(self) -> Subscriber:
        return Subscriber(self.case.msisdn, self.case.imsi, self.case.iccid)


External = Callable[[StepRun], dict[str, Any]]
Record = Callable[["Connection", StepRun, dict[str, Any]], dict[str, Any]]


def nothing(run: StepRun) -> dict[str, Any]:
    """An external part that calls no one."""
    return {}


def noted(conn: Connection, run: StepRun, data: dict[str, Any]) -> dict[str, Any]:
    """A record part that keeps what the external part answered as the step's result."""
    return data


def _deregister_record(conn: Connection, run: StepRun, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("service_stops") == "at_next_authentication":
        # Open5GS enforces neither the bar nor the delete on the network: the timeline says when service ends.
        applications_repo.append_event(conn, run.case.application_id, event="network_service_until_next_auth",
                                       at=run.now, actor_type="system", actor_id="simexit-worker",
                                       actor_role="system", data={"network": data.get("network")})
    return data


# -- start ---------------------------------------------------------------------------------------------------
def _start(conn: Connection, run: StepRun, data: dict[str, Any]) -> dict[str, Any]:
    if run.case.status == Status.APPROVED:
        t = transition(Status.APPROVED, Action.START_EXECUTION, actor_type=ActorType.SYSTEM, at=run.now,
                       actor_id="simexit-worker", actor_role="system")
        applications_repo.apply_transition(conn, run.case.application_id, t, event="execution_started")
    repo.set_line_status(conn, run.case.line_id, "closing")
    return {}


# -- network -------------------------------------------------------------------------------------------------
def _bar(run: StepRun) -> dict[str, Any]:
    run.integrations.network.bar(run.subscriber, run.key)
    return {"network": run.integrations.network.name}


def _deregister(run: StepRun) -> dict[str, Any]:
    done = run.integrations.network.deregister(run.subscriber, run.key)  # what was sent (PyHSS: the CLR)
    return {"network": run.integrations.network.name, **(done or {})}


def _delete(run: StepRun) -> dict[str, Any]:
    run.integrations.network.delete(run.subscriber, run.key)
    return {"network": run.integrations.network.name}


# -- eSIM ----------------------------------------------------------------------------------------------------
def _profiles(case: ClosingCase) -> list[tuple[str, str | None, str | None]]:
    if case.profiles:
        return list(case.profiles)
    return [(case.iccid, None, None)] if case.kind == "esim" else []


def _cancels(case: ClosingCase) -> bool:
    """Whether the eSIM step has a profile to cancel at the SM-DP+ (otherwise it calls no one)."""
    return any(state not in ON_DEVICE_STATES and state not in (DELETE_PENDING, "Unavailable")
               for _, _, state in _profiles(case))


def _esim(run: StepRun) -> dict[str, Any]:
    done: dict[str, str] = {}
    for iccid, eid, state in _profiles(run.case):
        if state in ON_DEVICE_STATES or state == DELETE_PENDING:
            # ES2+ cannot take a profile back from a device: the ICCID stays out of reuse until the device's
            # delete notification arrives (services.execution.record_profile_deleted).
            done[iccid] = DELETE_PENDING
        elif state == "Unavailable":
            done[iccid] = "Unavailable"
        else:
            try:
                run.integrations.smdp.cancel_order(iccid, "Unavailable", f"{run.key}:{iccid}", eid=eid)
            except IntegrationError as exc:
                if run.confirmed:
                    if exc.code != CONFIRMABLE_REFUSAL:
                        raise
                elif exc.code not in STATE_REFUSALS or not run.retried:
                    raise
                else:
                    # No SM-DP+ replays the first answer to a repeated call: a retry after a lost answer is
                    # refused for the state the first call may have set. Staff must look at the SM-DP+.
                    tried = f"attempt {run.attempt}" if run.attempt > 1 else "after an interrupted try"
                    raise IntegrationError(exc.system, ESIM_STATE_UNCERTAIN, f"{tried}: {exc.code} "
                                           f"({exc.message}); the first cancelOrder may have worked - check the "
                                           "profile at the SM-DP+", retryable=False) from exc
                # the supervisor saw the profile Unavailable at the SM-DP+: the refusal is the state we wanted
            done[iccid] = "Unavailable"
    return {"profiles": done, **({"confirmed": run.confirmed} if run.confirmed else {})}


def _esim_record(conn: Connection, run: StepRun, data: dict[str, Any]) -> dict[str, Any]:
    for iccid, state in data.get("profiles", {}).items():
        repo.set_profile_state(conn, iccid, state, run.now)
    return data


# -- a family's other parts (issue 17) ------------------------------------------------------------------------
def _family_parts(run: StepRun) -> dict[str, Any]:
    """Each other part of the quote (a secondary line closed or moved, a bundle product closed), one order each
    at the BSS with its own key. A refused part is recorded as failed and the others still run (``partial``);
    a BSS that cannot answer now makes the step try again later (the done parts answer the same)."""
    todo = _family_todo(run.case)
    if not todo:
        return {}
    orders = run.integrations.family_orders()
    done: list[dict[str, Any]] = []
    for i, p in enumerate(todo):
        action = "delete" if p["action"] == "close" else "modify"
        try:
            answer = orders.order(f"{run.key}:{i}", action, p["product_id"], p.get("move_to"))
            done.append({**_part(p), "outcome": "done", **answer})
        except IntegrationError as exc:
            if exc.retryable:
                raise
            done.append({**_part(p), "outcome": "failed", "error": exc.code, "reason": exc.message})
    return {"parts": done, "outcome": "partial" if any(d["outcome"] == "failed" for d in done) else "done"}


def _family_todo(case: ClosingCase) -> list[dict[str, Any]]:
    return [p for p in case.quote.get("parts") or () if p["part"] != "line" and p["action"] in ("close", "move")]


def _part(p: dict[str, Any]) -> dict[str, Any]:
    return {k: p.get(k) for k in ("part", "action", "name", "product_id", "msisdn", "move_to")}


def _family_parts_record(conn: Connection, run: StepRun, data: dict[str, Any]) -> dict[str, Any]:
    for d in data.get("parts", ()):
        event = {"done": "part_moved" if d["action"] == "move" else "part_closed"}.get(d["outcome"], "part_failed")
        applications_repo.append_event(conn, run.case.application_id, event=event, at=run.now,
                                       actor_type="system", actor_id="simexit-worker", actor_role="system",
                                       data=d)
    if data.get("outcome") == "partial":
        failed = [d["name"] for d in data["parts"] if d["outcome"] == "failed"]
        applications_repo.append_event(conn, run.case.application_id, event="execution_partial", at=run.now,
                                       actor_type="system", actor_id="simexit-worker", actor_role="system",
                                       data={"failed": failed})
    return data


# -- money ---------------------------------------------------------------------------------------------------
def _final_bill(conn: Connection, run: StepRun, data: dict[str, Any]) -> dict[str, Any]:
    q, case = run.case.quote, run.case
    amount = int(q.get("early_termination_fee_minor", 0)) + int(q.get("cancellation_fee_minor", 0)) \
        + int(q.get("parts_fees_minor") or 0)  # a family closure's other parts (issue 17)
    bill_id = repo.add_final_bill(conn, case, amount, run.now)
    paid = []
    unpaid = repo.unpaid_bills(conn, case.account_id)
    balance = repo.ledger_sum(conn, case.account_id) if unpaid else 0  # read only when a bill is to be paid
    for b in unpaid:
        if b.amount_minor <= balance:
            repo.add_ledger_entry(conn, case.account_id, -b.amount_minor, case.currency, "bill_payment",
                                  f"bill:{b.id}", run.now)
            repo.mark_bill_paid(conn, b.id, run.now)
            balance -= b.amount_minor
            paid.append(b.id)
    return {"bill_id": bill_id, "amount_minor": amount, "bills_paid": paid}


def _refund_plan(run: StepRun) -> dict[str, Any]:
    case, policy = run.case, run.app.policy(run.case.brand)
    if case.other_open_lines:
        return {"skipped": "other lines stay open on the account"}
    remaining = case.balance_minor
    if remaining <= 0:
        return {"remaining_minor": remaining}
    fee = min(policy.refund.fee_minor, remaining)
    payable = remaining - fee
    return {"remaining_minor": remaining, "fee_minor": fee, "payable_minor": payable,
            "pay": payable > 0 and payable >= policy.refund.minimum_minor}


def _refund(run: StepRun) -> dict[str, Any]:
    plan = _refund_plan(run)
    if plan.get("pay"):
        order = RefundOrder(run.case.application_no, plan["payable_minor"], run.case.currency,
                            run.case.refund_method or "original_payment", run.case.refund_destination, run.key)
        plan["reference"] = run.integrations.refund_gateway().pay(order)
    return plan


def _refund_record(conn: Connection, run: StepRun, data: dict[str, Any]) -> dict[str, Any]:
    case = run.case
    if "skipped" in data:
        return data
    remaining = data["remaining_minor"]
    if remaining < 0:
        # What is still owed leaves the balance ledger for collections (reported, never silently dropped).
        repo.add_ledger_entry(conn, case.account_id, -remaining, case.currency, "arrears_transfer",
                              f"{case.application_no}:arrears", run.now)
        return {**data, "arrears_minor": -remaining}
    if remaining == 0:
        return data
    if data["fee_minor"]:
        repo.add_ledger_entry(conn, case.account_id, -data["fee_minor"], case.currency, "fee",
                              f"{case.application_no}:refund_fee", run.now)
    if data["payable_minor"]:
        kind, ref = ("refund", str(data["reference"])) if data["pay"] else \
            ("adjustment", f"{case.application_no}:below_payout_minimum")
        repo.add_ledger_entry(conn, case.account_id, -data["payable_minor"], case.currency, kind, ref, run.now)
        if data["pay"]:
            # The payout file for finance reads this record (one per application), written with the ledger.
            record_refund(conn, application_id=case.application_id, application_no=case.application_no,
                          amount_minor=data["payable_minor"], currency=case.currency,
                          method=case.refund_method or "original_payment", destination=case.refund_destination,
                          reference=run.key, now=run.now, paid=str(data["reference"]))
    return data


# -- closing the line and the account ------------------------------------------------------------------------
def _account_close(conn: Connection, run: StepRun, data: dict[str, Any]) -> dict[str, Any]:
    repo.set_line_status(conn, run.case.line_id, "closed", run.now)
    dates = record_disconnect(conn, run)
    out = {"disconnected_on": dates.disconnected_on.isoformat()}
    if run.case.other_open_lines == 0:
        repo.close_account(conn, run.case.account_id, run.now)
        return {"account_closed": True, **out}
    return {"account_closed": False, **out}


def afterlife(run: StepRun, disconnected_on: Any) -> AfterlifeDates:
    policy = run.app.policy(run.case.brand)
    return afterlife_dates(disconnected_on, policy.numbers.quarantine_days, policy.retention.erase_after_days)


def record_disconnect(conn: Connection, run: StepRun) -> AfterlifeDates:
    """Fix the number's one permanent-disconnect date (domain/number_afterlife.py) and record the holding that
    ended; every later date counts from it. When it is not the quoted effective date (a decision after that
    date) the timeline says so, with the dates that moved."""
    case, policy = run.case, run.app.policy(run.case.brand)
    tz = policy.brand.time_zone
    held = numbers_repo.disconnected_on(conn, case.line_id)
    if held is not None:
        return afterlife(run, held)
    day = permanent_disconnect_date(case.effective_date, case.decided_at, tz)
    dates = afterlife(run, day)
    numbers_repo.add_holding(conn, dict(
        msisdn=case.msisdn, brand_id=case.line_brand_id, line_id=case.line_id,
        held_from=local_day(case.activated_at, tz) if case.activated_at else None, disconnected_on=day,
        reason="closure", ported_in_from=case.ported_in_from, state=state_after_closure(case.ported_in_from),
        quarantine_until=quarantine_end(day, policy.numbers.quarantine_days), recorded_at=run.now,
        updated_at=run.now))
    if day != case.effective_date:
        q = case.quote
        applications_repo.append_event(
            conn, case.application_id, event="disconnect_date_moved", at=run.now, actor_type="system",
            actor_id="simexit-worker", actor_role="system",
            data={"reason": "decided_after_effective_date", "quoted_effective_date": case.effective_date.isoformat(),
                  **dates.to_dict(), "quoted_erasure_date": q.get("erasure_date"),
                  "quoted_number_release_date": q.get("number_release_date")})
    return dates


def _dates(conn: Connection, run: StepRun) -> AfterlifeDates:
    held = numbers_repo.disconnected_on(conn, run.case.line_id)
    return record_disconnect(conn, run) if held is None else afterlife(run, held)


def _confirmation(conn: Connection, run: StepRun, data: dict[str, Any]) -> dict[str, Any]:
    case, q = run.case, run.case.quote
    policy = run.app.policy(case.brand)
    fees = sum(int(q.get(k) or 0) for k in ("cancellation_fee_minor", "early_termination_fee_minor",
                                             "refund_fee_minor"))
    brand_name = brand_display_name(policy, case.locale)
    dates = _dates(conn, run)
    release = dates.quarantine_until.isoformat() if dates.quarantine_until else None
    payload = {"application_no": case.application_no, "msisdn": case.msisdn, "brand": case.brand,
               "brand_name": brand_name, "closed_at": run.now.isoformat(), "time_zone": policy.brand.time_zone,
               "balance_minor": int(q.get("balance_minor") or 0), "fees_minor": fees,
               "receipt_url": receipt_url(run.app, run.app.public_base_url, case.application_no),
               "effective_date": case.effective_date.isoformat(), "currency": q.get("currency"),
               "refund_minor": q.get("refund_minor"), "refund_by": q.get("refund_by"),
               "cancellation_fee_minor": q.get("cancellation_fee_minor"),
               "early_termination_fee_minor": q.get("early_termination_fee_minor"),
               "amount_due_minor": q.get("amount_due_minor"), "erasure_date": dates.erasure_on.isoformat(),
               "number_release_date": release, "disconnected_on": dates.disconnected_on.isoformat()}
    if dates.disconnected_on != case.effective_date:  # the customer is told why the dates moved
        payload["dates_moved_reason"] = "decided_after_effective_date"
    sent = {}
    # On the brand's message channels, like the decision messages (services/execution/decision_messages.py).
    targets = recipients(policy, msisdn=case.msisdn, contact_phone=case.contact_phone, email=case.email)
    for kind, recipient in targets.items():
        if recipient:
            sent[kind] = outbox.enqueue(conn, kind=kind, recipient=recipient, template=CONFIRMATION_TEMPLATE,
                                        payload=payload, locale=case.locale, application_id=case.application_id,
                                        idempotency_key=idempotency_key(case.application_no, "confirmation", kind),
                                        now=run.now)
    return {"outbox_ids": sent}


def _finish(conn: Connection, run: StepRun, data: dict[str, Any]) -> dict[str, Any]:
    case, policy = run.case, run.app.policy(run.case.brand)
    tz = policy.brand.time_zone
    # Every date counts from the one permanent-disconnect date (domain/number_afterlife.py); the erasure timer
    # follows the same rule as the erasure service and re-arms itself for record sets a law keeps longer.
    dates = _dates(conn, run)
    erasure = line_stage(policy, dates.disconnected_on).due_on
    release = dates.quarantine_until
    # the reissue gate: a returning (ported-in) number is never reissued here either
    numbers_repo.set_number_afterlife(conn, case.msisdn, "quarantined", release, run.now)
    subject = str(case.application_id)
    due = [timer_values(kind="erasure_due", subject=subject, due_at=local_midnight(erasure, tz), now=run.now,
                        data={"application_no": case.application_no})]
    if release is not None:  # quarantine_days = -1: never reissued, no end
        due.append(timer_values(kind="quarantine_end", subject=subject, due_at=local_midnight(release, tz),
                                now=run.now, data={"msisdn": case.msisdn, "line_id": case.line_id}))
    add_timers(conn, due)  # in one statement
    t = transition(Status.EXECUTING, Action.COMPLETE, actor_type=ActorType.SYSTEM, at=run.now,
                   actor_id="simexit-worker", actor_role="system")
    applications_repo.apply_transition(conn, case.application_id, t, event="completed")
    return {"disconnected_on": dates.disconnected_on.isoformat(),
            "quarantined_until": release.isoformat() if release else None, "erasure_date": erasure.isoformat()}


# The steps whose outside part reads what the steps before them changed: the refund pays out the balance the final
# bill left and looks at the account's other open lines. Each reads the closing case anew rather than the one the
# step before it handed on (services/execution/step_runner.py).
FRESH_CASE = frozenset({"refund"})


def calls_outside(external: External, case: ClosingCase) -> bool:
    """Whether a step's external part calls an outside system for this case. One that calls no one is pure: the
    step runner runs it, with its record part, in the transaction of the step before it (issue 16: a closure of a
    SIM line is 5 claimed steps instead of 12, of an eSIM line 6)."""
    if external is nothing:
        return False
    if external is _esim:
        return _cancels(case)
    if external is _family_parts:
        return bool(_family_todo(case))
    return True


# The steps of this capability (``relying_parties`` is in services/numbers/tasks.py); the worker's registry
# (worker/registry.py) puts them together and checks that every step of domain.saga.STEPS has its actions.
STEP_ACTIONS: dict[str, tuple[External, Record]] = {
    "start": (nothing, _start),
    "network_bar": (_bar, noted),
    "network_deregister": (_deregister, _deregister_record),
    "esim_release": (_esim, _esim_record),
    "network_delete": (_delete, noted),
    "family_parts": (_family_parts, _family_parts_record),
    "final_bill": (nothing, _final_bill),
    "refund": (_refund, _refund_record),
    "account_close": (nothing, _account_close),
    "confirmation": (nothing, _confirmation),
    "finish": (nothing, _finish),
}
