"""Validation and normalisation of the identifiers a line carries.

Each function returns the canonical form or raises InvalidInput with a stable code.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

import phonenumbers

from simexit.domain.errors import InvalidInput


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_check_digit(body: str) -> str:
    """The digit that makes ``body + digit`` pass the Luhn check."""
    for d in "0123456789":
        if luhn_ok(body + d):
            return d
    raise AssertionError("unreachable")


def normalize_msisdn(value: str, default_region: str | None = None) -> str:
    """E.164 (``+8613800138000``) of a valid mobile or fixed number, or MSISDN_INVALID."""
    raw = (value or "").strip()
    try:
        num = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput("MSISDN_INVALID", f"not a phone number: {exc}", value=mask_msisdn(raw)) from None
    if not phonenumbers.is_valid_number(num):
        raise InvalidInput("MSISDN_INVALID", "not a valid phone number for its country", value=mask_msisdn(raw))
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


_MOBILE = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


@cache  # a few regions; each apply read the examples (2 % of an HTTP apply's samples)
def example_number(region: str) -> str:
    """A mobile number of ``region`` as its people write it, and in full: ``01512 3456789 / +49 1512 3456789``."""
    ex = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if ex is None:
        return ""
    return (f"{phonenumbers.format_number(ex, phonenumbers.PhoneNumberFormat.NATIONAL)} / "
            f"{phonenumbers.format_number(ex, phonenumbers.PhoneNumberFormat.INTERNATIONAL)}")


def display_msisdn(e164: str) -> str:
    """``+4915112340000`` → ``+49 151 12340000``: the number as understood, grouped the way its country does."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def region_of(e164: str) -> str | None:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None


def msisdn_readings(value: str, regions: tuple[str, ...] | list[str]) -> list[str]:
    """Every E.164 number ``value`` can be, read in each of ``regions`` (in that order, without repeats).

    A number typed with ``+`` (or ``00``) has one reading whatever the region. A national number is read in
    each region; when some readings are mobile numbers, only those are kept (the lines are mobile lines: a
    Chinese reading of ``(202) 555-0100`` is a Guangzhou landline, the US one a mobile)."""
    raw = (value or "").strip()
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if raw.startswith("+"):
        return [normalize_msisdn(raw)]
    found: list[tuple[str, bool]] = []
    for region in regions:
        try:
            num = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number_for_region(num, region):
            continue
        e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
        if e164 not in (f for f, _m in found):
            found.append((e164, phonenumbers.number_type(num) in _MOBILE))
    mobile = [f for f, m in found if m]
    return mobile or [f for f, _m in found]


def read_msisdn(value: str, regions: tuple[str, ...] | list[str],
                served: tuple[str, ...] | list[str] | None = None) -> str:
    """E.164 of a number typed by a person: a national number is read in ``regions`` (the page's brand's, or
    every region the operator serves), a number with ``+`` must be of a region ``served`` (default: regions).

    A national number that fits two regions is MSISDN_AMBIGUOUS (its readings given, to ask which is meant); a
    number of no region served is MSISDN_COUNTRY_NOT_SERVED (with an example of the form expected)."""
    served = list(dict.fromkeys(served or regions))
    examples = {r: example_number(r) for r in dict.fromkeys(regions)}
    readings = msisdn_readings(value, list(dict.fromkeys(regions)))
    if not readings:
        raise InvalidInput("MSISDN_INVALID", "not a phone number of the countries served", value=mask_msisdn(value),
                           regions=served, examples=examples)
    if len(readings) > 1:
        raise InvalidInput("MSISDN_AMBIGUOUS", "the number fits more than one country: type it with +country",
                           readings=readings, regions=[region_of(r) for r in readings])
    if served and region_of(readings[0]) not in served:
        raise InvalidInput("MSISDN_COUNTRY_NOT_SERVED", "not a number of the countries served",
                           value=mask_msisdn(readings[0]), regions=served, examples=examples)
    return readings[0]


_ICCID = re.compile(r"89\d{16,18}")


