"""One intake decision (domain/intake.py) for single and bulk apply: the same refusal, with the same data."""

from __future__ import annotations

import pytest

from simexit.domain.errors import DomainError
from simexit.domain.identity import IdentityMethod
from simexit.services.bulk.decision import BulkOptions, decide
from simexit.services.bulk.input import BulkRow
from simexit.services.closure.applications import ApplyRequest, apply
from simexit.services.closure.precheck import precheck
from tests.factories import make_line

BLOCKED = ({"unpaid": [500]}, {"unpaid": [500], "port_out_pending": True}, {"port_out_pending": True},
           {"identity_verified": False})


@pytest.mark.parametrize("kw", BLOCKED)
def test_bulk_precheck_blocked_carries_the_same_findings_as_a_single_apply(app, kw):
    m = make_line(app, "huaxin", kind="sim", balance=0, **kw)["msisdn"]
    pc = precheck(app, m)
    with pytest.raises(DomainError) as single:
        apply(app, ApplyRequest(msisdn=m, channel="store", identity_method="id_document_inspected",
                                staff_ref="clerk1", staff_role="store_clerk",
                                consequences_confirmed=list(pc.to_dict()["consequences"])))
    opts = BulkOptions(channel="store", identity_method="id_document_inspected", staff_ref="clerk1",
                       staff_role="store_clerk")
    now = app.clock.now()
    with app.db.read() as conn, pytest.raises(DomainError) as bulk:
        facts = app.facts_source(conn).line_facts(m)
        decide(app, conn, "B-test", opts, IdentityMethod.ID_DOCUMENT_INSPECTED, BulkRow(1, m, msisdn=m), facts,
               now, {})
    assert single.value.code == bulk.value.code == "PRECHECK_BLOCKED"
    assert bulk.value.data == single.value.data
    assert [f["code"] for f in bulk.value.data["findings"]] == [f.code for f in pc.findings if f.severity == "blocker"]
    assert all(set(f) >= {"code", "severity", "message", "fix"} for f in bulk.value.data["findings"])
    assert bulk.value.message == single.value.message
