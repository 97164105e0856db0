"""Use case: close many lines from one file (enterprise and IoT fleets, a brand being shut down).

The file is streamed and processed in chunks. For each chunk, in one transaction: the facts of all
its lines are loaded with a few queries (``many_line_facts``), the same pure rules as a single
application decide each line in memory (``compute_quote``, ``evaluate``, ``check_confirmed``, the
identity and refund checks), the new applications, their timeline events and one item per row are
inserted with ``executemany``, and the batch's progress moves on. A crash loses at most the chunk in
flight; running the same file again skips the rows already committed (the batch id is derived from
the file's SHA-256), and a line that already has an open application gets that application back.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simexit.domain.business_days import BusinessCalendar
from simexit.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from simexit.domain.facts import LineFacts
from simexit.domain.identity import IdentityMethod, check_method
from simexit.domain.policy import CHANNELS
from simexit.services.bulk.decision import BulkOptions, decide
from simexit.services.bulk.input import BulkRow, count_rows, detect_format, file_sha256, read_rows
from simexit.services.closure.applications import REASON_CODES
from simexit.services.closure.precheck import resolve_msisdn
from simexit.services.context import Simexit
from simexit.services.execution.scheduling import schedule_executions
from simexit.store import applications_repo
from simexit.store import bulk_repo as repo

if TYPE_CHECKING:
    from simexit.store.database import Connection

DEFAULT_CHUNK = 2000
RESULT_FIELDS = ("row", "line", "outcome", "application_no", "status", "codes", "message")
Progress = Callable[[int, int], None]


@dataclass
class _Chunk:
    apps: list[dict[str, Any]] = field(default_factory=list)
    app_rows: list[int] = field(default_factory=list)  # index into items of each new application
    events: list[list[dict[str, Any]]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)


def _check_options(opts: BulkOptions) -> IdentityMethod:
    if opts.channel not in CHANNELS:
        raise InvalidInput("CHANNEL_UNKNOWN", f"unknown channel {opts.channel!r}", allowed=list(CHANNELS))
    return check_method(opts.channel, opts.identity_method, opts.staff_ref)


def start_batch(app: Simexit, path: Path, opts: BulkOptions, *, fmt: str | None = None) -> dict[str, Any]:
    """Register the file as a batch (or find the batch it already is); nothing is applied yet."""
    _check_options(opts)
    if not path.is_file():
        raise NotFound("BULK_FILE_NOT_FOUND", f"no file {path.name}")
    fmt = fmt or detect_format(path)
    digest = _batch_key(file_sha256(path), opts)
    with app.db.read() as conn:
        existing = repo.find_batch_by_hash(conn, digest)
    if existing is not None:
        if existing["options"] != opts.to_json():
            raise Conflict("BATCH_OPTIONS_DIFFER", f"this file is batch {existing['id']}, started with other "
                           "options (channel, staff, identity, confirmations or refund)", batch_id=existing["id"])
        return batch_progress(app, existing["id"])
    total = count_rows(path, fmt)
    batch_id = f"B-{digest[:20]}"
    now = app.clock.now()
    with app.db.write() as conn:
        # False: started at the same moment by someone else, the same batch
        repo.insert_batch(conn, dict(
            id=batch_id, file_sha256=digest, file_name=path.name[:255], file_format=fmt,
            options=opts.to_json(), state="running", total_rows=total, rows_done=0, last_row=0, counts={},
            created_by=opts.staff_ref, created_at=now, updated_at=now,
        ))
    return batch_progress(app, batch_id)


def _batch_key(file_digest: str, opts: BulkOptions) -> str:
    """The file's SHA-256; for a batch limited to a staff member's brands (the API), the hash of the uploader
    and the file's: the same file uploaded by another staff member is another batch, invisible to the first."""
    if opts.brands is None:
        return file_digest
    return hashlib.sha256(f"{opts.staff_ref}\n{file_digest}".encode()).hexdigest()


