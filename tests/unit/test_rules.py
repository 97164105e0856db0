"""The pre-check and the quote, on facts built by hand (no database)."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simexit.config import DEMO_POLICY_DIR
from simexit.domain.consequences import check_confirmed, required_consequences
from simexit.domain.eligibility import evaluate, has_blocker, needs_person
from simexit.domain.errors import InvalidInput
from simexit.domain.facts import BoundDevice, BoundService, EsimProfile, LineFacts, OpenApplication, UnpaidBill
from simexit.domain.policy import load_policies
from simexit.domain.quote import compute_quote

P = load_policies(DEMO_POLICY_DIR)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday, 10:00 in Beijing


def facts(brand="liuliang", **kw) -> LineFacts:
    base = LineFacts(line_id=1, brand=brand, msisdn="+8613900000001", iccid="8986000000000000001", kind="data",
                     payment="prepaid", status="active", number_keeping=False, customer_id=1, account_id=1,
                     identity_verified=True, currency=P[brand].brand.currency, balance_minor=5000)
    return replace(base, **kw)


def run(f: LineFacts, requested=None):
    p = P[f.brand]
    q = compute_quote(f, p, NOW, p.calendar(), requested)
    return q, evaluate(f, p, q, NOW)


def codes(findings):
    return {x.code: x.severity.value for x in findings}


def test_clean_line_has_no_blocker_and_an_exact_quote():
    q, fs = run(facts())
    assert not has_blocker(fs)
    assert codes(fs) == {"BALANCE_REFUNDABLE": "info"}
    assert (q.refund_minor, q.amount_due_minor, q.effective_date) == (5000, 0, date(2026, 11, 23))
    assert q.review_due_at == datetime(2026, 11, 26, 15, 59, 59, tzinfo=UTC)  # 3 CN business days
    assert q.erasure_date == date(2026, 11, 23) + timedelta(days=180)
    assert q.number_release_date == date(2027, 2, 21)
    assert {k.record_set: k.until for k in q.kept_records}["real_name"] == date(2028, 11, 22)


def test_arrears_block_in_china_but_only_inform_in_germany():
    bills = (UnpaidBill(1, 5800, date(2026, 11, 1)),)
    _, cn = run(facts(unpaid_bills=bills))
    _, de = run(facts("hansanet", currency="EUR", unpaid_bills=bills))
    assert codes(cn)["ARREARS"] == "blocker"
    assert codes(de)["ARREARS"] == "warning"
    assert not has_blocker(de)


def test_arrears_are_netted_against_the_balance():
    bills = (UnpaidBill(1, 5800, date(2026, 11, 1)),)
    q, _ = run(facts("hansanet", currency="EUR", balance_minor=3000, unpaid_bills=bills))
    assert (q.refund_minor, q.amount_due_minor) == (0, 2800)


def test_contract_fee_line_fee_and_prorated():
    f = facts(contract_start=date(2026, 5, 23), contract_end=date(2027, 5, 23), early_termination_fee_minor=36500)
    q, fs = run(f)
    assert q.early_termination_fee_minor == 36500 and codes(fs)["CONTRACT_ACTIVE"] == "blocker"
    q, fs = run(replace(f, brand="hansanet", currency="EUR"))
    # 181 of 365 days remain: 36500 * 181 / 365 = 18100
    assert q.early_termination_fee_minor == 18100 and codes(fs)["CONTRACT_ACTIVE"] == "warning"


def test_services_devices_profiles_port_out_and_open_application():
    f = facts(services=(BoundService("支付宝 Alipay", None),), devices=(BoundDevice(1, "iPhone", "1234", None),),
              esim_profiles=(EsimProfile("8986", None, "Installed"),), port_out_pending=True,
              open_application=OpenApplication("SX-AAAA-AAAA-A", "pending_review"))
    _, fs = run(f)
    assert codes(fs) == {"SERVICES_BOUND": "blocker", "DEVICES_BOUND": "warning", "ESIM_INSTALLED": "info",
                         "PORT_OUT_PENDING": "blocker", "APPLICATION_OPEN": "warning", "BALANCE_REFUNDABLE": "info"}
    assert [x.severity.value for x in fs] == sorted((x.severity.value for x in fs),
                                                   key=["blocker", "warning", "info"].index)


def test_number_keeping_devices_block():
    _, fs = run(facts("baohao", devices=(BoundDevice(1, "iPhone", None, None),)))
    assert codes(fs)["DEVICES_BOUND"] == "blocker"
    assert codes(fs)["CANCELLATION_FEE"] == "info"


def test_recent_sim_change_sends_to_a_person():
    _, fs = run(facts(last_sim_change_at=NOW - timedelta(days=1)))
    assert needs_person(fs) and codes(fs)["RECENT_SIM_CHANGE"] == "warning"
    _, fs = run(facts(last_sim_change_at=NOW - timedelta(days=60)))
    assert not needs_person(fs)


def test_unverified_identity_and_closed_lines_block():
    _, fs = run(facts(identity_verified=False, status="closed"))
    assert codes(fs)["IDENTITY_UNVERIFIED"] == "blocker"
    assert codes(fs)["LINE_NOT_ACTIVE"] == "blocker"


def test_every_finding_speaks_both_languages():
    f = facts(unpaid_bills=(UnpaidBill(1, 1, date(2026, 1, 1)),), services=(BoundService("x", None),),
              devices=(BoundDevice(1, "d", None, None),), esim_profiles=(EsimProfile("1", None, "Installed"),),
              port_out_pending=True, identity_verified=False, status="suspended",
              last_sim_change_at=NOW, open_application=OpenApplication("SX-AAAA-AAAA-A", "submitted"),
              contract_end=date(2027, 1, 1), early_termination_fee_minor=100)
    _, fs = run(f)
    assert len(fs) >= 9
    for x in fs:
        assert x.message["en"] and x.message["zh-CN"]
        if x.fix:
            assert x.fix["en"] and x.fix["zh-CN"]


def test_effective_date_rules():
    q, _ = run(facts("huaxin", kind="sim", payment="postpaid"))
    assert q.effective_date == date(2026, 11, 30)  # end of the billing period
    q, _ = run(facts("hansanet", currency="EUR"), date(2026, 12, 15))
    assert q.effective_date == date(2026, 12, 15)
    with pytest.raises(InvalidInput) as e:
        run(facts("hansanet", currency="EUR"), date(2027, 3, 1))
    assert e.value.code == "EFFECTIVE_DATE_TOO_LATE"
    with pytest.raises(InvalidInput) as e:
        run(facts(), date(2026, 11, 1))
    assert e.value.code == "EFFECTIVE_DATE_TOO_EARLY"


def test_refund_minimum_and_fee():
    q, fs = run(facts("roamly", currency="USD", balance_minor=80))  # minimum payout 100
    assert (q.refund_minor, q.refund_below_minimum_minor) == (0, 80)
    assert "below the minimum" in {x.code: x for x in fs}["BALANCE_REFUNDABLE"].message["en"]


@given(balance=st.integers(-10**6, 10**7), unpaid=st.lists(st.integers(0, 10**6), max_size=4),
       etf=st.integers(0, 10**6))
def test_money_balances_exactly(balance, unpaid, etf):
    f = facts("baohao", balance_minor=balance, contract_end=date(2027, 6, 1), early_termination_fee_minor=etf,
              unpaid_bills=tuple(UnpaidBill(i, a, date(2026, 11, 1)) for i, a in enumerate(unpaid)))
    q, _ = run(f)
    charges = q.outstanding_minor + q.early_termination_fee_minor + q.cancellation_fee_minor + q.refund_fee_minor
    # what comes in (balance) = what goes out (charges + refund + forfeited) - what is still owed
    assert balance == charges + q.refund_minor + q.refund_below_minimum_minor - q.amount_due_minor
    assert min(q.refund_minor, q.amount_due_minor, q.refund_below_minimum_minor) >= 0
    assert q.refund_minor == 0 or q.amount_due_minor == 0


def test_consequences_must_all_be_confirmed():
    q, _ = run(facts("baohao"))
    req = required_consequences(q)
    assert set(req) == {"NO_REACTIVATION", "DATA_ERASURE", "REFUND", "FEES"}
    with pytest.raises(InvalidInput) as e:
        check_confirmed(q, ["NO_REACTIVATION"])
    assert e.value.data["missing"] == ["DATA_ERASURE", "FEES", "REFUND"]
    assert check_confirmed(q, list(req)) == req
