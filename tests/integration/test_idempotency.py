"""Idempotency-Key: a key is reserved before its request runs, so the same request never runs twice."""

import threading
import time
from datetime import timedelta

import pytest

from simexit.api import idempotency as api_idempotency
from simexit.domain.errors import Conflict
from simexit.services.access import idempotency

BODY = {"msisdn": "+8613900000001"}


def _run(app, action, key="k-1", body=BODY):
    return api_idempotency.run(app, principal="s:1", key=key, route="POST /x", body=body, action=action)


def test_the_answer_is_replayed_and_another_body_under_the_key_is_refused(app):
    calls = []
    assert _run(app, lambda: calls.append(1) or (201, {"n": 1})) == (201, {"n": 1}, False)
    assert _run(app, lambda: calls.append(1) or (201, {"n": 2})) == (201, {"n": 1}, True)
    with pytest.raises(Conflict) as e:
        _run(app, lambda: (201, {}), body={"msisdn": "+8613900000002"})
    assert e.value.code == "IDEMPOTENCY_KEY_REUSED" and calls == [1]


def test_a_second_request_while_the_first_runs_is_refused_not_run(app):
    def first():
        with pytest.raises(Conflict) as e:
            _run(app, lambda: (201, {"inner": True}))
        assert e.value.code == "IDEMPOTENCY_KEY_IN_PROGRESS"
        return 201, {"outer": True}

    assert _run(app, first) == (201, {"outer": True}, False)
    assert _run(app, lambda: (201, {"again": True})) == (201, {"outer": True}, True)


def test_refusals_and_failures_are_not_stored_so_a_retry_runs_again(app):
    assert _run(app, lambda: (409, {"code": "X"})) == (409, {"code": "X"}, False)

    def boom():
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        _run(app, boom)
    assert _run(app, lambda: (201, {"ok": True})) == (201, {"ok": True}, False)


def test_a_reservation_left_by_a_dead_process_is_taken_over(app, clock):
    assert idempotency.reserve(app, "s:1", "k-1", "d") is None  # then the process died
    with pytest.raises(Conflict):
        idempotency.reserve(app, "s:1", "k-1", "d")
    clock.advance(seconds=idempotency.IN_PROGRESS_FOR.total_seconds() + 1)
    assert idempotency.reserve(app, "s:1", "k-1", "d") is None


def test_simultaneous_requests_with_one_key_run_the_action_once(app):
    runs, answers, errors = [], [], []
    start = threading.Barrier(6)

    def action():
        runs.append(1)
        time.sleep(0.3)
        return 201, {"receipt": "R-1"}

    def client():
        start.wait()
        try:
            answers.append(_run(app, action))
        except Conflict as exc:
            errors.append(exc.code)

    threads = [threading.Thread(target=client) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(runs) == 1
    assert len(answers) + len(errors) == 6
    assert set(errors) <= {"IDEMPOTENCY_KEY_IN_PROGRESS"}
    assert all(a[1] == {"receipt": "R-1"} for a in answers)


def test_an_expired_answer_is_not_replayed(app, clock):
    assert _run(app, lambda: (201, {"n": 1}))[2] is False
    clock.advance(seconds=(idempotency.TTL + timedelta(seconds=1)).total_seconds())
    assert _run(app, lambda: (201, {"n": 2})) == (201, {"n": 2}, False)
