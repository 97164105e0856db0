"""Read-only use cases of the numbers capability, scoped by the caller."""

from __future__ import annotations

from datetime import date

from simexit.services.access.caller import Caller, Partner, require_partner, require_system
from simexit.services.context import Simexit
from simexit.services.numbers import disconnects, relying_parties
from simexit.services.numbers.commands import SCOPE
from simexit.services.numbers.disconnects import Answer
from simexit.services.numbers.views import DisconnectRow, SubscriptionView
from simexit.store import numbers_repo


def subscriptions(app: Simexit, caller: Caller, include_removed: bool = False) -> list[SubscriptionView]:
    """A partner's own active subscriptions (by label); every one for simexit's operators."""
    if isinstance(caller, Partner):
        partner = require_partner(caller, SCOPE)
        prefix = relying_parties.owned_name(partner.name, "")
        with app.db.read() as conn:
            rows = numbers_repo.relying_parties_list(conn, prefix=prefix)
        return [relying_parties.view_of(r, label=r["name"][len(prefix):]) for r in rows]
    require_system(caller)
    with app.db.read() as conn:
        rows = numbers_repo.relying_parties_list(conn, include_removed=include_removed)
    return [relying_parties.view_of(r) for r in rows]


def was_disconnected(app: Simexit, caller: Caller, msisdn: str, since: date) -> Answer:
    """Reassigned-numbers query: a partner with the relying_party scope, or simexit's operators."""
    if isinstance(caller, Partner):
        require_partner(caller, SCOPE)
    else:
        require_system(caller)
    return disconnects.was_disconnected(app, msisdn, since)


def permanent_disconnects(app: Simexit, caller: Caller, month: str) -> list[DisconnectRow]:
    """Every number permanently disconnected in ``month`` (the monthly export): simexit's operators."""
    require_system(caller)
    return [DisconnectRow(**r) for r in disconnects.permanent_disconnects(app, month)]


def rnd_export(app: Simexit, caller: Caller, month: str) -> tuple[str, int]:
    """The month's reassigned-numbers CSV (number,permanent_disconnect_date) and the number of rows in it."""
    rows = permanent_disconnects(app, caller, month)
    return disconnects.rnd_csv([r.to_dict() for r in rows]), len(rows)
