"""Read-only use cases of bulk closure: a batch's progress, its result rows, its result file; each checks that
the caller sees the batch (``scope.batch_for``) in the same read transaction."""

from __future__ import annotations

from pathlib import Path

from simexit.services.access.caller import Caller
from simexit.services.bulk import closure
from simexit.services.bulk.input import file_sha256
from simexit.services.bulk.scope import batch_for
from simexit.services.bulk.views import BatchProgress, BatchResult
from simexit.services.context import Simexit


def progress(app: Simexit, caller: Caller, batch_id: str) -> BatchProgress:
    with app.db.read() as conn:
        return BatchProgress(**closure.progress_of(batch_for(conn, caller, batch_id)))


def results(app: Simexit, caller: Caller, batch_id: str, *, after_row: int = 0,
            limit: int = 1000) -> list[BatchResult]:
    """One page of results in row order (pass the last ``row`` seen as ``after_row`` for the next page)."""
    with app.db.read() as conn:
        batch_for(conn, caller, batch_id)
        return [BatchResult(**r) for r in closure.results_page(conn, batch_id, after_row=after_row, limit=limit)]


def write_results(app: Simexit, caller: Caller, batch_id: str, out: Path) -> int:
    """Write one row per input row to ``out`` (CSV safe to open in a spreadsheet, or JSON Lines when ``out``
    ends in .jsonl); the rows written."""
    with app.db.read() as conn:
        batch_for(conn, caller, batch_id)
        return closure.write_result_file(conn, batch_id, out)


def file_digest(path: Path) -> str:
    """The SHA-256 of an uploaded file (what an idempotent upload compares)."""
    return file_sha256(path)