def run_batch(app: Simexit, batch_id: str, path: Path, *, progress: Progress | None = None,
              chunk_size: int = DEFAULT_CHUNK) -> dict[str, Any]:
    """Apply for every row not yet done, chunk by chunk (one transaction each); resumable at any point."""
    with app.db.read() as conn:
        batch = repo.get_batch(conn, batch_id)
    if batch["state"] == "done":
        return batch_progress(app, batch_id)
    opts = BulkOptions(**batch["options"])
    if _batch_key(file_sha256(path), opts) != batch["file_sha256"]:
        raise Conflict("BATCH_FILE_CHANGED", f"{path.name} is not the file batch {batch_id} was started with")
    method = _check_options(opts)
    calendars: dict[str, BusinessCalendar] = {}
    done = batch["rows_done"]
    if progress:
        progress(done, batch["total_rows"])
    rows = read_rows(path, batch["file_format"], REASON_CODES, after_row=batch["last_row"])
    for chunk in _chunks(rows, chunk_size):
        for attempt in range(3):
            try:
                with app.db.write() as conn:
                    done = _process_chunk(app, conn, batch_id, opts, method, chunk, calendars)
                break
            except repo.RowTaken:
                # A line got an open application meanwhile (another apply), or an application number was
                # taken: the chunk was rolled back as a whole; read the facts again and redo it.
                if attempt == 2:
                    raise
        if progress:
            progress(done, batch["total_rows"])
    now = app.clock.now()
    with app.db.write() as conn:
        repo.update_batch(conn, batch_id, state="done", finished_at=now, updated_at=now)
    return batch_progress(app, batch_id)


def close_file(app: Simexit, path: Path, opts: BulkOptions, *, out: Path | None = None,
               progress: Progress | None = None, chunk_size: int = DEFAULT_CHUNK) -> dict[str, Any]:
    """Start (or resume) the batch of ``path``, run it, and write the result file; the batch's progress."""
    batch = start_batch(app, path, opts)
    result = run_batch(app, batch["batch_id"], path, progress=progress, chunk_size=chunk_size)
    if out is not None:
        write_results(app, batch["batch_id"], out)
        result["result_file"] = str(out)
    return result


def batch_progress(app: Simexit, batch_id: str) -> dict[str, Any]:
    with app.db.read() as conn:
        return progress_of(repo.get_batch(conn, batch_id))


def progress_of(b: Mapping[str, Any]) -> dict[str, Any]:
    """A batch row's progress, as the doors show it."""
    return {"batch_id": b["id"], "state": b["state"], "file_name": b["file_name"], "total": b["total_rows"],
            "done": b["rows_done"], "counts": dict(b["counts"]), "created_at": b["created_at"].isoformat(),
            "finished_at": b["finished_at"].isoformat() if b["finished_at"] else None}


