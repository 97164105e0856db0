"""Who owns a line, for sign-in: the customer of an open line, their lines, their ID tail hash."""

from __future__ import annotations

from sqlalchemy import Connection, RowMapping, select

from simexit.store.tables import accounts, brands, customers, lines


def owner_of_open_line(conn: Connection, msisdn: str) -> RowMapping | None:
    """``customer_id``, ``locale`` and brand ``code`` of the customer whose line (not closed) has the number."""
    return conn.execute(
        select(accounts.c.customer_id, customers.c.locale, brands.c.code)
        .join(lines, lines.c.account_id == accounts.c.id).join(customers, customers.c.id == accounts.c.customer_id)
        .join(brands, brands.c.id == lines.c.brand_id)
        .where(lines.c.msisdn == msisdn, lines.c.status != "closed")).mappings().first()


def numbers_of_customer(conn: Connection, customer_id: int) -> list[str]:
    return list(conn.execute(select(lines.c.msisdn).join(accounts, accounts.c.id == lines.c.account_id)
                             .where(accounts.c.customer_id == customer_id).order_by(lines.c.id)).scalars())


def id_tail_record(conn: Connection, customer_id: int) -> RowMapping | None:
    """``id_type`` and ``id_tail_hash`` of the customer (to check the second factor)."""
    return conn.execute(select(customers.c.id_type, customers.c.id_tail_hash)
                        .where(customers.c.id == customer_id)).mappings().first()
