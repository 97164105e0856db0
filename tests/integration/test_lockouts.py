"""Lockouts must not be a weapon (issue 12, item 5): wrong codes count per issued code, code verification is
limited per address and overall, and staff sign-in answers the same for known and unknown names and slows a
guesser down (backoff) instead of locking the owner out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from simexit.domain.errors import DomainError
from simexit.services.access import commands as access
from simexit.services.access.caller import Public, System
from simexit.store.tables import outbox
from simexit.store.tables_auth import otp_challenges
from tests.factories import make_line


def start(app, msisdn, address="10.0.0.1"):
    access.start_customer_sign_in(app, Public(address), msisdn)


def verify(app, msisdn, code, address="10.0.0.1"):
    return access.verify_customer_sign_in(app, Public(address), msisdn, code)


def refusal(fn, *args, **kw) -> tuple[str, int]:
    with pytest.raises(DomainError) as e:
        fn(*args, **kw)
    return e.value.code, e.value.status


def last_code(app, msisdn):
    with app.db.read() as c:
        return c.execute(select(outbox.c.payload).where(outbox.c.recipient == msisdn)
                         .order_by(outbox.c.id.desc())).scalars().first()["code"]


def wrong(code: str, i: int = 1) -> str:
    return f"{(int(code) + i) % 10**6:06d}"


def checked(app) -> int:
    with app.db.read() as c:
        return c.execute(select(func.coalesce(func.sum(otp_challenges.c.attempts), 0))).scalar_one()


# --- customers -------------------------------------------------------------------------------------------------

def test_wrong_codes_for_a_number_without_a_code_lock_no_one(app):
    m = make_line(app, "liuliang")["msisdn"]
    answers = [refusal(verify, app, m, f"{i:06d}", f"10.9.0.{i}") for i in range(1, 11)]
    assert answers == [("CODE_INVALID", 401)] * 10
    start(app, m)
    assert verify(app, m, last_code(app, m)).session.msisdn == m


def test_wrong_codes_use_up_the_code_not_the_customer(app):
    m = make_line(app, "liuliang")["msisdn"]
    start(app, m)
    code = last_code(app, m)
    answers = [refusal(verify, app, m, wrong(code, i), f"10.9.1.{i}") for i in range(1, 6)]
    assert answers == [("CODE_INVALID", 401)] * 4 + [("SIGN_IN_LOCKED", 429)]
    assert refusal(verify, app, m, code)[0] == "SIGN_IN_LOCKED"  # that code is used up, even when right
    start(app, m)  # no waiting: a new code at once
    assert verify(app, m, last_code(app, m)).session.msisdn == m


def test_code_verification_is_limited_per_address(app):
    numbers = [make_line(app, "liuliang")["msisdn"] for _ in range(30)]
    codes = {}
    for i, m in enumerate(numbers):
        start(app, m, f"10.8.{i}.1")
        codes[m] = last_code(app, m)
    answers = [refusal(verify, app, m, wrong(codes[m], k), "10.7.0.1") for k in range(1, 5) for m in numbers]
    assert len(answers) == 120
    assert checked(app) == access.WRONG_CODES_PER_ADDRESS[0]
    assert answers[access.WRONG_CODES_PER_ADDRESS[0]:] == [("RATE_LIMITED", 429)] * (120 - checked(app))
    m = numbers[-1]  # the owner, from their own address, is not affected
    assert verify(app, m, codes[m], "10.6.0.1").session.msisdn == m


def test_a_right_code_gives_back_its_try_of_the_address(app):
    for i in range(access.WRONG_CODES_PER_ADDRESS[0] + 5):
        m = make_line(app, "liuliang")["msisdn"]
        start(app, m, f"10.8.{i}.1")
        verify(app, m, last_code(app, m), "10.5.0.1")


def test_code_verification_has_a_global_limit(app, monkeypatch):
    monkeypatch.setattr(access, "WRONG_CODES_OVERALL", (12, timedelta(minutes=5)))
    numbers = [make_line(app, "liuliang")["msisdn"] for _ in range(5)]
    for i, m in enumerate(numbers):
        start(app, m, f"10.8.{i}.1")
    answers = [refusal(verify, app, m, "000000" if last_code(app, m) != "000000" else "111111", f"10.4.{i}.{k}")
               for k in range(3) for i, m in enumerate(numbers)]
    assert answers[:12] == [("CODE_INVALID", 401)] * 12
    assert answers[12:] == [("RATE_LIMITED", 429)] * 3
    assert checked(app) == 12


# --- staff -----------------------------------------------------------------------------------------------------

PASSWORD = "correct horse battery"


def staff_sign_in(app, username, password, address="10.1.0.1"):
    return access.sign_in_staff(app, Public(address), username, password)


def test_unknown_and_known_staff_names_get_the_same_answers(app, clock):
    access.create_staff(app, System(), "rita", PASSWORD, "reviewer", ["*"])
    seen = {}
    for k, name in enumerate(("rita", "nobody")):
        seen[name] = []
        for _ in range(14):
            seen[name].append(refusal(staff_sign_in, app, name, "wrong password!!", f"10.1.{k}.1"))
            clock.advance(seconds=1)
    assert seen["rita"] == seen["nobody"]
    assert ("SIGN_IN_FAILED", 401) in seen["rita"] and ("SIGN_IN_LOCKED", 429) in seen["rita"]


def test_staff_failures_from_elsewhere_slow_the_guesser_without_locking_the_owner_out(app, clock):
    access.create_staff(app, System(), "sam", PASSWORD, "store_clerk", ["*"])
    answers = []
    for i in range(20):  # a guesser from many addresses
        try:
            staff_sign_in(app, "sam", f"guess number {i:04d}", f"192.0.2.{i % 4}")
        except DomainError as e:
            answers.append(e.code)
        clock.advance(seconds=2)
    assert "SIGN_IN_LOCKED" in answers  # slowed down: some tries were refused unchecked
    wait = timedelta(seconds=0)
    try:
        staff_sign_in(app, "sam", PASSWORD, "10.2.0.1")
    except DomainError as e:
        assert e.code == "SIGN_IN_LOCKED" and e.status == 429
        wait = timedelta(seconds=e.data["retry_after"])
    assert wait <= access.STAFF_BACKOFF_PER_NAME.cap  # at most a minute, never 15
    clock.advance(seconds=wait.total_seconds())
    assert staff_sign_in(app, "sam", PASSWORD, "10.2.0.1").identity.username == "sam"


def test_the_guessers_own_address_backs_off_longer(app, clock):
    access.create_staff(app, System(), "sam", PASSWORD, "store_clerk", ["*"])
    waits = []
    for i in range(12):
        try:
            staff_sign_in(app, "sam", f"guess number {i:04d}", "192.0.2.9")
        except DomainError as e:
            if e.code == "SIGN_IN_LOCKED":
                waits.append(e.data["retry_after"])
                clock.advance(seconds=e.data["retry_after"])
    assert waits and waits == sorted(waits) and waits[-1] > waits[0]  # doubling


def test_an_unknown_name_does_not_hash_a_password(app, monkeypatch):
    calls = []
    real = PasswordHasher.hash
    monkeypatch.setattr(PasswordHasher, "hash", lambda self, *a, **kw: calls.append(1) or real(self, *a, **kw))
    for i in range(5):
        refusal(staff_sign_in, app, f"nobody{i}", "whatever whatever", f"10.3.0.{i}")
    assert len(calls) <= 1  # the dummy hash is computed once per process
