"""The console's and the status page's services: review queue, staff view, dashboard, status look-up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simexit.domain.consequences import required_consequences
from simexit.domain.errors import NotFound
from simexit.domain.roles import Role
from simexit.domain.state_machine import ActorType
from simexit.services.access.caller import StaffIdentity
from simexit.services.closure.applications import Actor, ApplyRequest, apply, approve
from simexit.services.closure.precheck import precheck
from simexit.services.closure.review_queue import application_for_staff, dashboard, review_queue
from simexit.services.closure.status_lookup import LOOKUPS_PER_APPLICATION, lookup_status
from tests.factories import make_line

ALL = StaffIdentity(1, "rita", "Rita", Role.REVIEWER, ("*",))
CN_ONLY = StaffIdentity(2, "li", "Li", Role.REVIEWER, ("baohao",))


def _apply(app, brand: str, **line) -> tuple[str, str]:
    ln = make_line(app, brand, balance=0, **line)
    pc = precheck(app, ln["msisdn"])
    res = apply(app, ApplyRequest(msisdn=ln["msisdn"], channel="online", identity_method="otp",
                                  consequences_confirmed=list(required_consequences(pc.quote))))
    return res.application_no, ln["msisdn"]


def test_queue_sorted_by_due_time_overdue_marked_and_scoped(app, clock):
    de_no, _ = _apply(app, "globetalk", last_sim_change_at=(clock.now() - timedelta(days=1)).isoformat())
    cn_no, _ = _apply(app, "baohao")  # 7 business days, due later than globetalk's 1 day
    items = review_queue(app, ALL)
    assert [i["application_no"] for i in items] == [de_no, cn_no]
    assert not any(i["overdue"] for i in items)
    assert "****" in items[0]["msisdn"]
    clock.advance(days=4)
    overdue = {i["application_no"]: i["overdue"] for i in review_queue(app, ALL)}
    assert overdue == {de_no: True, cn_no: False}
    assert [i["application_no"] for i in review_queue(app, CN_ONLY)] == [cn_no]
    assert review_queue(app, CN_ONLY, brand="globetalk") == []
    assert [i["application_no"] for i in review_queue(app, ALL, brand="globetalk")] == [de_no]
    assert review_queue(app, ALL, channel="store") == []
    assert review_queue(app, ALL, reason="moving_abroad") == []


def test_staff_view_masks_and_hides_other_brands(app):
    no, msisdn = _apply(app, "baohao")
    view = application_for_staff(app, ALL, no)
    assert view["msisdn"] != msisdn and view["msisdn"].endswith(msisdn[-4:])
    assert view["identity_evidence"]["method"] == "otp"
    assert view["customer"]["name"] != "测试用户"
    with pytest.raises(NotFound):
        application_for_staff(app, StaffIdentity(3, "x", "X", Role.REVIEWER, ("hansanet",)), no)


def test_dashboard_counts_per_day_and_sla_compliance(app, clock):
    no, _ = _apply(app, "baohao")
    _apply(app, "baohao")
    approve(app, no, Actor(ActorType.STAFF, "rita", "reviewer"))
    data = dashboard(app, ALL, days=7)
    today = data["days"][-1]
    assert today["day"] == clock.now().date() and today["by_state"] == {"approved": 1, "pending_review": 1}
    assert data["sla"] == [{"brand": "baohao", "decided": 1, "on_time": 1, "open": 1, "open_overdue": 0,
                            "compliance": 1.0}]


def test_status_lookup_needs_the_right_digits_and_is_rate_limited(app):
    no, msisdn = _apply(app, "baohao")
    assert lookup_status(app, no, msisdn[-4:], "10.0.0.1")["status"] == "pending_review"
    with pytest.raises(NotFound):
        lookup_status(app, no, "0000" if not msisdn.endswith("0000") else "1111", "10.0.0.1")
    with pytest.raises(NotFound):
        lookup_status(app, "SX-0000-0000-0", msisdn[-4:], "10.0.0.1")
    for _ in range(LOOKUPS_PER_APPLICATION[0] - 2):
        lookup_status(app, no, msisdn[-4:], "10.0.0.2")
    with pytest.raises(Exception) as refused:
        lookup_status(app, no, msisdn[-4:], "10.0.0.3")
    assert getattr(refused.value, "code", None) == "RATE_LIMITED"
