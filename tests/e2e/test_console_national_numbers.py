"""Issue 14 item 1 in the staff console: the intake form reads a number typed without +country in the regions
of the staff member's brands, shows it as understood, and asks which country when two fit (en, zh-CN, de)."""

from __future__ import annotations

import phonenumbers
import pytest

from simexit.domain.identifiers import display_msisdn, msisdn_readings
from tests.e2e.test_web_http import _csrf, _staff, client  # noqa: F401  (the fixture)
from tests.factories import make_line


def national(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)


def test_a_national_number_is_read_in_the_region_of_the_clerks_brand(client, app):  # noqa: F811
    m = make_line(app, "hansanet", balance=0)["msisdn"]
    _staff(client, app, "clerk_de", "store_clerk", ["hansanet"])
    csrf = _csrf(client, "/console/intake")
    r = client.post("/console/intake", data={"csrf": csrf, "channel": "store", "phone": national(m)})
    assert r.status_code == 200, r.text
    assert "Number as understood:" in r.text and display_msisdn(m) in r.text and "(Germany)" in r.text
    assert f'value="{m}"' in r.text  # the field now holds the number as understood
    r = client.post("/console/intake", follow_redirects=True, data={
        "csrf": csrf, "channel": "store", "phone": m, "step": "submit", "identity_method": "id_document_inspected",
        "document_last4": "1234", "consequence": ["NO_REACTIVATION", "DATA_ERASURE"]})
    assert r.status_code == 200 and "Application SX-" in r.text, r.text


@pytest.mark.parametrize(("lang", "ask", "country"), [
    ("en", "This number fits more than one country", "(Germany)"),
    ("zh-CN", "该号码可能属于多个国家", "(德国)"),
    ("de", "Diese Nummer passt zu mehr als einem Land", "(Deutschland)"),
])
def test_a_number_that_fits_two_of_the_clerks_countries_asks_which(client, app, lang, ask, country):  # noqa: F811
    m = make_line(app, "hansanet", balance=0)["msisdn"]
    typed = national(m)
    assert len(msisdn_readings(typed, ["DE", "CN"])) == 2  # the premise: it is a Chinese number too
    _staff(client, app, f"clerk_{lang}", "store_clerk", ["hansanet", "huaxin"])
    h = {"accept-language": lang}
    csrf = _csrf(client, "/console/intake")
    r = client.post("/console/intake", headers=h, data={"csrf": csrf, "channel": "store", "phone": typed})
    assert r.status_code == 400
    assert 'data-testid="phone-error"' in r.text and ask in r.text and 'aria-invalid="true"' in r.text
    assert f'name="phone_reading" value="{m}"' in r.text and r.text.count('name="phone_reading"') == 2
    assert country in r.text
    r = client.post("/console/intake", headers=h, data={"csrf": csrf, "channel": "store", "phone": typed,
                                                        "phone_reading": m})
    assert r.status_code == 200 and display_msisdn(m) in r.text and country in r.text, r.text
    # typed with +country it is not ambiguous at all
    r = client.post("/console/intake", headers=h, data={"csrf": csrf, "channel": "store", "phone": m})
    assert r.status_code == 200 and 'data-testid="phone-understood"' in r.text


@pytest.mark.parametrize(("lang", "unreadable", "foreign"), [
    ("en", "That is not a phone number we can read", "We only close lines with numbers from"),
    ("zh-CN", "无法识别该电话号码", "我们只办理以下国家或地区号码的注销"),
    ("de", "Diese Telefonnummer können wir nicht lesen", "Wir kündigen nur Anschlüsse mit Nummern aus"),
])
def test_unreadable_and_foreign_numbers_say_how_to_type_them(client, app, lang, unreadable, foreign):  # noqa: F811
    _staff(client, app, f"clerk_x_{lang}", "store_clerk", ["hansanet"])
    h = {"accept-language": lang}
    csrf = _csrf(client, "/console/intake")
    r = client.post("/console/intake", headers=h, data={"csrf": csrf, "channel": "store", "phone": "12"})
    assert r.status_code == 400 and unreadable in r.text and "+49 1512 3456789" in r.text, r.text
    r = client.post("/console/intake", headers=h, data={"csrf": csrf, "channel": "store", "phone": "+33612345678"})
    assert r.status_code == 400 and foreign in r.text, r.text
