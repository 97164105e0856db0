import threading

import pytest
from sqlalchemy import func, select

from simexit.domain.errors import DomainError, InvalidInput, NotFound
from simexit.domain.state_machine import ActorType
from simexit.services.closure.applications import Actor, ApplyRequest, apply, approve, auto_approve_clean, show
from simexit.services.closure.precheck import precheck
from simexit.store.tables import application_events, applications
from tests.factories import make_line

ALL = ["NO_REACTIVATION", "DATA_ERASURE", "REFUND", "FEES", "AMOUNT_DUE"]


def req(msisdn, **kw):
    base = dict(msisdn=msisdn, channel="online", identity_method="otp", consequences_confirmed=ALL,
                refund_method="original_payment")
    return ApplyRequest(**{**base, **kw})


def count(app, table=applications):
    with app.db.read() as c:
        return c.execute(select(func.count()).select_from(table)).scalar_one()


def test_fifty_simultaneous_applies_yield_one_application(app):
    m = make_line(app, "liuliang")["msisdn"]
    barrier = threading.Barrier(50)
    results, errors = [], []

    def go():
        barrier.wait()
        try:
            results.append(apply(app, req(m)).application_no)
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=go) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 50 and len(set(results)) == 1
    assert count(app) == 1


def test_refusals_store_nothing(app):
    m = make_line(app, "liuliang", unpaid=[100])["msisdn"]
    events = count(app, application_events)
    for bad, code in [
        (req(m), "PRECHECK_BLOCKED"),
        (req(m, channel="store"), "CHANNEL_NOT_OFFERED"),
        (req(m, channel="fax"), "CHANNEL_UNKNOWN"),
        (req(m, identity_method="id_document_inspected"), "IDENTITY_METHOD_NOT_ALLOWED"),
        (req(m, channel="hotline", identity_method="service_password"), "STAFF_REQUIRED"),
        (req(m, reason_code="because"), "REASON_UNKNOWN"),
        (req("+86 139 1"), "MSISDN_INVALID"),
    ]:
        with pytest.raises(DomainError) as e:
            apply(app, bad)
        assert e.value.code == code
    assert count(app) == 0 and count(app, application_events) == events


def test_consequences_refund_and_identity_checks(app):
    line = make_line(app, "liuliang", balance=2500)
    m = line["msisdn"]
    with pytest.raises(InvalidInput) as e:
        apply(app, req(m, consequences_confirmed=["NO_REACTIVATION"]))
    assert e.value.code == "CONSEQUENCES_NOT_CONFIRMED"
    with pytest.raises(InvalidInput) as e:
        apply(app, req(m, refund_method=None))
    assert e.value.code == "REFUND_METHOD_REQUIRED"
    with pytest.raises(InvalidInput) as e:
        apply(app, req(m, refund_method="bank_transfer"))
    assert e.value.code == "REFUND_METHOD_NOT_OFFERED"
    with pytest.raises(InvalidInput) as e:
        apply(app, req(m, refund_method="alipay"))
    assert e.value.code == "REFUND_DESTINATION_INCOMPLETE"
    with pytest.raises(DomainError) as e:
        apply(app, req(m, identity_method="id_number", id_number="11010519491231002X"))
    assert e.value.code == "IDENTITY_MISMATCH"
    assert count(app) == 0
    r = apply(app, req(m, identity_method="id_number", id_number=line["id_number"].lower(),
                       refund_method="alipay", refund_destination={"account": "138****0000"}))
    view = show(app, r.application_no)
    assert view["identity_method"] == "id_number"
    with app.db.read() as c:
        row = c.execute(select(applications).where(applications.c.application_no == r.application_no)).mappings().one()
    assert row["identity_evidence"] == {"method": "id_number", "id_number_matched": True}
    assert line["id_number"] not in str(dict(row))


def test_recent_sim_change_goes_to_a_person_even_with_auto_approval(app, clock):
    m = make_line(app, "liuliang", last_sim_change_at=clock.now().isoformat())["msisdn"]
    r = apply(app, req(m))
    assert r.status == "pending_review"
    assert auto_approve_clean(app) == []
    view = approve(app, r.application_no, Actor(ActorType.STAFF, "rita", "reviewer"))
    assert view["status"] == "approved"


def test_auto_approval_sweep_approves_clean_pending_ones(app, policies, monkeypatch):
    m = make_line(app, "liuliang")["msisdn"]
    strict = policies["liuliang"].model_copy(update={"review": policies["liuliang"].review.model_copy(
        update={"auto_approve_clean": False})})
    monkeypatch.setitem(app.policies, "liuliang", strict)
    r = apply(app, req(m))
    assert r.status == "pending_review"
    monkeypatch.setitem(app.policies, "liuliang", policies["liuliang"])
    assert auto_approve_clean(app) == [r.application_no]
    assert show(app, r.application_no)["status"] == "approved"


def test_review_due_uses_the_brand_calendar(app):
    m = make_line(app, "baohao")["msisdn"]
    pc = precheck(app, m)
    # Monday 23 Nov 2026 + 7 CN business days = Wednesday 2 Dec, 23:59:59 Beijing
    assert pc.quote.review_due_at.isoformat() == "2026-12-02T15:59:59+00:00"


def test_lookups(app):
    with pytest.raises(NotFound) as e:
        show(app, "SX-0000-0000-0")
    assert e.value.code == "APPLICATION_NOT_FOUND"
    with pytest.raises(NotFound) as e:
        precheck(app, "+8613900009999")
    assert e.value.code == "LINE_NOT_FOUND"