def batch_results(app: Simexit, batch_id: str, *, after_row: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
    """One page of results in row order (pass the last ``row`` seen as ``after_row`` for the next page)."""
    with app.db.read() as conn:
        repo.get_batch(conn, batch_id)
        return results_page(conn, batch_id, after_row=after_row, limit=limit)


def results_page(conn: Connection, batch_id: str, *, after_row: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
    return [_result(r) for r in repo.iter_items(conn, batch_id, after_row=after_row, limit=limit)]


def write_results(app: Simexit, batch_id: str, out: Path) -> int:
    """Write one row per input row (CSV, or JSON Lines when ``out`` ends in .jsonl); the rows written."""
    with app.db.read() as conn:
        repo.get_batch(conn, batch_id)
        return write_result_file(conn, batch_id, out)


def write_result_file(conn: Connection, batch_id: str, out: Path) -> int:
    n = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        as_jsonl = out.suffix.lower() in (".jsonl", ".ndjson")
        writer = None if as_jsonl else csv.DictWriter(fh, fieldnames=RESULT_FIELDS)
        if writer:
            writer.writeheader()
        for item in repo.iter_items(conn, batch_id):
            r = _result(item)
            if writer:
                writer.writerow({k: spreadsheet_safe(v) for k, v in {**r, "codes": ";".join(r["codes"])}.items()})
            else:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+")


def spreadsheet_safe(value: Any) -> Any:
    """A CSV field a spreadsheet will not run as a formula: a text starting with ``= + - @``, a tab or a CR gets
    a leading ``'`` (OWASP's advice). A plain number such as an E.164 MSISDN (``+8613800000000``) stays as it
    is: digits alone cannot call anything, and the operator's numbers must stay readable."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _result(item: Any) -> dict[str, Any]:
    return {"row": item["row_no"], "line": item["line_ref"], "outcome": item["outcome"],
            "application_no": item["application_no"], "status": item["status"],
            "codes": item["codes"].split(";") if item["codes"] else [], "message": item["message"]}


def _chunks(rows: Iterable[BulkRow], size: int) -> Iterator[list[BulkRow]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _process_chunk(app: Simexit, conn: Connection, batch_id: str, opts: BulkOptions, method: IdentityMethod,
                   rows: list[BulkRow], calendars: dict[str, BusinessCalendar]) -> int:
    batch = repo.get_batch(conn, batch_id, for_update=True)
    if batch["last_row"] >= rows[-1].row_no:
        return batch["rows_done"]  # another run of the same batch did this chunk meanwhile
    rows = [r for r in rows if r.row_no > batch["last_row"]]
    now = app.clock.now()
    msisdns = _resolve(app, conn, rows)
    source = app.facts_source(conn)
    wanted = {m for m in msisdns if isinstance(m, str)}
    many = getattr(source, "many_line_facts", None)
    facts = many(sorted(wanted)) if many else _one_by_one(source, wanted)
    opened: dict[int, tuple[str, str]] = {}  # line id -> (application number, status) opened in this chunk
    out = _Chunk()
    for row, msisdn in zip(rows, msisdns, strict=True):
        item = dict(batch_id=batch_id, row_no=row.row_no, line_ref=row.line_ref, line_id=None, outcome="invalid",
                    application_id=None, application_no=None, status=None, codes=None, message=None)
        out.items.append(item)
        if isinstance(msisdn, DomainError) or row.error is not None:
            err = row.error or msisdn
            item.update(codes=err.code, message=err.message)
            continue
        f = facts.get(msisdn) if msisdn else None
        if f is not None and not opts.permits(f.brand):
            f = None  # outside the staff member's brands: the same answer as a line that does not exist
        if f is None:
            err = _invalid_number(app, row)
            if err is not None:
                item.update(codes=err.code, message=err.message)
            else:
                item.update(outcome="refused", codes="LINE_NOT_FOUND", message="no such line")
            continue
        item["line_id"] = f.line_id
        seen = opened.get(f.line_id) or (
            (f.open_application.application_no, f.open_application.status) if f.open_application else None)
        if seen is not None:
            item.update(outcome="already_open", application_no=seen[0], status=seen[1])
            continue
        try:
            app_row, events, status = decide(app, conn, batch_id, opts, method, row, f, now, calendars)
        except DomainError as e:
            blockers = [x["code"] for x in e.data.get("findings", ())] if e.code == "PRECHECK_BLOCKED" else None
            item.update(outcome="blocked" if blockers else "refused", codes=";".join(blockers or [e.code])[:200],
                        message=e.message)
            continue
        opened[f.line_id] = (app_row["application_no"], status)
        item.update(outcome="applied", application_no=app_row["application_no"], status=status)
        out.apps.append(app_row)
        out.app_rows.append(len(out.items) - 1)
        out.events.append(events)
    ids = repo.insert_applications(conn, out.apps)
    flat_events = []
    for app_id, idx, events in zip(ids, out.app_rows, out.events, strict=True):
        out.items[idx]["application_id"] = app_id
        for e in events:
            flat_events.append({**e, "application_id": app_id})
    repo.insert_events(conn, flat_events)
    applications_repo.audit_events(conn, ((a["application_no"], e) for a, events in zip(out.apps, out.events,
                                                                                          strict=True)
                                          for e in events))
    # the clean ones were approved automatically: their execution is scheduled in this transaction too
    schedule_executions(app, conn, [i for i, a in zip(ids, out.apps, strict=True) if a["status"] == "approved"], now)
    repo.insert_items(conn, out.items)
    counts = dict(batch["counts"])
    for it in out.items:
        counts[it["outcome"]] = counts.get(it["outcome"], 0) + 1
    done = batch["rows_done"] + len(out.items)
    repo.update_batch(conn, batch_id, rows_done=done, last_row=rows[-1].row_no, counts=counts, updated_at=now)
    return done


def _resolve(app: Simexit, conn: Connection, rows: list[BulkRow]) -> list[str | DomainError | None]:
    """The E.164 number of each row's line (None: unknown ICCID; a DomainError: not a valid number)."""
    by_iccid = repo.line_ids_by_iccid(conn, [r.iccid for r in rows if r.iccid and r.error is None])
    out: list[str | DomainError | None] = []
    for r in rows:
        if r.error is not None:
            out.append(None)
        elif r.msisdn:
            out.append(r.msisdn)
        elif r.iccid:
            out.append(by_iccid.get(r.iccid))
        else:
            try:
                out.append(resolve_msisdn(app, r.raw_msisdn or ""))
            except DomainError as e:
                out.append(e)
    return out


def _invalid_number(app: Simexit, row: BulkRow) -> DomainError | None:
    """Why an unknown E.164-looking number is not a number at all (checked only for lines not found)."""
    if row.msisdn is None:
        return None
    try:
        resolve_msisdn(app, row.msisdn)
    except DomainError as e:
        return e
    return None


def _one_by_one(source: Any, msisdns: Iterable[str]) -> dict[str, LineFacts]:
    """For a facts source that only knows single lines (e.g. an operator's CRM connector)."""
    out = {}
    for m in msisdns:
        with suppress(NotFound):
            out[m] = source.line_facts(m)
    return out
