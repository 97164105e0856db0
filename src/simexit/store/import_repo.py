"""SQL of the JSON Lines import: looking up what a record refers to, and inserting customers, accounts, lines,
numbers, balances, bills, bindings, devices, eSIM profiles and usage, in the importer's one transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, insert, select

from simexit.store.tables import (
    accounts,
    balance_ledger,
    bills,
    customers,
    devices,
    esim_profiles,
    lines,
    numbers,
    service_bindings,
    usage_records,
)


def customer_account(conn: Connection, brand_id: int, ref: str) -> tuple[int, int, str] | None:
    """(customer id, account id, currency) of the customer ``ref`` of a brand."""
    row = conn.execute(
        select(customers.c.id, accounts.c.id.label("account_id"), accounts.c.currency)
        .join(accounts, accounts.c.customer_id == customers.c.id)
        .where(customers.c.brand_id == brand_id, customers.c.customer_ref == ref)
    ).first()
    return None if row is None else (row.id, row.account_id, row.currency)


def line_account(conn: Connection, msisdn: str) -> tuple[int, int, str] | None:
    """(line id, account id, currency) of the line with this MSISDN."""
    row = conn.execute(
        select(lines.c.id, lines.c.account_id, accounts.c.currency)
        .join(accounts, accounts.c.id == lines.c.account_id).where(lines.c.msisdn == msisdn)
    ).first()
    return None if row is None else (row.id, row.account_id, row.currency)


def customer_exists(conn: Connection, brand_id: int, ref: str) -> bool:
    return conn.execute(select(customers.c.id).where(customers.c.brand_id == brand_id,
                                                     customers.c.customer_ref == ref)).first() is not None


def customer_ref_exists(conn: Connection, ref: str) -> bool:
    """Whether any brand has a customer ``ref`` (the demo data's marker)."""
    return conn.execute(select(customers.c.id).where(customers.c.customer_ref == ref).limit(1)).first() is not None


def line_exists(conn: Connection, *, msisdn: str | None = None, iccid: str | None = None) -> bool:
    col, value = (lines.c.msisdn, msisdn) if msisdn is not None else (lines.c.iccid, iccid)
    return conn.execute(select(lines.c.id).where(col == value)).first() is not None


def esim_profile_exists(conn: Connection, iccid: str) -> bool:
    return conn.execute(select(esim_profiles.c.id).where(esim_profiles.c.iccid == iccid)).first() is not None


def _insert_id(conn: Connection, table: Table, values: dict[str, Any]) -> int:
    return conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one()


def insert_customer(conn: Connection, values: dict[str, Any]) -> int:
    return _insert_id(conn, customers, values)


def insert_account(conn: Connection, values: dict[str, Any]) -> int:
    return _insert_id(conn, accounts, values)


def insert_line(conn: Connection, values: dict[str, Any]) -> int:
    return _insert_id(conn, lines, values)


def insert_number(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(numbers).values(**values))


def insert_balance(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(balance_ledger).values(**values))


def insert_bill(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(bills).values(**values))


def insert_binding(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(service_bindings).values(**values))


def insert_device(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(devices).values(**values))


def insert_esim_profile(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(esim_profiles).values(**values))


def insert_usage(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(usage_records), rows)
