import pytest
from hypothesis import given
from hypothesis import strategies as st

from simexit.domain.errors import InvalidInput
from simexit.domain.identifiers import (
    eid_with_check_digits,
    is_valid_cn_resident_id,
    luhn_check_digit,
    mask_email,
    mask_msisdn,
    normalize_eid,
    normalize_iccid,
    normalize_id_number,
    normalize_imei,
    normalize_msisdn,
)


def test_msisdn_to_e164():
    assert normalize_msisdn("+86 138 0013 8000") == "+8613800138000"
    assert normalize_msisdn("13800138000", "CN") == "+8613800138000"
    assert normalize_msisdn("0151 12345678", "DE") == "+4915112345678"


@pytest.mark.parametrize("bad", ["", "hello", "+86 138", "1380013800", "+999 123"])
def test_bad_msisdn(bad):
    with pytest.raises(InvalidInput) as e:
        normalize_msisdn(bad, "CN")
    assert e.value.code == "MSISDN_INVALID"


@given(st.text(alphabet="0123456789", min_size=16, max_size=18))
def test_iccid_with_computed_luhn_digit_is_accepted_and_any_changed_digit_is_not(tail):
    body = "89" + tail[:17]
    good = body + luhn_check_digit(body)
    assert normalize_iccid(good) == good
    assert normalize_iccid(good + "F") == good  # ES2+ padding nibble
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(InvalidInput) as e:
        normalize_iccid(wrong)
    assert e.value.code == "ICCID_CHECK_DIGIT"


def test_iccid_shape():
    with pytest.raises(InvalidInput) as e:
        normalize_iccid("1234")
    assert e.value.code == "ICCID_INVALID"


def test_imei_and_eid_check_digits():
    imei = "35" + "123456789012"
    imei += luhn_check_digit(imei)
    assert normalize_imei(imei) == imei
    with pytest.raises(InvalidInput):
        normalize_imei(imei[:-1] + ("0" if imei[-1] != "0" else "1"))
    eid = eid_with_check_digits("890490320000000000000000000001")
    assert normalize_eid(eid) == eid
    with pytest.raises(InvalidInput) as e:
        normalize_eid(eid[:-1] + ("0" if eid[-1] != "0" else "1"))
    assert e.value.code == "EID_CHECK_DIGITS"


def test_cn_resident_id():
    assert is_valid_cn_resident_id("11010519491231002X")
    assert is_valid_cn_resident_id("11010519491231002x")
    assert not is_valid_cn_resident_id("110105194912310021")  # wrong check character
    assert not is_valid_cn_resident_id("110105194902300020")  # 30 February
    with pytest.raises(InvalidInput) as e:
        normalize_id_number("cn_resident_id", "110105194912310021")
    assert e.value.code == "ID_NUMBER_INVALID"
    with pytest.raises(InvalidInput) as e:
        normalize_id_number("library_card", "123")
    assert e.value.code == "ID_TYPE_UNKNOWN"


def test_masks_hide_the_middle():
    assert mask_msisdn("+8613800138000") == "+86138****8000"
    assert mask_email("alice@example.com") == "a***@example.com"
