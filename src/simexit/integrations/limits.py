"""Per-system limits on outside calls, as the operators' contracts set them (issue 16 item 2): for each outside
system a maximum of calls in flight and a maximum rate (requests per second), and a pause when the system
answers 429 or 503 with ``Retry-After``.

The systems, as the settings name them (``SIMEXIT_OUTSIDE_LIMITS``, e.g.
``{"hss": {"max_in_flight": 16, "rate_per_s": 200}, "smtp": {"max_in_flight": 4}}``): ``hss`` (PyHSS,
Open5GS or the network hook), ``smdp``, ``sms``, ``payments``, ``smtp`` and ``relying_parties``.

Every HTTP call of ``integrations/`` goes through ``http_calls.request``, which takes a ``slot`` of its
system's gate around each request; the SMTP sender and the relying-party webhooks take theirs around each
delivery. The rate counts requests (one closure makes several HSS requests), paced evenly (one request every
``1 / rate_per_s`` seconds, no burst) so that a provider's one-second window never sees more than the rate.

The limits are enforced **per process**: a gate is memory of this worker process, not a row in the database.
Several worker processes each keep the whole limit, so an operator running N workers against one contract
sets each limit to the contract's figure divided by N (``simexit worker`` logs the limits it enforces).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

SYSTEMS = ("hss", "smdp", "sms", "payments", "smtp", "relying_parties")
# The integrations' own names for the systems (``SYSTEM`` in each client) → the settings' names.
ALIASES = {"pyhss": "hss", "open5gs": "hss", "network-hook": "hss"}
# The longest pause one Retry-After may impose on this process's calls to a system (a provider asking for an
# hour is answered by the step's retry schedule, not by holding every thread).
MAX_PAUSE_S = 60.0


@dataclass(frozen=True)
class Limit:
    max_in_flight: int | None = None
    rate_per_s: float | None = None

    def __post_init__(self) -> None:
        if self.max_in_flight is not None and self.max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        if self.rate_per_s is not None and self.rate_per_s <= 0:
            raise ValueError("rate_per_s must be positive")


class Gate:
    """One system's limits in this process: a semaphore for the calls in flight, an even pace for the rate,
    and the time until which a Retry-After asked us to wait."""

    def __init__(self, limit: Limit | None = None) -> None:
        self.limit = limit or Limit()
        self._sem = threading.BoundedSemaphore(self.limit.max_in_flight) if self.limit.max_in_flight else None
        self._interval = 1.0 / self.limit.rate_per_s if self.limit.rate_per_s else 0.0
        self._lock = threading.Lock()
        self._next = 0.0  # monotonic time of the next free turn
        self._paused_until = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for a place in flight and for our turn under the rate (and any pause); hold the place while
        the call is made."""
        if self._sem is not None:
            self._sem.acquire()
        try:
            self._wait_turn()
            yield
        finally:
            if self._sem is not None:
                self._sem.release()

    def _wait_turn(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._paused_until, self._next if self._interval else 0.0)
            if self._interval:
                self._next = start + self._interval
        if start > now:
            time.sleep(start - now)

    def pause(self, seconds: float) -> None:
        """No call to this system starts for ``seconds`` (a Retry-After); the pace restarts after it."""
        seconds = min(max(seconds, 0.0), MAX_PAUSE_S)
        with self._lock:
            until = time.monotonic() + seconds
            self._paused_until = max(self._paused_until, until)
            self._next = max(self._next, until)


_GATES: dict[str, Gate] = {}
_GATES_LOCK = threading.Lock()


def system_name(system: str) -> str:
    return ALIASES.get(system, system)


def configure(limits: Mapping[str, Limit | Mapping[str, float | int | None]]) -> dict[str, Limit]:
    """Set this process's limits (systems not named have none); returns them as ``Limit``s."""
    parsed: dict[str, Limit] = {}
    for name, value in limits.items():
        if name not in SYSTEMS:
            raise ValueError(f"unknown outside system {name!r} in the limits; known: {', '.join(SYSTEMS)}")
        parsed[name] = value if isinstance(value, Limit) else Limit(
            max_in_flight=int(value["max_in_flight"]) if value.get("max_in_flight") else None,
            rate_per_s=float(value["rate_per_s"]) if value.get("rate_per_s") else None)
    with _GATES_LOCK:
        _GATES.clear()
        _GATES.update({name: Gate(limit) for name, limit in parsed.items()})
    return parsed


def gate(system: str) -> Gate:
    """The gate of ``system`` (an integration's own name or the settings' name); one without limits when none
    was configured, so that a Retry-After still pauses the calls to it."""
    name = system_name(system)
    g = _GATES.get(name)
    if g is None:
        with _GATES_LOCK:
            g = _GATES.setdefault(name, Gate())
    return g


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header's wait in seconds (delta-seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
