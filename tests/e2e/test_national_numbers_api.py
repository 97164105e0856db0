"""Issue 14 item 1 through the customer API: sign-in and the public cancellation read a number without +country
in the region of the brand given (``brand``), and without one in the regions of the operator's brands, answering
MSISDN_AMBIGUOUS (with the readings) when two fit and MSISDN_COUNTRY_NOT_SERVED (with examples) for a foreign
number."""

from __future__ import annotations

import phonenumbers
import pytest

from tests.e2e.conftest import last_code
from tests.factories import make_line


def national(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)


@pytest.mark.parametrize("brand", ["liuliang", "hansanet", "roamly"])
def test_customer_sign_in_reads_a_national_number_in_the_brands_region(client, app, brand):
    m = make_line(app, brand)["msisdn"]
    r = client.post("/api/v1/auth/customer/start", json={"msisdn": national(m), "brand": brand})
    assert r.status_code == 202, r.text
    r = client.post("/api/v1/auth/customer/verify", json={"msisdn": national(m), "brand": brand,
                                                          "code": last_code(app, m), "session": "token"})
    assert r.status_code == 200, r.text


def test_without_a_brand_the_api_asks_which_country_and_refuses_foreign_numbers(client, app):
    m = make_line(app, "hansanet")["msisdn"]
    r = client.post("/api/v1/auth/customer/start", json={"msisdn": national(m)})
    assert r.status_code == 422 and r.json()["code"] == "MSISDN_AMBIGUOUS", r.text
    assert m in r.json()["readings"] and len(r.json()["readings"]) == 2
    r = client.post("/api/v1/auth/customer/start", json={"msisdn": "+33 6 12 34 56 78"})
    assert r.status_code == 422 and r.json()["code"] == "MSISDN_COUNTRY_NOT_SERVED", r.text
    assert r.json()["examples"]["DE"].endswith("+49 1512 3456789")
    r = client.post("/api/v1/public/cancellations", json={
        "kind": "ordinary", "customer_name": "A B", "msisdn": national(m), "brand": "hansanet",
        "email": "a@example.com"})
    assert r.status_code == 201 and r.json()["msisdn"].startswith("+49"), r.text
