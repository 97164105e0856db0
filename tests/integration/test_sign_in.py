from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from simexit.domain.errors import DomainError
from simexit.domain.roles import Permission
from simexit.services.access import commands as access
from simexit.services.access import queries as access_queries
from simexit.services.access.caller import Public, System
from simexit.store.tables import outbox
from simexit.store.tables_auth import otp_challenges
from tests.factories import make_line


def start(app, msisdn, address="10.0.0.1"):
    return access.start_customer_sign_in(app, Public(address), msisdn)


def verify(app, msisdn, code, address="10.0.0.1"):
    signed = access.verify_customer_sign_in(app, Public(address), msisdn, code)
    return signed.token, signed.session


def staff_sign_in(app, username, password, totp=None, address="10.1.0.1"):
    signed = access.sign_in_staff(app, Public(address), username, password, totp)
    return signed.token, signed.identity


def create_staff(app, *args, **kw):
    return access.create_staff(app, System(), *args, **kw).totp_secret


def sent_codes(app):
    with app.db.read() as c:
        return [(r.recipient, r.payload["code"]) for r in c.execute(select(outbox).order_by(outbox.c.id))]


def test_code_signs_in_and_is_single_use(app, clock):
    m = make_line(app, "liuliang")["msisdn"]
    start(app, m, "10.0.0.1")
    (recipient, code), = sent_codes(app)
    assert recipient == m and len(code) == 6
    with app.db.read() as c:
        stored = c.execute(select(otp_challenges)).mappings().one()
    assert code not in str(dict(stored)) and m not in str(dict(stored))
    token, session = verify(app, m, code)
    assert access_queries.customer_session(app, token).customer_id == session.customer_id
    with pytest.raises(DomainError) as e:
        verify(app, m, code)
    assert e.value.code == "CODE_INVALID"
    clock.advance(hours=13)
    assert access_queries.customer_session(app, token) is None


def test_code_expires_after_five_minutes(app, clock):
    m = make_line(app, "liuliang")["msisdn"]
    start(app, m, "10.0.0.1")
    code = sent_codes(app)[0][1]
    clock.advance(minutes=5, seconds=1)
    with pytest.raises(DomainError) as e:
        verify(app, m, code)
    assert e.value.code == "CODE_INVALID"


def test_five_wrong_codes_use_up_the_code(app, clock):
    m = make_line(app, "liuliang")["msisdn"]
    start(app, m, "10.0.0.1")
    code = sent_codes(app)[0][1]
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        with pytest.raises(DomainError) as e:
            verify(app, m, wrong)
        assert e.value.code == "CODE_INVALID"
    with pytest.raises(DomainError) as e:
        verify(app, m, wrong)
    assert e.value.code == "SIGN_IN_LOCKED" and e.value.status == 429
    with pytest.raises(DomainError) as e:  # that code is used up, even the right answer
        verify(app, m, code)
    assert e.value.code == "SIGN_IN_LOCKED"
    start(app, m, "10.0.0.1")  # a new code at once
    token, _ = verify(app, m, sent_codes(app)[-1][1])
    assert token


def test_unknown_numbers_get_the_same_answers_and_no_sms(app):
    known = make_line(app, "liuliang")["msisdn"]
    unknown = "+8613912345678"
    assert start(app, unknown, "10.0.0.2") == start(app, known, "10.0.0.2")
    assert [r for r, _ in sent_codes(app)] == [known]
    errors = []
    for number in (known, unknown):
        with pytest.raises(DomainError) as e:
            verify(app, number, "000000" if sent_codes(app)[0][1] != "000000" else "111111")
        errors.append((e.value.code, e.value.status, e.value.message))
    assert errors[0] == errors[1]


def test_send_rate_limits_per_number_and_per_address(app):
    m = make_line(app, "liuliang")["msisdn"]
    for _ in range(5):
        start(app, m, "10.0.0.3")
    with pytest.raises(DomainError) as e:
        start(app, m, "10.0.0.3")
    assert e.value.code == "RATE_LIMITED"
    for i in range(25):
        start(app, f"+86139123{i:05d}", "10.0.0.4")
    for i in range(25, 30):
        start(app, f"+86139123{i:05d}", "10.0.0.4")
    with pytest.raises(DomainError) as e:
        start(app, "+8613912399999", "10.0.0.4")
    assert e.value.code == "RATE_LIMITED"


