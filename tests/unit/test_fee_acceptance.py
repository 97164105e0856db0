"""Issue 14 item 10: "or accept the fee" can be acted on where the policy allows it (fees.early_termination_
acceptable): a blocking running contract then informs instead of blocking; elsewhere it still blocks."""

from simexit.domain.eligibility import Finding
from simexit.domain.intake import blocked, fee_acceptable, with_fee_accepted
from simexit.domain.policy import Severity

CONTRACT = Finding("CONTRACT_ACTIVE", Severity.BLOCKER, {"en": "runs"}, {"en": "wait or accept"})
ARREARS = Finding("ARREARS", Severity.BLOCKER, {"en": "unpaid"})


def test_accepting_the_fee_lifts_only_the_contract_blocker_where_the_policy_allows(policies):
    liuliang, huaxin = policies["liuliang"], policies["huaxin"]
    assert fee_acceptable(liuliang, [CONTRACT]) and not fee_acceptable(huaxin, [CONTRACT])
    assert blocked(with_fee_accepted(liuliang, [CONTRACT], True)) is None
    assert blocked(with_fee_accepted(liuliang, [CONTRACT], False)) is not None
    assert blocked(with_fee_accepted(huaxin, [CONTRACT], True)) is not None
    still = blocked(with_fee_accepted(liuliang, [CONTRACT, ARREARS], True))
    assert [f["code"] for f in still.data["findings"]] == ["ARREARS"]


def test_every_brand_names_its_message_channels_and_contacts(policies):
    for code, p in policies.items():
        assert p.contact.messages, code
        if "hotline" in p.brand.channels:
            assert p.contact.hotline, code
        if "store" in p.brand.channels:
            assert p.contact.stores, code
        if "mail" in p.brand.channels:
            assert p.contact.mail_address, code
