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


def test_a_lines_family_becomes_its_product_relationships():
    from types import SimpleNamespace

    from simexit.domain.facts import LineFamily, RelatedProduct, SecondaryLine
    from simexit.services.ordering.records import relationships

    family = LineFamily(product_id="P-1", secondary_lines=(SecondaryLine("+8613900000002", "P-2"),),
                        bundle_id="B-1", bundle_products=(RelatedProduct("P-9", "broadband", "Fibre 500"),))
    held = {"+8613900000002": "42"}  # simexit holds the secondary line: named by its own product id
    assert relationships(SimpleNamespace(family=family), held.get) == (
        ("42", "hasSecondary"), ("B-1", "isBundledIn"), ("P-9", "bundledWith"))
    secondary = LineFamily(main_msisdn="+8613900000001")
    assert relationships(SimpleNamespace(family=secondary)) == (("+8613900000001", "isSecondaryOf"),)
    assert relationships(SimpleNamespace()) == ()


def test_the_cli_offers_every_partner_scope():
    from simexit.cli.api import create
    from simexit.services.access.commands import PARTNER_SCOPES

    scope = next(p for p in create.params if p.name == "scopes")
    assert tuple(scope.type.choices) == PARTNER_SCOPES
