"""Families of lines in the rules (issue 17, domain/families.py), on facts built by hand."""

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simexit.domain.errors import InvalidInput
from simexit.domain.facts import Equipment, LineFamily, RelatedProduct, SecondaryLine, SharedDataGroup, UnpaidBill
from simexit.domain.families import FamilyChoices, check_choices, with_parts
from simexit.domain.policy import Severity
from tests.unit.test_rules import NOW, P, facts, run

MODEM = Equipment("EQ-1", "Modem", "S1", "any store", 15, 30000)
FAMILY = LineFamily(
    product_id="P-1", secondary_lines=(SecondaryLine("+8613900000002", "P-2"),),
    bundle_id="B-1", bundle_name="Home 199",
    bundle_products=(RelatedProduct("P-3", "broadband", "Broadband", early_termination_fee_minor=1500,
                                    equipment=(MODEM,)),),
    shared_data_groups=(SharedDataGroup("G-1", "Family data", ("+8613900000002",), True),),
    other_main_lines=("+8613900000003",))


def test_family_findings_say_how_to_fix_each_in_three_languages():
    q, fs = run(facts(family=FAMILY))
    by = {f.code: f for f in fs}
    assert by["SECONDARY_LINES"].severity == Severity.WARNING
    assert by["BUNDLE_PRODUCTS"].data["equipment"][0]["return_by"] == (q.effective_date + timedelta(15)).isoformat()
    assert by["SHARED_DATA_GROUP"].severity == Severity.WARNING and by["SHARED_DATA_GROUP"].data["owner"]
    for code in ("SECONDARY_LINES", "BUNDLE_PRODUCTS", "SHARED_DATA_GROUP"):
        assert set(by[code].message) == set(by[code].fix) == {"en", "zh-CN", "de"}
    assert "+8613900000003" in by["SECONDARY_LINES"].fix["en"]


def test_choices_are_required_and_checked():
    f = facts(family=FAMILY)
    with pytest.raises(InvalidInput) as e:
        check_choices(f, None)
    assert e.value.code == "FAMILY_CHOICE_REQUIRED" and e.value.data["missing"] == ["+8613900000002", "bundle"]
    with pytest.raises(InvalidInput, match="not a choice"):
        check_choices(f, FamilyChoices({"+8613900000002": "+8613999999999"}, "whole"))
    with pytest.raises(InvalidInput, match="not a choice"):
        check_choices(f, FamilyChoices({"+8613900000002": "close"}, "half"))
    assert check_choices(facts(), None) == FamilyChoices()  # no family: nothing to choose


def test_the_quote_covers_every_part():
    f = facts(family=FAMILY)
    p = P[f.brand]
    q, _ = run(f)
    whole = with_parts(q, f, p, FamilyChoices({"+8613900000002": "close"}, "whole"))
    assert [(x.part, x.action) for x in whole.parts] == [("line", "close"), ("secondary", "close"),
                                                          ("bundle_product", "close")]
    assert whole.parts_fees_minor == 1500 and whole.refund_minor == q.refund_minor - 1500
    assert whole.to_dict()["parts"][2]["equipment"][0]["non_return_fee_minor"] == 30000
    mobile = with_parts(q, f, p, FamilyChoices({"+8613900000002": "+8613900000003"}, "mobile_only"))
    assert [(x.action, x.move_to) for x in mobile.parts][1:] == [("move", "+8613900000003"), ("keep", None)]
    assert mobile.parts_fees_minor == 0 and mobile.refund_minor == q.refund_minor
    assert with_parts(q, facts(), p, None) is q  # no family: the quote as it was


@settings(deadline=None)  # a loaded shared machine, not a slow rule
@given(balance=st.integers(-20000, 20000), unpaid=st.integers(0, 9000), brand=st.sampled_from(sorted(P)))
def test_settling_again_with_no_part_fee_is_the_quote_rule(balance, unpaid, brand):
    """with_parts settles the balance again (domain/families.settle): with no fee of its own it must agree with
    compute_quote exactly, so a change to the quote's rule is caught here."""
    fam = replace(FAMILY, bundle_products=(replace(FAMILY.bundle_products[0], early_termination_fee_minor=0),))
    f = facts(brand, balance_minor=balance, family=fam,
              unpaid_bills=(UnpaidBill(1, unpaid, NOW.date()),) if unpaid else ())
    q, _ = run(f)
    again = with_parts(q, f, P[brand], FamilyChoices({"+8613900000002": "close"}, "whole"))
    assert (again.refund_fee_minor, again.refund_minor, again.refund_below_minimum_minor, again.amount_due_minor) \
        == (q.refund_fee_minor, q.refund_minor, q.refund_below_minimum_minor, q.amount_due_minor)
