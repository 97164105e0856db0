import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simexit.domain.errors import InvalidInput, TransitionRefused
from simexit.domain.state_machine import (
    OPEN,
    TERMINAL,
    TRANSITIONS,
    Action,
    ActorType,
    Status,
    check_rejection_reasons,
    transition,
)

NOW = datetime(2026, 11, 23, tzinfo=UTC)
steps = st.lists(st.tuples(st.sampled_from(list(Action)), st.sampled_from(list(ActorType))), max_size=30)


@given(steps)
def test_random_walks_only_follow_the_table(walk):
    status = Status.SUBMITTED
    for action, actor in walk:
        entry = TRANSITIONS.get((status, action))
        if entry is None or actor not in entry[1]:
            with pytest.raises(TransitionRefused):
                transition(status, action, actor_type=actor, at=NOW)
            continue
        t = transition(status, action, actor_type=actor, at=NOW)
        assert t.from_status == status and t.to_status == entry[0]
        status = t.to_status
    # nothing ever leaves a terminal state
    if status in TERMINAL:
        for action, actor in itertools.product(Action, ActorType):
            with pytest.raises(TransitionRefused):
                transition(status, action, actor_type=actor, at=NOW)


def test_every_status_is_reachable_and_every_open_one_can_end():
    reachable = {Status.SUBMITTED}
    for _ in range(10):
        reachable |= {to for (s, _a), (to, _) in TRANSITIONS.items() if s in reachable}
    assert reachable == set(Status)
    for s in OPEN:
        assert any(k[0] == s for k in TRANSITIONS)


def test_withdraw_only_before_execution():
    for s in Status:
        allowed = (s, Action.WITHDRAW) in TRANSITIONS
        assert allowed == (s in {Status.SUBMITTED, Status.PENDING_REVIEW, Status.APPROVED})


def test_customer_cannot_approve():
    with pytest.raises(TransitionRefused) as e:
        transition(Status.PENDING_REVIEW, Action.APPROVE, actor_type=ActorType.CUSTOMER, at=NOW)
    assert e.value.code == "ACTOR_NOT_ALLOWED"


def test_refusal_names_the_allowed_actions():
    with pytest.raises(TransitionRefused) as e:
        transition(Status.COMPLETED, Action.WITHDRAW, actor_type=ActorType.CUSTOMER, at=NOW)
    assert e.value.code == "TRANSITION_NOT_ALLOWED"
    assert e.value.data["allowed"] == []


def test_rejection_needs_known_reasons_and_a_note_for_other():
    with pytest.raises(InvalidInput) as e:
        check_rejection_reasons([], None)
    assert e.value.code == "REJECTION_REASON_REQUIRED"
    with pytest.raises(InvalidInput) as e:
        check_rejection_reasons(["NOPE"], None)
    assert e.value.code == "REJECTION_REASON_UNKNOWN"
    with pytest.raises(InvalidInput) as e:
        check_rejection_reasons(["OTHER"], "  ")
    assert e.value.code == "REJECTION_NOTE_REQUIRED"
    assert check_rejection_reasons(["ARREARS_UNPAID", "ARREARS_UNPAID"], None) == ["ARREARS_UNPAID"]


def test_naive_time_is_refused():
    with pytest.raises(InvalidInput):
        transition(Status.SUBMITTED, Action.WITHDRAW, actor_type=ActorType.CUSTOMER, at=datetime(2026, 1, 1))
