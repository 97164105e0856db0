"""How applications read as TMF622 order states, one line or several (bundles, secondary lines)."""

from simexit.services.ordering.states import item_state, order_state


def test_one_line_follows_its_application():
    seen = [item_state(s, None, "acknowledged") for s in
            ("submitted", "pending_review", "approved", "executing", "needs_attention", "completed")]
    assert seen == ["acknowledged", "acknowledged", "inProgress", "inProgress", "inProgress", "completed"]
    assert item_state("rejected", None, "acknowledged") == "rejected"
    assert item_state("withdrawn", None, "acknowledged") == "cancelled"
    assert item_state(None, None, "draft") == "draft"
    assert item_state(None, "PRECHECK_BLOCKED: unpaid bills", "acknowledged") == "failed"


def test_several_lines_add_up():
    assert order_state(["completed", "completed"]) == "completed"
    assert order_state(["completed", "rejected"]) == "partial"
    assert order_state(["completed", "failed"]) == "partial"
    assert order_state(["inProgress", "acknowledged"]) == "inProgress"
    assert order_state(["completed", "acknowledged"]) == "inProgress"
    assert order_state(["acknowledged", "failed"]) == "acknowledged"
    assert order_state(["rejected", "cancelled"]) == "rejected"
    assert order_state(["failed", "cancelled"]) == "failed"
