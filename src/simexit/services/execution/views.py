"""What the doors receive from the execution capability (frozen; ``to_dict`` gives the documented fields)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RetryView:
    """An application a supervisor put back to work: its failed step runs again."""

    application_no: str
    status: str
    step: str
    last_error: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FailedStepView:
    """The closing step that stopped an application in needs_attention, as staff read it: the outside system's
    error with long numbers masked (as in the timeline), and whether the outside state is uncertain (then a
    supervisor may confirm it, ``commands.confirm_outside_state``)."""

    step: str
    attempts: int
    system: str | None
    code: str | None
    error: str | None
    uncertain: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StepView:
    """One closing step of an application, with its state and last error."""

    step: str
    state: str
    attempts: int
    last_error: str | None
    finished_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PayoutRow:
    """One refund in finance's payout file (the destination masked)."""

    application_no: str
    amount_minor: int
    currency: str
    method: str
    destination: str
    reference: str
    date: str
    state: str
    payment_ref: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
