"""The rules of a number's afterlife and the money and dates the issue left open (pure, no database)."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime

from simexit.domain.business_days import CalendarNotPublished
from simexit.domain.eligibility import evaluate
from simexit.domain.money import prorate_rounded
from simexit.domain.number_afterlife import (
    permanent_disconnect_date,
    quarantine_end,
    rnd_report_month,
    state_after_closure,
    state_after_quarantine,
)
from simexit.domain.quote import compute_quote
from simexit.services.numbers.rnd_report import RECORD, rnd_report_file
from tests.unit.test_rules import NOW, P, facts


def test_one_disconnect_date_is_the_effective_date_or_a_later_decision_day():
    eff = date(2026, 11, 2)
    assert permanent_disconnect_date(eff, datetime(2026, 11, 1, 12, tzinfo=UTC), "America/New_York") == eff
    late = datetime(2026, 11, 26, 3, tzinfo=UTC)  # 22:00 on the 25th in New York
    assert permanent_disconnect_date(eff, late, "America/New_York") == date(2026, 11, 25)
    assert permanent_disconnect_date(eff, late, "Asia/Shanghai") == date(2026, 11, 26)


def test_quarantine_states_and_never():
    assert quarantine_end(date(2026, 11, 25), 45) == date(2027, 1, 9)
    assert quarantine_end(date(2026, 11, 25), -1) is None
    assert (state_after_closure(None), state_after_quarantine(None)) == ("quarantined", "available")
    assert (state_after_closure("Telekom"), state_after_quarantine("Telekom")) == ("returning", "returned")


def test_rnd_month_runs_from_the_11th_through_the_10th():
    assert rnd_report_month(date(2026, 12, 10)) is None
    assert rnd_report_month(date(2026, 12, 15)) == (date(2026, 11, 11), date(2026, 12, 10))
    assert rnd_report_month(date(2027, 1, 11)) == (date(2026, 12, 11), date(2027, 1, 10))


def test_rnd_report_file_format():
    text = rnd_report_file([("+12025551001", date(2026, 12, 1)), ("+8613900000001", date(2026, 12, 1)),
                            ("+12025551000", date(2026, 11, 20))])
    lines = text.split("\n")
    assert lines == ["2025551000,20261120", "2025551001,20261201", ""]  # NANP only, date then number, LF
    assert all(RECORD.match(x) for x in lines[:-1])
    assert rnd_report_file([]) == ""
    assert not RECORD.match("12025551000,2026-11-20") and re.fullmatch(r"\d{8}", "20261120")


def test_proration_basis_and_rounding_are_policy_settings_shown_on_the_quote():
    assert [prorate_rounded(1000, 1, 3, r) for r in ("half_up", "down", "up")] == [333, 333, 334]
    assert prorate_rounded(1000, 2, 3, "half_up") == 667 and prorate_rounded(1000, 2, 3, "down") == 666
    base = P["globetalk"]
    for basis, rounding, expected in (("days", "half_up", None), ("months", "down", None)):
        p = base.model_copy(update={"fees": base.fees.model_copy(update={
            "early_termination": "prorated", "prorate_basis": basis, "prorate_rounding": rounding})})
        f = facts("globetalk", msisdn="+4915100000001", contract_start=date(2026, 1, 15),
                  contract_end=date(2027, 1, 15), early_termination_fee_minor=12000)
        q = compute_quote(f, p, NOW, p.calendar())
        assert q.early_termination_basis == f"prorated:{basis}:{rounding}"
        assert q.to_dict()["early_termination_basis"] == q.early_termination_basis
        if basis == "months":  # 12 months; from 2026-11-23 two months begun remain
            assert q.early_termination_fee_minor == 2000
        del expected


def test_a_negative_prepaid_balance_is_arrears_in_cn_by_default():
    q_cn = compute_quote(facts(balance_minor=-300), P["liuliang"], NOW, P["liuliang"].calendar())
    fs = evaluate(facts(balance_minor=-300), P["liuliang"], q_cn, NOW)
    arrears = [x for x in fs if x.code == "ARREARS"]
    assert arrears and arrears[0].severity.value == "blocker" and arrears[0].data["negative_balance_minor"] == 300
    de = facts("globetalk", msisdn="+4915100000001", balance_minor=-300)
    q = compute_quote(de, P["globetalk"], NOW, P["globetalk"].calendar())
    assert "ARREARS" not in {x.code for x in evaluate(de, P["globetalk"], q, NOW)}
    on = P["globetalk"].model_copy(update={"checks": P["globetalk"].checks.model_copy(
        update={"negative_balance_is_arrears": True})})
    assert "ARREARS" in {x.code for x in evaluate(de, on, q, NOW)}


def test_an_unpublished_calendar_year_is_a_warning_in_the_precheck():
    late = datetime(2026, 12, 28, 2, tzinfo=UTC)
    p = P["liuliang"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarNotPublished)
        q = compute_quote(facts(), p, late, p.calendar())
        fs = evaluate(facts(), p, q, late)
    found = [x for x in fs if x.code == "CALENDAR_NOT_PUBLISHED"]
    if 2027 in q.calendar_estimated_years:  # until `holidays` publishes China's 2027 调休
        assert found and found[0].severity.value == "warning" and found[0].data["years"] == [2027]
        assert set(found[0].message) == {"en", "zh-CN", "de"}
        assert q.to_dict()["calendar_estimated_years"] == [2027]
    else:
        assert not found
    assert compute_quote(facts(), p, NOW, p.calendar()).calendar_estimated_years == ()
