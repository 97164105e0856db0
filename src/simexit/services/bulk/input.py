"""Reading a bulk-closure file, streamed row by row: CSV or JSON Lines of MSISDNs or ICCIDs.

Each row names one line (column ``msisdn``, ``iccid`` or ``line``), and may give ``effective_date``
(YYYY-MM-DD), ``reason`` (a reason code) and ``note``. A CSV file without a header is read as
``line, effective_date, reason, note``. A bad row is not an error of the file: it comes out as a
row with an error code, and the rest of the file goes on. A file that cannot be read as rows at all is refused
as a whole, naming the row (and column): not UTF-8 (``BULK_FILE_NOT_UTF8``), a line longer than ``MAX_LINE``
characters (``BULK_LINE_TOO_LONG``), or not CSV (``BULK_FILE_NOT_CSV``, e.g. a quote never closed). Lines end in
LF, CR LF or CR alone; each is a row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from simexit.domain.errors import DomainError, InvalidInput
from simexit.domain.identifiers import normalize_iccid

FORMATS = ("csv", "jsonl")
COLUMNS = ("line", "msisdn", "iccid", "effective_date", "date", "reason", "note")
POSITIONAL = ("line", "effective_date", "reason", "note")
MAX_NOTE = 1000
MAX_LINE = 16_384  # characters: a row is a line, a date, a reason and a note of at most 1,000 characters
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, as the surrogateescape handler keeps them
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_ICCID_LIKE = re.compile(r"89\d{16,18}F?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class BulkRow:
    row_no: int  # the row's line number in the file (1 = the first line)
    line_ref: str  # the MSISDN or ICCID as written
    msisdn: str | None = None  # E.164 when the row names a number already in canonical form, else None
    raw_msisdn: str | None = None  # a number still to normalise (national form, spaces)
    iccid: str | None = None
    effective_date: date | None = None
    reason_code: str | None = None
    note: str | None = None
    error: DomainError | None = None


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return "jsonl" if head.startswith(b"{") else "csv"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def count_rows(path: Path, fmt: str) -> int:
    return sum(1 for _ in _records(path, fmt))


def read_rows(path: Path, fmt: str, reason_codes: tuple[str, ...], *, after_row: int = 0) -> Iterator[BulkRow]:
    """Every row after ``after_row`` (a line number), parsed and checked; bad rows carry ``error``."""
    for row_no, record in _records(path, fmt):
        if row_no > after_row:
            yield _parse(row_no, record, reason_codes)


def _records(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, str] | DomainError]]:
    if fmt not in FORMATS:
        raise InvalidInput("BULK_FORMAT_UNKNOWN", f"unknown file format {fmt!r}", allowed=list(FORMATS))
    # newline="": a row ends in LF, CR LF or CR alone, for the CSV reader and for JSON Lines alike.
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        lines = _checked_lines(fh)
        yield from (_jsonl_records(lines) if fmt == "jsonl" else _csv_records(lines))


def _checked_lines(fh: io.TextIOBase) -> Iterator[str]:
    """The file's lines, each at most ``MAX_LINE`` characters (never more is read into memory) and UTF-8."""
    for n, line in enumerate(iter(lambda: fh.readline(MAX_LINE + 2), ""), start=1):
        if len(line.rstrip("\r\n")) > MAX_LINE:
            raise InvalidInput("BULK_LINE_TOO_LONG", f"row {n} is longer than {MAX_LINE:,} characters; a row names "
                               "one line (and a date, a reason, a note)", row=n)
        if not line.isascii() and (bad := _NOT_UTF8.search(line)) is not None:
            column, byte = bad.start() + 1, ord(bad.group()) - 0xDC00
            raise InvalidInput("BULK_FILE_NOT_UTF8", f"row {n}, column {column}: byte 0x{byte:02x} is not UTF-8; "
                               "save the file as UTF-8", row=n, column=column)
        yield line


def _jsonl_records(fh: Iterator[str]) -> Iterator[tuple[int, dict[str, str] | DomainError]]:
    for n, text in enumerate(fh, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except ValueError as exc:
            yield n, InvalidInput("ROW_NOT_JSON", f"not a JSON object: {exc.args[0]}")
            continue
        except RecursionError:
            yield n, InvalidInput("ROW_NOT_JSON", "not a JSON object: nested too deeply")
            continue
        if not isinstance(obj, dict):
            yield n, InvalidInput("ROW_NOT_JSON", "each line must be a JSON object")
            continue
        yield n, {str(k).lower(): ("" if v is None else str(v)) for k, v in obj.items()}


def _csv_records(fh: Iterator[str]) -> Iterator[tuple[int, dict[str, str] | DomainError]]:
    reader = csv.reader(fh)
    header: tuple[str, ...] | None = None
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInput("BULK_FILE_NOT_CSV", f"row {start}: not CSV ({exc}); is a quote never closed?",
                               row=start) from None
        row_no, start = start, reader.line_num + 1
        if not cells or not any(c.strip() for c in cells):
            continue
        if header is None:
            names = tuple(c.strip().lower() for c in cells)
            if any(n in COLUMNS for n in names):
                header = names
                continue
            header = POSITIONAL
        yield row_no, {k: v for k, v in zip(header, cells, strict=False)}


def _parse(row_no: int, rec: dict[str, str] | DomainError, reason_codes: tuple[str, ...]) -> BulkRow:
    if isinstance(rec, DomainError):
        return BulkRow(row_no, "", error=rec)
    ref = (rec.get("line") or rec.get("msisdn") or rec.get("iccid") or "").strip()
    try:
        if not ref:
            raise InvalidInput("LINE_MISSING", "the row names no line (give an MSISDN or an ICCID)")
        eff = _date(rec.get("effective_date") or rec.get("date"))
        reason = (rec.get("reason") or "").strip() or None
        if reason is not None and reason not in reason_codes:
            raise InvalidInput("REASON_UNKNOWN", f"unknown reason {reason!r}", allowed=list(reason_codes))
        note = (rec.get("note") or "").strip() or None
        if note is not None and len(note) > MAX_NOTE:
            raise InvalidInput("NOTE_TOO_LONG", f"the note has at most {MAX_NOTE} characters")
        compact = ref.replace(" ", "").replace("-", "")
        if _ICCID_LIKE.fullmatch(compact) and not rec.get("msisdn"):
            return BulkRow(row_no, ref[:40], iccid=normalize_iccid(compact), effective_date=eff,
                           reason_code=reason, note=note)
        if _E164.fullmatch(ref):
            return BulkRow(row_no, ref, msisdn=ref, effective_date=eff, reason_code=reason, note=note)
        return BulkRow(row_no, ref[:40], raw_msisdn=ref, effective_date=eff, reason_code=reason, note=note)
    except DomainError as exc:
        return BulkRow(row_no, ref[:40], error=exc)


def _date(value: str | None) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("EFFECTIVE_DATE_INVALID", f"{value!r} is not a date (YYYY-MM-DD)") from None
