"""The one registry of what the worker runs, built from the capabilities' ``tasks.py`` dicts (nothing registers
itself by being imported):

- ``TIMERS``: ``{timer kind: handler(app, conn, timer, now) -> later | None}``;
- ``STEPS``: ``{saga step: (external part, record part)}``, one for every step of ``domain.saga.STEPS``.

A kind claimed twice, or a saga step without actions, is an error when this module loads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from simexit.domain.saga import STEPS as SAGA_STEPS
from simexit.services.execution import tasks as execution_tasks
from simexit.services.execution.closing_steps import External, Record
from simexit.services.numbers import tasks as numbers_tasks
from simexit.services.privacy import tasks as privacy_tasks

TimerHandler = Callable[[Any, Any, Mapping[str, Any], datetime], datetime | None]
CAPABILITY_TASKS = (execution_tasks, numbers_tasks, privacy_tasks)


def _merged(name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for module in CAPABILITY_TASKS:
        for kind, handler in getattr(module, name).items():
            if kind in out:
                raise RuntimeError(f"{name} {kind!r} is listed by two capabilities")
            out[kind] = handler
    return out


TIMERS: dict[str, TimerHandler] = _merged("TIMERS")
STEPS: dict[str, tuple[External, Record]] = _merged("STEPS")
if set(STEPS) != set(SAGA_STEPS):
    raise RuntimeError(f"saga steps without actions: {sorted(set(SAGA_STEPS) - set(STEPS))}; "
                       f"actions without a step: {sorted(set(STEPS) - set(SAGA_STEPS))}")
