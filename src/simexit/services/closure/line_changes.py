"""Changes to a line's facts that clear blockers: what billing, CRM or the customer's own action
records (a bill paid, a service unbound, a device unbound, identity verified, a port-out cancelled).

The portal's "fix it" actions and the test data changes go through these, never through raw SQL.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from simexit.domain.errors import NotFound
from simexit.domain.identifiers import mask_msisdn
from simexit.services.closure.precheck import resolve_msisdn
from simexit.services.context import Simexit
from simexit.store.tables import accounts, balance_ledger, bills, customers, devices, lines, service_bindings


def _line(conn: Connection, msisdn: str) -> tuple[int, int, int]:
    row = conn.execute(
        select(lines.c.id, lines.c.account_id, accounts.c.customer_id)
        .join(accounts, accounts.c.id == lines.c.account_id).where(lines.c.msisdn == msisdn)
    ).first()
    if row is None:
        raise NotFound("LINE_NOT_FOUND", f"no line with number {mask_msisdn(msisdn)}")
    return row.id, row.account_id, row.customer_id


def pay_bills(app: Simexit, msisdn: str, reference: str = "payment") -> int:
    """Mark every unpaid bill of the line's account paid. Returns the amount paid (minor units)."""
    number = resolve_msisdn(app, msisdn)
    with app.db.write() as conn:
        _lid, aid, _cid = _line(conn, number)
        now = app.clock.now()
        open_bills = conn.execute(select(bills.c.id, bills.c.amount_minor, bills.c.currency)
                                  .where(bills.c.account_id == aid, bills.c.paid_at.is_(None))).all()
        for b in open_bills:
            conn.execute(update(bills).where(bills.c.id == b.id).values(paid_at=now))
        total = sum(b.amount_minor for b in open_bills)
        if open_bills:
            # The payment and the bill cancel out in the ledger: the balance is unchanged.
            cur = open_bills[0].currency
            conn.execute(insert(balance_ledger), [
                {"account_id": aid, "at": now, "amount_minor": total, "currency": cur, "kind": "topup",
                 "reference": reference},
                {"account_id": aid, "at": now, "amount_minor": -total, "currency": cur, "kind": "usage",
                 "reference": "bills settled"},
            ])
        return total


def unbind_service(app: Simexit, msisdn: str, service: str | None = None) -> int:
    """Record that a third-party service (or all, if None) no longer uses the number."""
    number = resolve_msisdn(app, msisdn)
    with app.db.write() as conn:
        lid, _aid, _cid = _line(conn, number)
        q = update(service_bindings).where(service_bindings.c.line_id == lid, service_bindings.c.unbound_at.is_(None))
        if service is not None:
            q = q.where(service_bindings.c.service == service)
        return conn.execute(q.values(unbound_at=app.clock.now())).rowcount


def unbind_device(app: Simexit, msisdn: str, device_id: int | None = None) -> int:
    number = resolve_msisdn(app, msisdn)
    with app.db.write() as conn:
        lid, _aid, _cid = _line(conn, number)
        q = update(devices).where(devices.c.line_id == lid, devices.c.unbound_at.is_(None))
        if device_id is not None:
            q = q.where(devices.c.id == device_id)
        return conn.execute(q.values(unbound_at=app.clock.now())).rowcount


def mark_identity_verified(app: Simexit, msisdn: str) -> None:
    number = resolve_msisdn(app, msisdn)
    with app.db.write() as conn:
        _lid, _aid, cid = _line(conn, number)
        conn.execute(update(customers).where(customers.c.id == cid).values(identity_verified=True))


def cancel_port_out(app: Simexit, msisdn: str) -> None:
    number = resolve_msisdn(app, msisdn)
    with app.db.write() as conn:
        lid, _aid, _cid = _line(conn, number)
        conn.execute(update(lines).where(lines.c.id == lid).values(port_out_pending=False))


def end_contract(app: Simexit, msisdn: str) -> None:
    """The contract term is over (or the operator waives it)."""
    number = resolve_msisdn(app, msisdn)
    with app.db.write() as conn:
        lid, _aid, _cid = _line(conn, number)
        conn.execute(update(lines).where(lines.c.id == lid).values(contract_end=None, contract_start=None))
