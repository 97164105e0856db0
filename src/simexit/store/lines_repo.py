"""Lines: the scoped list, and the changes to a line's facts that clear blockers (a bill paid, a service or device
unbound, identity verified, a port-out cancelled, the contract ended)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from simexit.domain.errors import NotFound
from simexit.domain.identifiers import mask_msisdn
from simexit.store.tables import accounts, balance_ledger, bills, brands, customers, devices, lines, service_bindings


def list_lines(conn: Connection, *, brand_id: int | None = None, brand_ids: Sequence[int] | None = None,
               customer_id: int | None = None, status: str | None = None, kind: str | None = None,
               limit: int = 1000, offset: int = 0) -> list[dict]:
    q = (select(lines.c.msisdn, lines.c.iccid, lines.c.kind, lines.c.payment, lines.c.plan, lines.c.status,
                lines.c.number_keeping, brands.c.code.label("brand"), brands.c.card_kind)
         .join(brands, brands.c.id == lines.c.brand_id).order_by(lines.c.id).limit(limit).offset(offset))
    if brand_id is not None:
        q = q.where(lines.c.brand_id == brand_id)
    if customer_id is not None:
        q = q.join(accounts, accounts.c.id == lines.c.account_id).where(accounts.c.customer_id == customer_id)
    if brand_ids is not None:
        q = q.where(lines.c.brand_id.in_(list(brand_ids)))
    if status is not None:
        q = q.where(lines.c.status == status)
    if kind is not None:
        q = q.where(lines.c.kind == kind)
    return [dict(r) for r in conn.execute(q).mappings()]


def line_ids(conn: Connection, msisdn: str) -> tuple[int, int, int]:
    """(line id, account id, customer id) of the line with this number."""
    row = conn.execute(
        select(lines.c.id, lines.c.account_id, accounts.c.customer_id)
        .join(accounts, accounts.c.id == lines.c.account_id).where(lines.c.msisdn == msisdn)
    ).first()
    if row is None:
        raise NotFound("LINE_NOT_FOUND", f"no line with number {mask_msisdn(msisdn)}")
    return row.id, row.account_id, row.customer_id


def open_line_brand(conn: Connection, msisdn: str) -> str | None:
    """The brand code of the line with this number if it is not closed."""
    return conn.execute(select(brands.c.code).join(lines, lines.c.brand_id == brands.c.id)
                        .where(lines.c.msisdn == msisdn, lines.c.status != "closed")).scalar_one_or_none()


def pay_bills(conn: Connection, account_id: int, now: datetime, reference: str) -> int:
    open_bills = conn.execute(select(bills.c.id, bills.c.amount_minor, bills.c.currency)
                              .where(bills.c.account_id == account_id, bills.c.paid_at.is_(None))).all()
    for b in open_bills:
        conn.execute(update(bills).where(bills.c.id == b.id).values(paid_at=now))
    total = sum(b.amount_minor for b in open_bills)
    if open_bills:
        # The payment and the bill cancel out in the ledger: the balance is unchanged.
        cur = open_bills[0].currency
        conn.execute(insert(balance_ledger), [
            {"account_id": account_id, "at": now, "amount_minor": total, "currency": cur, "kind": "topup",
             "reference": reference},
            {"account_id": account_id, "at": now, "amount_minor": -total, "currency": cur, "kind": "usage",
             "reference": "bills settled"},
        ])
    return total


def unbind_services(conn: Connection, line_id: int, now: datetime, service: str | None = None) -> int:
    q = update(service_bindings).where(service_bindings.c.line_id == line_id, service_bindings.c.unbound_at.is_(None))
    if service is not None:
        q = q.where(service_bindings.c.service == service)
    return conn.execute(q.values(unbound_at=now)).rowcount


def unbind_devices(conn: Connection, line_id: int, now: datetime, device_id: int | None = None) -> int:
    q = update(devices).where(devices.c.line_id == line_id, devices.c.unbound_at.is_(None))
    if device_id is not None:
        q = q.where(devices.c.id == device_id)
    return conn.execute(q.values(unbound_at=now)).rowcount


def mark_identity_verified(conn: Connection, customer_id: int) -> None:
    conn.execute(update(customers).where(customers.c.id == customer_id).values(identity_verified=True))


def cancel_port_out(conn: Connection, line_id: int) -> None:
    conn.execute(update(lines).where(lines.c.id == line_id).values(port_out_pending=False))


def end_contract(conn: Connection, line_id: int) -> None:
    conn.execute(update(lines).where(lines.c.id == line_id).values(contract_end=None, contract_start=None))
