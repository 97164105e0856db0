"""Changes to a line's facts that clear blockers: what billing, CRM or the customer's own action
records (a bill paid, a service unbound, a device unbound, identity verified, a port-out cancelled).

The portal's "fix it" actions and the test data changes go through these, never through raw SQL.
"""

from __future__ import annotations

from simexit.services.closure.precheck import resolve_msisdn
from simexit.services.context import Simexit
from simexit.store import lines_repo


def pay_bills(app: Simexit, msisdn: str, reference: str = "payment") -> int:
    """Mark every unpaid bill of the line's account paid. Returns the amount paid (minor units)."""
    number = resolve_msisdn(app, msisdn)
    with app.db.write() as conn:
        _lid, aid, _cid = lines_repo.line_ids(conn, number)
        return lines_repo.pay_bills(conn, aid, app.clock.now(), reference)


def unbind_service(app: Simexit, msisdn: str, service: str | None = None) -> int:
    """Record that a third-party service (or all, if None) no longer uses the number."""
    number = resolve_msisdn(app, msisdn)
    with app.db.write() as conn:
        lid, _aid, _cid = lines_repo.line_ids(conn, number)
        return lines_repo.unbind_services(conn, lid, app.clock.now(), service)


def unbind_device(app: Simexit, msisdn: str, device_id: int | None = None) -> int:
    number = resolve_msisdn(app, msisdn)
    with app.db.write() as conn:
        lid, _aid, _cid = lines_repo.line_ids(conn, number)
        return lines_repo.unbind_devices(conn, lid, app.clock.now(), device_id)


def mark_identity_verified(app: Simexit, msisdn: str) -> None:
    number = resolve_msisdn(app, msisdn)
    with app.db.write() as conn:
        _lid, _aid, cid = lines_repo.line_ids(conn, number)
        lines_repo.mark_identity_verified(conn, cid)


def cancel_port_out(app: Simexit, msisdn: str) -> None:
    number = resolve_msisdn(app, msisdn)
    with app.db.write() as conn:
        lid, _aid, _cid = lines_repo.line_ids(conn, number)
        lines_repo.cancel_port_out(conn, lid)


def end_contract(app: Simexit, msisdn: str) -> None:
    """The contract term is over (or the operator waives it)."""
    number = resolve_msisdn(app, msisdn)
    with app.db.write() as conn:
        lid, _aid, _cid = lines_repo.line_ids(conn, number)
        lines_repo.end_contract(conn, lid)
