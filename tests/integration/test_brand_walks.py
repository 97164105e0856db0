"""For every demo brand: blockers with the severity its jurisdiction gives → fixed → clean pre-check and
exact quote → apply → the same number again → review → withdraw only where the table allows."""

from datetime import timedelta

import pytest

from simexit.domain.errors import PrecheckBlocked, TransitionRefused
from simexit.domain.state_machine import ActorType
from simexit.services.closure import line_changes
from simexit.services.closure.applications import Actor, ApplyRequest, apply, approve, reject, show, withdraw
from simexit.services.closure.precheck import precheck
from tests.factories import make_line

BRANDS = ["roamly", "globetalk", "baohao", "liuliang", "hansanet", "huaxin"]
REVIEWER = Actor(ActorType.STAFF, "rita", "reviewer", "online")
CUSTOMER = Actor(ActorType.CUSTOMER, "customer", None, "online")


def request_for(app, msisdn: str, pc, **kw) -> ApplyRequest:
    policy = pc.policy
    channel = policy.brand.channels[0]
    staff = channel in ("hotline", "chat", "store", "mail")
    method = {"hotline": "service_password", "store": "id_document_inspected", "mail": "id_copy_mailed",
              "chat": "service_password"}.get(channel, "otp")
    refund = next((m for m in policy.refund.methods if m not in ("bank_transfer", "alipay", "wechat_pay")), None)
    return ApplyRequest(msisdn=msisdn, channel=channel, identity_method=method, staff_ref="sam" if staff else None,
                        staff_role="store_clerk" if staff else None,
                        consequences_confirmed=list(pc.to_dict()["consequences"]),
                        refund_method=refund if pc.quote.refund_minor else None, **kw)


@pytest.mark.parametrize("brand", BRANDS)
def test_walk(app, clock, brand):
    policy = app.policy(brand)
    line = make_line(app, brand, balance=4321, unpaid=[1999], services=["WeChat"], devices=1,
                     esim_state="Installed", contract_start=(clock.now().date() - timedelta(days=100)).isoformat(),
                     contract_end=(clock.now().date() + timedelta(days=265)).isoformat(),
                     early_termination_fee_minor=5000)
    msisdn = line["msisdn"]
    pc = precheck(app, msisdn)
    sev = {f.code: f.severity.value for f in pc.findings}
    checks = policy.checks
    assert sev["ARREARS"] == checks.ARREARS.value
    assert sev["SERVICES_BOUND"] == checks.SERVICES_BOUND.value
    assert sev["DEVICES_BOUND"] == checks.DEVICES_BOUND.value
    assert sev["CONTRACT_ACTIVE"] == checks.CONTRACT_ACTIVE.value
    assert sev["ESIM_INSTALLED"] == checks.ESIM_INSTALLED.value
    expect_blocked = any(s == "blocker" for s in sev.values())
    assert pc.eligible is not expect_blocked
    if expect_blocked:
        with pytest.raises(PrecheckBlocked) as e:
            apply(app, request_for(app, msisdn, pc))
        assert {f["code"] for f in e.value.data["findings"]} == {c for c, s in sev.items() if s == "blocker"}

    # fix everything the customer can fix
    assert line_changes.pay_bills(app, msisdn) == 1999
    assert line_changes.unbind_service(app, msisdn) == 1
    assert line_changes.unbind_device(app, msisdn) == 1
    line_changes.end_contract(app, msisdn)
    pc = precheck(app, msisdn)
    assert pc.eligible, [f.code for f in pc.findings]
    assert {f.code for f in pc.findings} <= {"ESIM_INSTALLED", "BALANCE_REFUNDABLE", "CANCELLATION_FEE"}
    q = pc.quote
    fee = policy.fees.cancellation_fee_minor
    assert q.currency == policy.brand.currency
    assert (q.outstanding_minor, q.early_termination_fee_minor, q.cancellation_fee_minor) == (0, 0, fee)
    assert q.refund_minor == 4321 - fee - min(policy.refund.fee_minor, 4321 - fee)
    assert q.erasure_date == q.effective_date + timedelta(days=policy.retention.erase_after_days)
    assert q.number_release_date == q.effective_date + timedelta(days=policy.numbers.quarantine_days)

    first = apply(app, request_for(app, msisdn, pc, reason_code="no_longer_needed"))
    again = apply(app, request_for(app, msisdn, pc))
    assert again.application_no == first.application_no and again.replayed and not first.replayed
    auto = policy.review.auto_approve_clean and request_for(app, msisdn, pc).identity_method in \
        policy.review.auto_approve_identity_methods
    assert first.status == ("approved" if auto else "pending_review")

    view = show(app, first.application_no)
    assert view["brand"] == brand and view["quote"]["refund_minor"] == q.refund_minor
    assert [e["event"] for e in view["timeline"]][:2] == ["submitted", "queued_for_review"]

    if not auto:
        if brand == "huaxin":
            view = reject(app, first.application_no, REVIEWER, ["DOCUMENTS_INCOMPLETE"])
            assert view["status"] == "rejected"
            assert view["rejection_reasons"][0]["message"]["zh-CN"]
            with pytest.raises(TransitionRefused):
                withdraw(app, first.application_no, CUSTOMER)
            # the customer may apply again after a rejection
            assert apply(app, request_for(app, msisdn, pc)).application_no != first.application_no
            return
        view = approve(app, first.application_no, REVIEWER, "checked")
        assert view["status"] == "approved" and view["decided_by"] == "rita"
    view = withdraw(app, first.application_no, CUSTOMER, "changed my mind")
    assert view["status"] == "withdrawn"
    assert view["timeline"][-1]["event"] == "withdrawn"
    with pytest.raises(TransitionRefused):
        withdraw(app, first.application_no, CUSTOMER)
