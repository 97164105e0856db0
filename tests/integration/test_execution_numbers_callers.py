"""The execution and numbers use cases check their caller first (issue 11): who may retry a closure, see its
steps, read the payout file and manage disconnect subscriptions; someone else's resource is "not found"."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from simexit.domain.errors import DomainError, Forbidden, NotFound
from simexit.domain.roles import Role
from simexit.services.access.caller import Partner, Public, StaffIdentity, System
from simexit.services.execution import commands as execution_commands
from simexit.services.execution import queries as execution
from simexit.services.numbers import commands as numbers_commands
from simexit.services.numbers import queries as numbers
from simexit.store.tables_worker import saga_steps
from tests.simulated_world import apply_for, clean_line


def staff(role: Role, brands=("*",)) -> StaffIdentity:
    return StaffIdentity(id=7, username="pat", display_name="Pat", role=role, brands=tuple(brands))


def _application(app) -> str:
    return apply_for(app, clean_line(app, "liuliang")["msisdn"])


def test_staff_read_a_steps_outside_error_with_its_numbers_masked(app):
    """What an outside system said may carry a subscriber's number: staff read it masked, as in the timeline and
    on the failed-step panel; simexit's operators (the CLI) read it whole."""
    number = _application(app)
    error = "hss: NOT_FOUND: GET /subscriber/msisdn/8613900001234 → 404"
    with app.db.write() as conn:
        conn.execute(update(saga_steps).where(saga_steps.c.step == "start").values(last_error=error))
    agent = execution.steps(app, staff(Role.AGENT, ["liuliang"]), number)
    start = next(s for s in agent if s.step == "start")
    assert start.last_error == "hss: NOT_FOUND: GET /subscriber/msisdn/•••••••••1234 → 404"
    assert next(s for s in execution.steps(app, System(), number) if s.step == "start").last_error == error


def test_retry_needs_the_retry_permission_and_the_brand(app):
    number = _application(app)
    with pytest.raises(Forbidden) as e:
        execution_commands.retry(app, staff(Role.REVIEWER), number)
    assert e.value.code == "ROLE_NOT_PERMITTED"
    with pytest.raises(NotFound):
        execution_commands.retry(app, staff(Role.SUPERVISOR, ["roamly"]), number)
    with pytest.raises(Forbidden):
        execution_commands.retry(app, System(), number)
    with pytest.raises(DomainError) as e:  # the right supervisor: refused for the state, not the caller
        execution_commands.retry(app, staff(Role.SUPERVISOR, ["liuliang"]), number)
    assert not isinstance(e.value, Forbidden | NotFound)


def test_steps_and_payouts_are_scoped(app):
    number = _application(app)
    assert execution.steps(app, System(), number) == execution.steps(app, staff(Role.AGENT, ["liuliang"]), number)
    with pytest.raises(NotFound):
        execution.steps(app, staff(Role.AGENT, ["roamly"]), number)
    with pytest.raises(Forbidden):
        execution.steps(app, Public("198.51.100.1"), number)
    with pytest.raises(Forbidden):
        execution.payouts(app, staff(Role.ADMIN), date(2026, 11, 23))
    assert execution.receipt_html(app, Public("198.51.100.1"), number, "en", token="00") is None


def test_a_partner_sees_and_removes_only_its_own_subscriptions(app):
    icbc, boc = Partner(1, "icbc", ("relying_party",)), Partner(2, "boc", ("relying_party",))
    made = numbers_commands.subscribe(app, icbc, "main", "https://hooks.icbc.example/x")
    assert made.label == "main" and made.secret and made.name == "icbc/main"
    numbers_commands.subscribe(app, boc, "main", "https://hooks.boc.example/x")
    assert [v.label for v in numbers.subscriptions(app, icbc)] == ["main"]
    assert [v.url for v in numbers.subscriptions(app, boc)] == ["https://hooks.boc.example/x"]
    assert sorted(v.name for v in numbers.subscriptions(app, System())) == ["boc/main", "icbc/main"]
    with pytest.raises(NotFound):
        numbers_commands.unsubscribe(app, icbc, "other")
    with pytest.raises(Forbidden):
        numbers_commands.subscribe(app, Partner(3, "shop", ("esim",)), "x", "https://shop.example/x")
    with pytest.raises(Forbidden):
        numbers.subscriptions(app, staff(Role.ADMIN))
    with pytest.raises(Forbidden):
        numbers.was_disconnected(app, Public("198.51.100.1"), "+8613900000001", date(2026, 1, 1))
    assert numbers_commands.unsubscribe(app, icbc, "main").active is False
    assert [v.name for v in numbers.subscriptions(app, System())] == ["boc/main"]
