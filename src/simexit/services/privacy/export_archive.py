"""Writing a customer's data into a ZIP of JSON and CSV files, streamed: rows go from the database cursor
through the CSV writer into the compressor without being collected (memory stays flat).

CSV files are UTF-8 with a byte-order mark and a header row, so that spreadsheets open them correctly.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from simexit.store import customer_records as records

if TYPE_CHECKING:
    from simexit.store.database import Connection

README = """\
simexit — your data export
==========================

This archive holds everything {brand} keeps about you in simexit, as of {built_at} (UTC).
Every time is in UTC (ISO 8601). Amounts are integers in minor units (cents, fen) with a currency.
CSV files are UTF-8 with a header row and open directly in a spreadsheet.

customer.json         Your identity record: name, type of ID document, e-mail, contact phone, language.
                      The ID number is never stored whole: only a keyed hash (to check it) and its last
                      4 characters, shown here as id_number_masked.
lines.csv             Your lines: phone number (MSISDN), SIM card number (ICCID), IMSI, kind (sim, esim,
                      data), payment, plan, contract dates, status, activation and closing times.
balance_ledger.csv    Every movement of your prepaid balance: + credit, - debit, kind and reference.
bills.csv             Your bills: period, amount, currency, due date and when it was paid.
usage_records.csv     Calls, SMS and data sessions: kind, start time, direction, the other number,
                      duration in seconds (calls) and volume in bytes (data).
service_bindings.csv  Services bound to your number (banks, apps), and when they were unbound.
devices.csv           Devices bound to your line: name, IMEI, EID, when bound and unbound.
esim_profiles.csv     eSIM profiles of your lines: ICCID, EID of the device, state at the eSIM server.
applications.json     Your applications to close a line, each with its quote, findings and timeline.
manifest.json         The number of records in each file.
"""


def _cell(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def _json_default(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def _open_text(zf: zipfile.ZipFile, name: str, *, bom: bool = False) -> IO[str]:
    raw = zf.open(name, "w", force_zip64=True)
    return io.TextIOWrapper(raw, encoding="utf-8-sig" if bom else "utf-8", newline="")


def _write_csv(zf: zipfile.ZipFile, name: str, header: list[str], rows: Iterable[Mapping[str, Any]]) -> int:
    n = 0
    with _open_text(zf, name, bom=True) as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([_cell(r[c]) for c in header])
            n += 1
    return n


def _identity(row: Mapping[str, Any]) -> dict[str, Any]:
    last4 = row["id_last4"]
    return {"customer_ref": row["customer_ref"], "brand": row["brand"], "name": row["name"],
            "id_type": row["id_type"], "id_number_masked": f"****{last4}" if last4 else None,
            "email": row["email"], "contact_phone": row["contact_phone"], "locale": row["locale"],
            "identity_verified": row["identity_verified"], "created_at": row["created_at"]}


def _application(conn: Connection, a: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("application_no", "brand", "msisdn", "status", "channel", "identity_method", "reason_code",
            "reason_text", "consequences", "refund_method", "refund_destination", "requested_effective_date",
            "effective_date", "quote", "findings", "review_due_at", "submitted_at", "decided_at",
            "rejection_reasons")
    timeline = [{k: e[k] for k in ("at", "event", "from_status", "to_status", "actor_type", "actor_role",
                                   "channel", "note")} for e in records.application_events_of(conn, a["id"])]
    return {**{k: a[k] for k in keys}, "timeline": timeline}


def write_archive(conn: Connection, customer_id: int, path: Path, built_at: datetime) -> dict[str, int]:
    """Write the archive for ``customer_id`` to ``path``; return the number of records per file."""
    cust = records.customer(conn, customer_id)
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("README.txt", README.format(brand=cust["brand"], built_at=built_at.isoformat()))
        with _open_text(zf, "customer.json") as fh:
            json.dump(_identity(cust), fh, ensure_ascii=False, indent=2, default=_json_default)
        counts["customer.json"] = 1
        for stem, header, rows in records.exported_files(conn, customer_id):
            counts[f"{stem}.csv"] = _write_csv(zf, f"{stem}.csv", header, rows)
        n = 0
        with _open_text(zf, "applications.json") as fh:
            fh.write("[")
            for a in records.application_rows(conn, customer_id):
                fh.write(",\n" if n else "\n")
                json.dump(_application(conn, a), fh, ensure_ascii=False, default=_json_default)
                n += 1
            fh.write("\n]\n")
        counts["applications.json"] = n
        zf.writestr("manifest.json", json.dumps({"built_at": built_at.isoformat(), "files": counts}, indent=2))
    return counts
