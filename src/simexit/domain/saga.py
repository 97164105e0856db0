"""The closing saga: its steps in order, when it starts, and how failed work is retried. Pure rules, no I/O.

Each step is recorded on its own (``saga_steps``); the next one is created when the previous one is done,
in the same transaction. Every external call carries the step's idempotency key, drawn when the step is created
(``<application no>:<16 random characters>``, ``domain.outside_keys``) and the same on every try.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The closing steps, in order (issue #5 / JURISDICTIONS.md: bar, deregister, delete on the network).
STEPS: tuple[str, ...] = (
    "start",               # approved → executing; the line is closing
    "network_bar",         # stop calls, SMS and data
    "network_deregister",  # detach the line from the core network
    "esim_release",        # cancel the profile at the SM-DP+ (eSIM lines), or wait for the device's delete
    "network_delete",      # delete the subscriber, IMS and AuC records
    "family_parts",        # a family closure's other parts, one by one at the BSS (issue 17); partial if one fails
    "final_bill",          # the final bill on the effective date, settled from the balance
    "refund",              # pay the remaining balance out, minus fees; the ledger ends at zero
    "account_close",       # the line is closed; the account too when it was its last line
    "confirmation",        # SMS and e-mail to the customer (outbox)
    "relying_parties",     # permanent-disconnect notices
    "finish",              # schedule erasure and the number's quarantine; executing → completed
)

# A profile in one of these SM-DP+ states is on a device: ES2+ cannot cancel it, and its ICCID stays out of
# reuse until the device's delete notification arrives.
ON_DEVICE_STATES = frozenset({"Downloaded", "Installed", "Enabled", "Disabled"})
DELETE_PENDING = "DeletePending"


def next_step(step: str) -> str | None:
    i = STEPS.index(step)
    return STEPS[i + 1] if i + 1 < len(STEPS) else None


def idempotency_key(application_no: str, step: str, part: str | None = None) -> str:
    """``SX-XXXX-XXXX-C:network_bar``: a key that names a record within simexit (an outbox message of the
    application); what goes outside is an ``outside_key``."""
    return f"{application_no}:{step}" + (f":{part}" if part else "")


def backoff(attempts: int, base_seconds: float, max_seconds: float) -> timedelta:
    """Delay before attempt ``attempts + 1``: base, 2×base, 4×base, … capped."""
    return timedelta(seconds=min(max_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def execution_starts_at(effective: str, effective_date: date, time_zone: str, now: datetime) -> datetime:
    """When the closure may run: now for immediate effect, else when the effective day ends (brand time)."""
    tz = ZoneInfo(time_zone)
    if effective == "immediate" and effective_date <= now.astimezone(tz).date():
        return now
    end = datetime.combine(effective_date + timedelta(days=1), time(0), tzinfo=tz)
    return max(now, end)


def local_midnight(day: date, time_zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(time_zone))
