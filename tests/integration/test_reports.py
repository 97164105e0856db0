from datetime import timedelta

import pytest

from simexit.domain.errors import Forbidden
from simexit.domain.roles import Role
from simexit.domain.state_machine import ActorType
from simexit.services.access.caller import CustomerSession, StaffIdentity, System
from simexit.services.closure.applications import Actor, approve, reject
from simexit.services.privacy.erasure import erase_due
from simexit.services.reports import build_report, to_csv
from simexit.store.closed_state_stand_in import mark_line_closed_stand_in
from tests.audit_fixtures import rich_customer


def test_reports_count_outcomes_sla_refunds_and_erasures(app, clock):
    a = rich_customer(app, "huaxin", usage=0)
    b = rich_customer(app, "huaxin", usage=0, name="李四", email="li@example.net", phone="+8613600000000")
    day = clock.now().date()
    clock.advance(hours=2)
    approve(app, a["application_no"], Actor(ActorType.STAFF, "rita", "reviewer"))
    clock.advance(days=30)  # far past the review due date
    reject(app, b["application_no"], Actor(ActorType.STAFF, "rita", "reviewer"), ["DOCUMENTS_INCOMPLETE"])

    apps = build_report(app, System(), "applications", day, day)
    assert apps.columns == ["brand", "channel", "reason", "outcome", "applications"]
    assert sorted(apps.rows) == [["huaxin", "store", "moving_abroad", "approved", 1],
                                    ["huaxin", "store", "moving_abroad", "rejected", 1]]
    sla = build_report(app, System(), "sla", day, day)
    assert sla.rows == [["huaxin", 2, 1, 1, 0, 50.0]]
    refunds = build_report(app, System(), "refunds", day, day)
    assert [r[:4] for r in refunds.rows] == [["huaxin", "CNY", "pending", 1]] and refunds.rows[0][4] > 0
    assert to_csv(refunds).splitlines()[0] == "brand,currency,state,refunds,amount_minor"

    with app.db.write() as conn:
        mark_line_closed_stand_in(conn, a["msisdn"], clock.now())
    closed = clock.now().date()
    due = build_report(app, System(), "erasures", closed, closed + timedelta(days=400))
    assert {(r[2], r[3]) for r in due.rows} == {("line_data", "due"), ("personal", "due")}
    clock.advance(days=180)
    erase_due(app)
    done = build_report(app, System(), "erasures", clock.now().date(), clock.now().date())
    states = {(r[2], r[3]): r for r in done.rows}
    assert states[("personal", "done")][4] == 1 and states[("line_data", "done")][4] == 1


def test_reports_are_for_staff_who_may_see_them_with_the_rows_of_their_brands_only(app, clock):
    a = rich_customer(app, "huaxin", usage=0)
    with app.db.write() as conn:
        mark_line_closed_stand_in(conn, a["msisdn"], clock.now())
    day = clock.now().date()
    later = day + timedelta(days=400)
    agent = StaffIdentity(1, "ann", "Ann", Role.AGENT, ("huaxin",))
    with pytest.raises(Forbidden) as e:
        build_report(app, agent, "applications", day, day)
    assert e.value.code == "ROLE_NOT_PERMITTED"
    with pytest.raises(Forbidden):
        build_report(app, CustomerSession(1, 1, a["msisdn"], clock.now(), clock.now()), "applications", day, day)
    other = StaffIdentity(2, "sue", "Sue", Role.SUPERVISOR, ("roamly",))
    assert build_report(app, other, "applications", day, day).rows == []
    # The erasures report's brand is its second column: it was shown to every brand's staff.
    assert build_report(app, other, "erasures", day, later).rows == []
    own = StaffIdentity(3, "sam", "Sam", Role.SUPERVISOR, ("huaxin",))
    assert build_report(app, own, "erasures", day, later).rows == build_report(app, System(), "erasures", day,
                                                                                later).rows != []
