import pytest
from hypothesis import given
from hypothesis import strategies as st

from simexit.domain.errors import InvalidInput
from simexit.domain.money import Money, non_negative, prorate

amounts = st.integers(min_value=-10**15, max_value=10**15)


@given(amounts, amounts, amounts)
def test_addition_is_exact_and_associative(a, b, c):
    x, y, z = Money(a, "CNY"), Money(b, "CNY"), Money(c, "CNY")
    assert ((x + y) + z).minor == (x + (y + z)).minor == a + b + c
    assert (x - y + y) == x


@given(amounts)
def test_format_round_trips_the_integer(a):
    text = Money(a, "EUR").format()
    sign = -1 if "-" in text else 1
    whole, frac = text.split(" ")[1].lstrip("-").split(".")
    assert sign * (int(whole) * 100 + int(frac)) == a


def test_currencies_never_mix():
    with pytest.raises(InvalidInput) as e:
        Money(1, "CNY") + Money(1, "EUR")
    assert e.value.code == "CURRENCY_MISMATCH"


def test_floats_and_unknown_currencies_are_refused():
    with pytest.raises(InvalidInput) as e:
        Money(1.5, "CNY")  # type: ignore[arg-type]
    assert e.value.code == "AMOUNT_NOT_INTEGER"
    with pytest.raises(InvalidInput) as e:
        Money(1, "XXX")
    assert e.value.code == "CURRENCY_UNKNOWN"


def test_negative_amounts_are_refused_where_they_make_no_sense():
    with pytest.raises(InvalidInput) as e:
        non_negative(-1, "fee")
    assert e.value.code == "AMOUNT_NEGATIVE"


@given(st.integers(0, 10**9), st.integers(-100, 2000), st.integers(1, 1000))
def test_prorate_stays_within_bounds_and_rounds_half_up(amount, part, whole):
    r = prorate(amount, part, whole)
    assert 0 <= r <= amount
    p = max(0, min(part, whole))
    assert abs(r * whole - amount * p) * 2 <= whole  # off by at most half a minor unit


def test_jpy_has_no_minor_digits():
    assert Money(1234, "JPY").format() == "JPY 1234"
    assert Money(-5, "CNY").format() == "CNY -0.05"