def normalize_iccid(value: str) -> str:
    """ICCID of 18–20 digits starting 89 (ITU-T E.118) with a valid Luhn check digit.

    A trailing ``F`` padding nibble, as some ES2+ clients send, is accepted and removed.
    """
    s = (value or "").strip().upper().removesuffix("F")
    if not _ICCID.fullmatch(s):
        raise InvalidInput("ICCID_INVALID", "an ICCID has 18 to 20 digits and starts with 89", value=s[-4:])
    if not luhn_ok(s):
        raise InvalidInput("ICCID_CHECK_DIGIT", "the ICCID's check digit is wrong", value=s[-4:])
    return s


def normalize_imei(value: str) -> str:
    s = (value or "").strip()
    if not re.fullmatch(r"\d{15}", s):
        raise InvalidInput("IMEI_INVALID", "an IMEI has 15 digits", value=s[-4:])
    if not luhn_ok(s):
        raise InvalidInput("IMEI_CHECK_DIGIT", "the IMEI's check digit is wrong", value=s[-4:])
    return s


def normalize_eid(value: str) -> str:
    """EID: 32 decimal digits whose value mod 97 is 1 (GSMA SGP.29, ISO 7064 MOD 97-10)."""
    s = (value or "").strip()
    if not re.fullmatch(r"\d{32}", s):
        raise InvalidInput("EID_INVALID", "an EID has 32 digits", value=s[-4:])
    if int(s) % 97 != 1:
        raise InvalidInput("EID_CHECK_DIGITS", "the EID's check digits are wrong", value=s[-4:])
    return s


def eid_with_check_digits(first30: str) -> str:
    """Complete 30 digits with the two check digits (for test data and the demo)."""
    n = int(first30 + "00")
    check = 98 - (n % 97)
    return f"{first30}{check:02d}"


def normalize_imsi(value: str) -> str:
    s = (value or "").strip()
    if not re.fullmatch(r"\d{14,15}", s):
        raise InvalidInput("IMSI_INVALID", "an IMSI has 14 or 15 digits", value=s[-4:])
    return s


_CN_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"  # ISO 7064 MOD 11-2: index = weighted sum % 11
_CN_RE = re.compile(r"[1-9]\d{16}[0-9X]")


def cn_resident_id_check_char(first17: str) -> str:
    return _CN_CHECK[sum(int(c) * w for c, w in zip(first17, _CN_W, strict=True)) % 11]


def is_valid_cn_resident_id(value: str, today: date | None = None) -> bool:
    # Our own check rather than id-validator: that library rejects valid IDs whose area code is
    # missing from its bundled (stale) table and accepts 15-digit legacy numbers.
    s = value.strip().upper()
    if not _CN_RE.fullmatch(s):
        return False
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= born <= (today or date.today()):
        return False
    return cn_resident_id_check_char(s[:17]) == s[17]


ID_TYPES = ("cn_resident_id", "passport", "national_id", "drivers_license", "residence_permit")


def normalize_id_number(id_type: str, value: str) -> str:
    if id_type not in ID_TYPES:
        raise InvalidInput("ID_TYPE_UNKNOWN", f"unknown ID type {id_type!r}", allowed=list(ID_TYPES))
    s = (value or "").strip().upper().replace(" ", "")
    if id_type == "cn_resident_id":
        if not is_valid_cn_resident_id(s):
            raise InvalidInput("ID_NUMBER_INVALID", "not a valid Chinese resident ID number (check character)")
        return s
    if not re.fullmatch(r"[A-Z0-9<-]{5,24}", s):
        raise InvalidInput("ID_NUMBER_INVALID", "an ID document number has 5 to 24 letters and digits")
    return s


def mask_msisdn(value: str) -> str:
    """``+8613800138000`` → ``+86138****8000``: enough to recognise, not to use."""
    s = value or ""
    if len(s) <= 6:
        return "*" * len(s)
    keep_head = min(6, len(s) - 4)
    return s[:keep_head] + "*" * (len(s) - keep_head - 4) + s[-4:]


def mask_email(value: str) -> str:
    local, _, domain = (value or "").partition("@")
    if not domain:
        return "***"
    return (local[:1] + "***@" + domain) if local else "***@" + domain


def mask_name(value: str) -> str:
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1) if len(value) <= 3 else value[0] + "***" + value[-1]
