import random

from hypothesis import given
from hypothesis import strategies as st

from simexit.domain.application_number import ALPHABET, new_application_number, normalize_application_number


def test_shape_and_round_trip():
    n = new_application_number()
    assert len(n) == 14 and n.startswith("SX-")
    assert normalize_application_number(n) == n
    assert normalize_application_number(n.lower().replace("-", " ")) == n


@given(st.integers(0, 2**32))
def test_every_single_character_error_is_caught(seed):
    n = new_application_number(random.Random(seed))
    chars = list(n.replace("-", "")[2:])
    pos = seed % len(chars)
    chars[pos] = ALPHABET[(ALPHABET.index(chars[pos]) + 1 + seed % 31) % 32]
    assert normalize_application_number("SX" + "".join(chars)) is None


def test_numbers_are_not_sequential():
    numbers = {new_application_number() for _ in range(2000)}
    assert len(numbers) == 2000


def test_look_alikes_are_forgiven():
    n = new_application_number(random.Random(7))
    typed = n.replace("0", "O").replace("1", "I")
    assert normalize_application_number(typed) == n


def test_garbage_is_not_a_number():
    assert normalize_application_number("") is None
    assert normalize_application_number("SX-UUUU-UUUU-U") is None
