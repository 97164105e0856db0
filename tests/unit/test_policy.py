from pathlib import Path

import pytest

from simexit.config import DEMO_POLICY_DIR
from simexit.domain.policy import PolicyError, load_policies, load_policy, parse_policy

GOOD = (DEMO_POLICY_DIR / "liuliang.toml").read_text(encoding="utf-8")


def test_demo_policies_cover_every_card_kind_and_three_jurisdictions():
    ps = load_policies(DEMO_POLICY_DIR)
    assert sorted(p.brand.card_kind for p in ps.values()) == ["K1", "K2", "K3", "K4", "K5", "K6"]
    assert {p.brand.jurisdiction for p in ps.values()} == {"CN", "DE", "US"}


@pytest.mark.parametrize(("change", "field", "problem"), [
    (("sla_business_days = 3", "sla_business_days = -1"), "review.sla_business_days", "greater than or equal"),
    (('time_zone = "Asia/Shanghai"', 'time_zone = "Mars/Olympus"'), "brand.time_zone", "unknown time zone"),
    (('currency = "CNY"', 'currency = "DOGE"'), "brand.currency", "unsupported currency"),
    (('ARREARS = "blocker"', 'ARREARS = "info"'), "checks.ARREARS", "arrears block"),
    (("quarantine_days = 90", "quarantine_days = 90\nsurprise = 1"), "numbers.surprise", "Extra inputs"),
    (('  { record_set = "real_name"', '  { record_set = "billing"'), "retention.keep", "730"),
    (('channels = ["online"', 'channels = ["carrier_pigeon"'), "brand.channels.0", "Input should be"),
])
def test_bad_policy_names_file_field_and_problem(change, field, problem):
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(PolicyError) as e:
        parse_policy(text, "brands/liuliang.toml")
    assert e.value.path == "brands/liuliang.toml"
    assert e.value.field == field
    assert problem in e.value.problem
    assert str(e.value).startswith("brands/liuliang.toml: " + field)


def test_us_quarantine_at_least_45_days():
    text = (DEMO_POLICY_DIR / "roamly.toml").read_text().replace("quarantine_days = 45", "quarantine_days = 30")
    with pytest.raises(PolicyError) as e:
        parse_policy(text)
    assert e.value.field == "numbers.quarantine_days"


def test_eu_arrears_never_block():
    text = (DEMO_POLICY_DIR / "globetalk.toml").read_text().replace('ARREARS = "info"', 'ARREARS = "blocker"')
    with pytest.raises(PolicyError) as e:
        parse_policy(text)
    assert e.value.field == "checks.ARREARS"


def test_not_toml_and_wrong_file_name(tmp_path: Path):
    with pytest.raises(PolicyError) as e:
        parse_policy("[brand\n", "x.toml")
    assert "not valid TOML" in e.value.problem
    p = tmp_path / "other.toml"
    p.write_text(GOOD, encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        load_policy(p)
    assert e.value.field == "brand.code"


def test_empty_directory_is_refused(tmp_path: Path):
    with pytest.raises(PolicyError):
        load_policies(tmp_path)
