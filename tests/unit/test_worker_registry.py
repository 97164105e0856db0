"""The one registry of what the worker runs (worker/registry.py), built from the capabilities' tasks.py."""

from __future__ import annotations

from simexit.domain.saga import STEPS
from simexit.worker import registry


def test_every_saga_step_has_its_actions_and_every_timer_kind_its_handler():
    assert set(registry.STEPS) == set(STEPS)
    assert set(registry.TIMERS) == {"closure_due", "quarantine_end", "erasure_due", "export_build", "rnd_report"}


def test_the_registry_is_made_of_the_capabilities_dicts_not_of_registrations():
    from simexit.services.execution import tasks as execution
    from simexit.services.numbers import tasks as numbers
    from simexit.services.privacy import tasks as privacy
    from simexit.services.privacy.erasure import handle_erasure_due

    assert registry.TIMERS["erasure_due"] is handle_erasure_due is privacy.TIMERS["erasure_due"]
    assert registry.STEPS["relying_parties"] is numbers.STEPS["relying_parties"]
    assert registry.STEPS["refund"] is execution.STEPS["refund"]
    assert list(registry.CAPABILITY_TASKS) == [execution, numbers, privacy]
