"""Reads of everything held about one customer, streamed in keyset-paginated chunks (exports, erasure)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Column, Connection, RowMapping, Table, select

from simexit.domain.errors import NotFound
from simexit.domain.identifiers import normalize_msisdn
from simexit.store.tables import (
    accounts,
    application_events,
    applications,
    balance_ledger,
    bills,
    brands,
    customers,
    devices,
    esim_profiles,
    lines,
    service_bindings,
    usage_records,
)

CHUNK = 1000


def customer_for_msisdn(conn: Connection, msisdn: str) -> int:
    try:
        number = normalize_msisdn(msisdn)
    except Exception:
        number = msisdn
    cid = conn.execute(select(accounts.c.customer_id).join(lines, lines.c.account_id == accounts.c.id)
                       .where(lines.c.msisdn == number)).scalar_one_or_none()
    if cid is None:
        raise NotFound("LINE_NOT_FOUND", "no line with that number")
    return cid


def customer(conn: Connection, customer_id: int) -> RowMapping:
    row = conn.execute(select(customers, brands.c.code.label("brand"))
                       .join(brands, brands.c.id == customers.c.brand_id)
                       .where(customers.c.id == customer_id)).mappings().first()
    if row is None:
        raise NotFound("CUSTOMER_NOT_FOUND", f"no customer {customer_id}")
    return row


def account_ids(conn: Connection, customer_id: int) -> list[int]:
    return list(conn.execute(select(accounts.c.id).where(accounts.c.customer_id == customer_id)
                             .order_by(accounts.c.id)).scalars())


def line_ids(conn: Connection, customer_id: int) -> list[int]:
    return list(conn.execute(select(lines.c.id).join(accounts, accounts.c.id == lines.c.account_id)
                             .where(accounts.c.customer_id == customer_id).order_by(lines.c.id)).scalars())


def iter_rows(conn: Connection, table: Table, columns: Sequence[Column[Any]], owner: Column[Any],
              owner_ids: Sequence[int], chunk: int = CHUNK) -> Iterator[RowMapping]:
    """Rows of ``table`` whose ``owner`` column is one of ``owner_ids``, by owner then id, ``chunk`` rows per
    query.

    Keyset pagination (``owner = x AND id > last``, served by an (owner, id) index) works the same on SQLite
    and PostgreSQL, stays fast at any depth and never holds more than one chunk in memory.
    """
    for owner_id in owner_ids:
        last = 0
        while True:
            rows = conn.execute(select(table.c.id, *columns).where(owner == owner_id, table.c.id > last)
                                .order_by(table.c.id).limit(chunk)).mappings().all()
            yield from rows
            if len(rows) < chunk:
                break
            last = rows[-1]["id"]


# What an export writes, one file per table: (file stem, table, owner column, "line" or "account" owner).
EXPORTED_TABLES: list[tuple[str, Table, Column[Any], str]] = [
    ("lines", lines, lines.c.account_id, "account"),
    ("balance_ledger", balance_ledger, balance_ledger.c.account_id, "account"),
    ("bills", bills, bills.c.account_id, "account"),
    ("usage_records", usage_records, usage_records.c.line_id, "line"),
    ("service_bindings", service_bindings, service_bindings.c.line_id, "line"),
    ("devices", devices, devices.c.line_id, "line"),
    ("esim_profiles", esim_profiles, esim_profiles.c.line_id, "line"),
]


def exported_files(conn: Connection, customer_id: int) -> Iterator[tuple[str, list[str], Iterator[RowMapping]]]:
    """For each file an export writes from a table: (file stem, header, the customer's rows streamed)."""
    owned_accounts, owned_lines = account_ids(conn, customer_id), line_ids(conn, customer_id)
    for stem, table, owner, owner_kind in EXPORTED_TABLES:
        cols = [c for c in table.columns if c.name != "id"]
        ids = owned_lines if owner_kind == "line" else owned_accounts
        yield stem, ["id", *[c.name for c in cols]], iter_rows(conn, table, cols, owner, ids)


def msisdn_of_line(conn: Connection, line_id: int) -> str:
    return conn.execute(select(lines.c.msisdn).where(lines.c.id == line_id)).scalar_one()


def application_rows(conn: Connection, customer_id: int) -> list[RowMapping]:
    return conn.execute(select(applications, brands.c.code.label("brand"), lines.c.msisdn)
                        .join(brands, brands.c.id == applications.c.brand_id)
                        .join(lines, lines.c.id == applications.c.line_id)
                        .where(applications.c.customer_id == customer_id)
                        .order_by(applications.c.id)).mappings().all()


def application_events_of(conn: Connection, application_id: int) -> list[RowMapping]:
    return conn.execute(select(application_events).where(application_events.c.application_id == application_id)
                        .order_by(application_events.c.id)).mappings().all()
