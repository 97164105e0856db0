"""The review queue's search (application number, masked line number, customer name) and decisions on a
filtered selection: by role and brand scope, exclusions honoured, a reason required to reject, audited."""

import pytest

from simexit.domain.consequences import required_consequences
from simexit.domain.errors import Forbidden, InvalidInput
from simexit.domain.identifiers import mask_msisdn
from simexit.domain.queue_search import QueueSearch, parse
from simexit.domain.roles import Role
from simexit.services.access.caller import StaffIdentity
from simexit.services.bulk import commands as bulk
from simexit.services.bulk.queue_decisions import QueueFilter
from simexit.services.closure import queries
from simexit.services.closure.applications import ApplyRequest, apply
from simexit.services.closure.precheck import precheck
from simexit.store import audit_repo
from tests.factories import make_line

REVIEWER = StaffIdentity(id=1, username="rita", display_name="Rita", role=Role.REVIEWER, brands=("baohao",))
SUPERVISOR = StaffIdentity(id=2, username="sam", display_name="Sam", role=Role.SUPERVISOR,
                           brands=("baohao", "huaxin"))
CLERK = StaffIdentity(id=3, username="carla", display_name="Carla", role=Role.STORE_CLERK, brands=("baohao",))
FOREIGN = StaffIdentity(id=4, username="hua", display_name="Hua", role=Role.REVIEWER, brands=("huaxin",))


def _waiting(app, brand: str, name: str, channel: str = "store") -> tuple[str, str]:
    line = make_line(app, brand, balance=0, name=name)
    pc = precheck(app, line["msisdn"])
    no = apply(app, ApplyRequest(msisdn=line["msisdn"], channel=channel, identity_method="id_document_inspected",
                                 identity_evidence={"checked_by": "carla"}, staff_ref="carla",
                                 staff_role="store_clerk",
                                 consequences_confirmed=list(required_consequences(pc.quote)))).application_no
    return no, line["msisdn"]


def _numbers(items) -> list[str]:
    return [i["application_no"] for i in items]


def test_the_search_box_understands_numbers_masks_and_names():
    assert parse("") is None and parse("   ") is None
    assert parse("+86139****0042") == QueueSearch(msisdn_head="+86139", msisdn_tail="0042")
    assert parse("139 ···· 0042") == QueueSearch(msisdn_head="139", msisdn_tail="0042")
    assert parse("0042") == QueueSearch(msisdn_head="", msisdn_tail="0042")
    assert parse("015112000042") == QueueSearch(msisdn_head="", msisdn_tail="15112000042")
    assert parse("+4915112000042") == QueueSearch(msisdn_head="+4915112000042", msisdn_tail="")
    assert parse("wang 50%") == QueueSearch(name="wang 50%")


def test_queue_search_by_number_masked_number_and_name_within_the_brands(app):
    a, msisdn_a = _waiting(app, "baohao", "王小明")
    b, _ = _waiting(app, "baohao", "李华")
    c, msisdn_c = _waiting(app, "huaxin", "王大明")
    everyone = _numbers(queries.review_queue(app, SUPERVISOR))
    assert set(everyone) == {a, b, c}
    assert _numbers(queries.review_queue(app, SUPERVISOR, search=a.lower().replace("-", " "))) == [a]
    assert _numbers(queries.review_queue(app, SUPERVISOR, search=mask_msisdn(msisdn_a))) == [a]
    assert _numbers(queries.review_queue(app, SUPERVISOR, search=msisdn_a[-4:])) == [a]
    assert set(_numbers(queries.review_queue(app, SUPERVISOR, search="王"))) == {a, c}
    assert _numbers(queries.review_queue(app, SUPERVISOR, search="小明")) == [a]
    assert queries.review_queue(app, SUPERVISOR, search="%") == []  # a wildcard is a character, not "anything"
    # the reviewer's brands only: another brand's application is not found by its number, masked number or name
    assert queries.review_queue(app, REVIEWER, search=c) == []
    assert queries.review_queue(app, REVIEWER, search=mask_msisdn(msisdn_c)) == []
    assert _numbers(queries.review_queue(app, REVIEWER, search="王")) == [a]
    row = queries.review_queue(app, REVIEWER, search=a)[0]
    assert row["customer"] == "王**" and "customer_name" not in row and "****" in row["msisdn"]


def test_bulk_approval_of_a_filtered_selection_honours_exclusions_and_brands(app):
    a, _ = _waiting(app, "baohao", "王小明")
    b, _ = _waiting(app, "baohao", "王小红")
    c, _ = _waiting(app, "baohao", "李华")
    d, _ = _waiting(app, "huaxin", "王大明")
    result = bulk.decide_queue_selection(app, REVIEWER, QueueFilter(search="王"), "approve", exclude=[b],
                                         shown=[a, b, d])  # d: another brand's number in the form
    assert result.decided == [a] and result.excluded == [b] and result.refused == []
    assert queries.application_for_staff(app, REVIEWER, a)["status"] == "approved"
    assert {i["application_no"] for i in queries.review_queue(app, SUPERVISOR)} == {b, c, d}
    entries = [e for e in audit_entries(app) if e["action"] == "queue.bulk_approve"]
    assert len(entries) == 1 and entries[0]["actor"] == "rita"
    assert entries[0]["data"]["decided"] == [a] and entries[0]["data"]["excluded"] == [b]
    assert entries[0]["data"]["search"] == "name"  # what kind of search, never the name typed
    assert "王" not in str(entries[0]["data"])
    assert any(e["action"] == "application.approved" and e["subject_ref"] == a for e in audit_entries(app))


def test_bulk_rejection_needs_a_reason_and_only_reviewers_decide(app):
    a, _ = _waiting(app, "baohao", "王小明")
    b, _ = _waiting(app, "baohao", "李华")
    with pytest.raises(InvalidInput) as e:
        bulk.decide_queue_selection(app, SUPERVISOR, QueueFilter(brand="baohao"), "reject")
    assert e.value.code == "REJECTION_REASON_REQUIRED"
    assert set(_numbers(queries.review_queue(app, SUPERVISOR))) == {a, b}  # nothing decided
    for who in (CLERK,):
        with pytest.raises(Forbidden):
            bulk.decide_queue_selection(app, who, QueueFilter(), "approve")
    with pytest.raises(InvalidInput) as e:  # a reviewer of another brand sees nothing to decide
        bulk.decide_queue_selection(app, FOREIGN, QueueFilter(), "approve", shown=[a, b])
    assert e.value.code == "SELECTION_EMPTY"
    with pytest.raises(InvalidInput) as e:
        bulk.decide_queue_selection(app, REVIEWER, QueueFilter(), "approve", exclude=[a, b])
    assert e.value.code == "SELECTION_EMPTY"
    result = bulk.decide_queue_selection(app, SUPERVISOR, QueueFilter(brand="baohao"), "reject",
                                         reasons=["IDENTITY_MISMATCH"], exclude=[b])
    assert result.decided == [a] and result.excluded == [b]
    assert queries.application_for_staff(app, REVIEWER, a)["status"] == "rejected"
    assert queries.application_for_staff(app, REVIEWER, b)["status"] in ("submitted", "pending_review")
    entry = next(e for e in audit_entries(app) if e["action"] == "queue.bulk_reject")
    assert entry["data"]["reasons"] == ["IDENTITY_MISMATCH"] and entry["role"] == "supervisor"


def audit_entries(app):
    with app.db.read() as conn:
        return list(audit_repo.iter_entries(conn))