def test_second_factor_is_the_id_tail(app, clock):
    line = make_line(app, "liuliang")
    m = line["msisdn"]
    start(app, m, "10.0.0.1")
    token, session = verify(app, m, sent_codes(app)[0][1])
    assert not session.second_factor_valid(clock.now())
    with pytest.raises(DomainError) as e:
        access.confirm_second_factor(app, session, "000000")
    assert e.value.code == "SECOND_FACTOR_INVALID"
    s2 = access.confirm_second_factor(app, session, line["id_number"][-6:].lower())
    assert s2.second_factor_valid(clock.now())
    clock.advance(minutes=11)
    assert not access_queries.customer_session(app, token).second_factor_valid(clock.now())


def test_staff_sign_in_roles_totp_and_lockout(app, clock):
    secret = create_staff(app, "Rita", "correct horse battery", "reviewer", ["baohao"], totp=True)
    create_staff(app, "sam", "another long password", "store_clerk", ["*"])
    with pytest.raises(DomainError) as e:
        create_staff(app, "rita", "whatever whatever", "admin", ["*"])
    assert e.value.code == "USERNAME_TAKEN"
    with pytest.raises(DomainError) as e:
        create_staff(app, "x", "short", "admin", ["*"])
    assert e.value.code == "PASSWORD_TOO_SHORT"
    with pytest.raises(DomainError) as e:
        staff_sign_in(app, "rita", "correct horse battery", None)  # TOTP missing
    code = pyotp.TOTP(secret).at(clock.now())
    token, who = staff_sign_in(app, "RITA", "correct horse battery", code)
    assert who.can(Permission.REVIEW) and not who.can(Permission.APPLY_ON_BEHALF)
    assert who.sees_brand("baohao") and not who.sees_brand("huaxin")
    assert access_queries.staff_session(app, token).username == "rita"
    sam_token, sam = staff_sign_in(app, "sam", "another long password")
    assert sam.sees_brand("huaxin") and not sam.can(Permission.REVIEW)
    for _ in range(5):
        with pytest.raises(DomainError):
            staff_sign_in(app, "sam", "wrong password!!")
    # No lockout: five failures slow a guesser down (tests/integration/test_lockouts.py), the owner gets in.
    assert staff_sign_in(app, "sam", "another long password")[1].username == "sam"
    access.sign_out_staff(app, access_queries.staff_session(app, sam_token))
    assert access_queries.staff_session(app, sam_token) is None
    with pytest.raises(DomainError) as e:
        staff_sign_in(app, "nobody", "whatever whatever")
    assert e.value.code == "SIGN_IN_FAILED"
    clock.advance(hours=11)
    assert access_queries.staff_session(app, token) is None
    assert timedelta(hours=10) == access.STAFF_SESSION_TTL


def test_sign_ins_are_audited(app):
    from sqlalchemy import select as sel

    from simexit.store.tables_audit import audit_log
    m = make_line(app, "liuliang")["msisdn"]
    start(app, m, "10.0.0.1")
    verify(app, m, sent_codes(app)[0][1])
    create_staff(app, "rita", "correct horse battery", "reviewer", ["*"])
    with pytest.raises(DomainError):
        staff_sign_in(app, "rita", "wrong wrong wrong")
    staff_sign_in(app, "rita", "correct horse battery")
    with app.db.read() as c:
        actions = [(r.action, r.actor) for r in c.execute(sel(audit_log).order_by(audit_log.c.id))]
    assert actions[-3:] == [("auth.sign_in", actions[-3][1]), ("auth.sign_in_failed", "staff:rita"),
                            ("auth.sign_in", "staff:rita")]
    assert actions[-3][1].startswith("customer:") and m not in str(actions)
