"""Use cases of the numbers capability that change state, each one transaction, the caller checked first.

Subscriptions to permanent-disconnect webhooks: a partner (``relying_party`` scope) names its own by a label
and sees only its own; simexit's operators (``System``, the CLI) name any."""

from __future__ import annotations

from dataclasses import replace

from simexit.domain.errors import InvalidInput, NotFound
from simexit.domain.identifiers import normalize_msisdn
from simexit.domain.number_afterlife import local_day
from simexit.services.access.caller import Caller, Partner, require_partner, require_system
from simexit.services.context import Simexit
from simexit.services.numbers import relying_parties
from simexit.services.numbers.views import SubscriptionView
from simexit.store import numbers_repo

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


def port_out_completed(app: Simexit, caller: Caller, msisdn: str) -> dict[str, str]:
    """A port-out of ``msisdn`` completed (the number now serves its holder at another operator): the line
    closes here and the holding that ended is recorded (reason ``port_out``), dated the brand-local day. The
    subscriber keeps the number, so this is not a permanent disconnect: no relying-party notice, not in the
    RND report or query, and the CAMARA check answers "used by a different network operator". The number is
    never reissued here while it is ported out. simexit's operators (``System``) only."""
    require_system(caller)
    number = normalize_msisdn(msisdn)
    now = app.clock.now()
    with app.db.write() as conn:
        line = numbers_repo.open_line_of_number(conn, number)
        if line is None:
            raise NotFound("LINE_NOT_FOUND", "no open line with this number")
        if not line["port_out_pending"]:
            raise InvalidInput("PORT_OUT_NOT_PENDING", "no port-out of this number is pending: close it with a "
                               "cancellation instead")
        policy = app.policy(app.brand_code(line["brand_id"]))
        tz = policy.brand.time_zone
        day = local_day(now, tz)
        numbers_repo.close_ported_out(conn, line["id"], now)
        numbers_repo.add_holding(conn, dict(
            msisdn=number, brand_id=line["brand_id"], line_id=line["id"],
            held_from=local_day(line["activated_at"], tz) if line["activated_at"] else None, disconnected_on=day,
            reason="port_out", ported_in_from=None, state="quarantined", quarantine_until=None, recorded_at=now,
            updated_at=now))
        numbers_repo.set_number_afterlife(conn, number, "quarantined", None, now)
    return {"msisdn": number, "disconnected_on": day.isoformat(), "reason": "port_out"}
