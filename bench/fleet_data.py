"""Many lines, loaded fast (executemany on SQLite, COPY on PostgreSQL), for the benchmarks.

Line i gets brand ``brands[i % len(brands)]``, number ``msisdn(brand, i)`` and a realistic mix of
situations: about 4 % with unpaid bills, 3 % with bound services, 2 % with bound devices, 2 % not
identity-verified, 1 % with a port-out pending; every other eSIM line has a profile at the SM-DP+.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

KIND = {"K1": "esim", "K2": "esim", "K3": "sim", "K4": "data", "K5": "esim", "K6": "sim"}
PREFIX = {"CN": "+86139{:08d}", "DE": "+49151{:08d}", "EU": "+49151{:08d}", "US": "+1212{:07d}"}
T = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
BATCH = 20_000


def msisdn(jurisdiction: str, i: int) -> str:
    return PREFIX[jurisdiction].format(i + (2_000_000 if jurisdiction == "US" else 0))


def iccid(i: int, prefix: str = "8949") -> str:
    body = f"{prefix}{i:014d}"
    total = 0
    for k, ch in enumerate(reversed(body)):  # the check digit's neighbour is doubled
        d = (ord(ch) - 48) * (2 if k % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def _tables(app: Any, n: int, brand_codes: list[str], pg: bool) -> dict[str, Iterator[tuple]]:
    info = [(app.brand_id(c), app.policy(c).brand) for c in brand_codes]
    conv = (lambda v: v) if pg else _sqlite_value
    T_, OCT1, OCT31, NOV10, MAR1 = (conv(v) for v in (T, date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 10),
                                                      date(2025, 3, 1)))

    def customers():
        for i in range(1, n + 1):
            bid, _b = info[i % len(info)]
            yield (i, bid, f"b{i}", "Fleet Customer", "passport", None, f"{i % 10000:04d}", None, None, "en",
                   i % 50 != 7, T_, None)

    def accounts():
        for i in range(1, n + 1):
            yield (i, i, f"a{i}", info[i % len(info)][1].currency, "open", None)

    def lines():
        for i in range(1, n + 1):
            bid, b = info[i % len(info)]
            yield (i, bid, i, msisdn(b.jurisdiction, i), iccid(i), None, KIND[b.card_kind], "prepaid", "IoT 1GB",
                   b.card_kind == "K3", None, None, 0, "active", None, i % 100 == 42, T_, None)

    def balances():
        for i in range(1, n + 1):
            yield (i, i, T_, 500 + i % 3000, info[i % len(info)][1].currency, "opening", None)

    def bills():
        for k, i in enumerate(range(3, n + 1, 25), start=1):
            yield (k, i, i, OCT1, OCT31, 1990, info[i % len(info)][1].currency, NOV10, None)

    def bindings():
        for k, i in enumerate(range(5, n + 1, 33), start=1):
            yield (k, i, "WeChat", MAR1, None)

    def devices():
        for k, i in enumerate(range(11, n + 1, 50), start=1):
            yield (k, i, "Tracker", None, None, T_, None)

    def profiles():
        k = 0
        for i in range(1, n + 1, 2):
            _bid, b = info[i % len(info)]
            if KIND[b.card_kind] == "esim":
                k += 1
                yield (k, i, iccid(i, "8986"), None, "Installed" if i % 40 == 1 else "Released", T_)

    return {"customers": customers(), "accounts": accounts(), "lines": lines(), "balance_ledger": balances(),
            "bills": bills(), "service_bindings": bindings(), "devices": devices(), "esim_profiles": profiles()}


COLUMNS = {
    "customers": "id, brand_id, customer_ref, name, id_type, id_hash, id_last4, email, contact_phone, locale, "
                 "identity_verified, created_at, erased_at",
    "accounts": "id, customer_id, account_ref, currency, status, closed_at",
    "lines": "id, brand_id, account_id, msisdn, iccid, imsi, kind, payment, plan, number_keeping, contract_start, "
             "contract_end, early_termination_fee_minor, status, last_sim_change_at, port_out_pending, "
             "activated_at, closed_at",
    "balance_ledger": "id, account_id, at, amount_minor, currency, kind, reference",
    "bills": "id, account_id, line_id, period_start, period_end, amount_minor, currency, due_date, paid_at",
    "service_bindings": "id, line_id, service, since, unbound_at",
    "devices": "id, line_id, name, imei, eid, bound_at, unbound_at",
    "esim_profiles": "id, line_id, iccid, eid, state, updated_at",
}


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return int(v)
    return v


def load_fleet(app: Any, n: int, brand_codes: list[str]) -> dict[str, int]:
    """Insert ``n`` customers, accounts and lines (and their facts) into an empty database; rows per table."""
    counts: dict[str, int] = {}
    raw = app.db.engine.raw_connection()
    try:
        pg = app.db.dialect == "postgresql"
        dbapi = raw.driver_connection
        cur = dbapi.cursor()
        if not pg:
            cur.execute("BEGIN")
        for table, rows in _tables(app, n, brand_codes, pg).items():
            cols = COLUMNS[table]
            counts[table] = 0
            if pg:
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
                        counts[table] += 1
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"GREATEST((SELECT max(id) FROM {table}), 1))")
            else:
                marks = ", ".join("?" * len(cols.split(",")))
                while batch := list(islice(rows, BATCH)):
                    cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                                    batch)
                    counts[table] += len(batch)
        if pg:
            dbapi.commit()
            cur.execute("ANALYZE")
        else:
            cur.execute("COMMIT")
            cur.execute("ANALYZE")
        cur.close()
    finally:
        raw.close()
    return counts
