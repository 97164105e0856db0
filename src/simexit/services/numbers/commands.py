"""Use cases of the numbers capability that change state, each one transaction, the caller checked first.

Subscriptions to permanent-disconnect webhooks: a partner (``relying_party`` scope) names its own by a label
and sees only its own; simexit's operators (``System``, the CLI) name any."""

from __future__ import annotations

from dataclasses import replace

from simexit.domain.errors import NotFound
from simexit.services.access.caller import Caller, Partner, require_partner, require_system
from simexit.services.context import Simexit
from simexit.services.numbers import relying_parties
from simexit.services.numbers.views import SubscriptionView

SCOPE = "relying_party"


def _name(caller: Caller, name: str) -> tuple[str, str | None]:
    """The stored name and the label the caller knows it by (a partner's own, prefixed by its name)."""
    if isinstance(caller, Partner):
        partner = require_partner(caller, SCOPE)
        return relying_parties.owned_name(partner.name, name), name
    require_system(caller)
    return name, None


def subscribe(app: Simexit, caller: Caller, name: str, url: str, secret: str | None = None) -> SubscriptionView:
    """Subscribe ``name`` (a partner: its label) at ``url``; the answer carries the signing secret once.
    A partner cannot choose the secret."""
    stored, label = _name(caller, name)
    with app.db.write() as conn:
        view = relying_parties.add(conn, stored, url, secret if label is None else None, app.clock.now())
    return replace(view, label=label)


def unsubscribe(app: Simexit, caller: Caller, name: str) -> SubscriptionView:
    """Stop sending to ``name`` (a partner: one of its own labels; another's is "not found")."""
    stored, label = _name(caller, name)
    try:
        with app.db.write() as conn:
            view = relying_parties.remove(conn, stored, app.clock.now())
    except NotFound:
        if label is None:
            raise
        raise NotFound("RELYING_PARTY_NOT_FOUND", f"no active subscription {label!r}") from None
    return replace(view, label=label)
