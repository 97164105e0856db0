"""The data export: request it, build it (the worker calls ``build_export``), check a download token, and
expire old files (doors reach these through ``commands`` and ``queries``).

An export's id is random (up to 2**53), so that exports cannot be found by counting. The download token is
``<export id>.<expiry, unix seconds>.<128 random bits>.<HMAC-SHA256 over the three under the secret key>``:
it cannot be forged or extended without the key, it cannot be guessed even by whoever knows the key and the
export id (the random part is stored with the export, and the whole token must match), and it stops working
at its expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simexit.domain.access import Scope
from simexit.domain.errors import Conflict, DomainError, NotFound
from simexit.services.context import Simexit
from simexit.services.execution.outbox import enqueue
from simexit.services.privacy import audit
from simexit.services.privacy.export_archive import write_archive
from simexit.services.privacy.views import ExportView
from simexit.store import customer_records as records
from simexit.store import exports_repo as repo
from simexit.store.work_queue import add_timer

if TYPE_CHECKING:
    from simexit.store.database import Connection

__all__ = [
    "BUILD_TIMER",
    "DOWNLOAD_PATH",
    "ExportView",
    "build_export",
    "expire_exports",
    "export_for",
    "get_export",
    "handle_export_build",
    "latest_for_customer",
    "make_download_token",
    "request_export",
    "verify_download_token",
]

log = logging.getLogger("simexit.export")
BUILD_TIMER = "export_build"  # the worker builds a requested export (handle_export_build)

# Where the signed download link of a ready export points (served by the API).
DOWNLOAD_PATH = "/api/v1/exports/download"


def _view(row: Any) -> ExportView:
    return ExportView(row["id"], row["state"], row["file_path"], row["size_bytes"], row["expires_at"],
                      row["download_token"], row["counts"])


def _sign(secret_key: str, export_id: int, expires: int, nonce: str) -> str:
    return hmac.new(secret_key.encode(), f"export:{export_id}:{expires}:{nonce}".encode(), hashlib.sha256).hexdigest()


def make_download_token(secret_key: str, export_id: int, expires_at: datetime) -> str:
    exp, nonce = int(expires_at.timestamp()), secrets.token_hex(16)
    return f"{export_id}.{exp}.{nonce}.{_sign(secret_key, export_id, exp, nonce)}"


def request_export(app: Simexit, msisdn: str, requested_by: str | None = None, *, scope: Scope | None = None) -> int:
    """Ask for an export of everything held about the customer of ``msisdn``; an export already waiting
    to be built is returned instead of a second one. ``requested_by``: a staff user (default: the customer).
    ``scope``: the caller's reach (a customer outside it is reported as LINE_NOT_FOUND). The worker builds it
    (timer ``export_build``)."""
    return request(app, msisdn=msisdn, requested_by=requested_by, scope=scope).export_id


def request(app: Simexit, *, msisdn: str | None = None, customer_id: int | None = None,
            requested_by: str | None = None, scope: Scope | None = None) -> ExportView:
    """``request_export`` by a line's number or (a signed-in customer) by the customer; returns the export."""
    with app.db.write() as conn:
        if msisdn is None:
            if customer_id is None or not records.line_ids(conn, customer_id):
                raise NotFound("LINE_NOT_FOUND", "you have no line")
        else:
            customer_id = records.customer_for_msisdn(conn, msisdn)
        cust = records.customer(conn, customer_id)
        if scope is not None and not scope.permits(brand=cust["brand"], customer_id=customer_id):
            raise NotFound("LINE_NOT_FOUND", "no line with that number")
        if cust["erased_at"] is not None:
            raise Conflict("CUSTOMER_ERASED", "this customer's personal data was erased; nothing to export")
        existing = repo.open_for_customer(conn, customer_id)
        if existing is not None:
            return _view(repo.get(conn, existing))
        now = app.clock.now()
        who = requested_by or f"customer:{customer_id}"
        export_id = repo.insert_export(conn, dict(customer_id=customer_id, requested_by=who, requested_at=now,
                                                  state="requested"))
        audit.record(conn, at=now, actor=who, role="staff" if requested_by else "customer", action="export.requested",
                     subject_type="customer", subject_ref=customer_id, data={"export_id": export_id})
        add_timer(conn, kind=BUILD_TIMER, subject=str(export_id), due_at=now, now=now)
        return _view(repo.get(conn, export_id))


def _write_file(app: Simexit, export_id: int, customer_id: int, built_at: datetime) -> tuple[Path, dict[str, int], str]:
    """Stream the ZIP into the export directory (reading on its own connection); (path, counts, sha256)."""
    out_dir = Path(app.export_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"export-{export_id}-{secrets.token_hex(8)}.zip"
    tmp = path.with_suffix(".part")
    try:
        with app.db.read() as conn:
            counts = write_archive(conn, customer_id, tmp, built_at)
        digest = hashlib.sha256()
        with tmp.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path, counts, digest.hexdigest()


def _mark_ready(app: Simexit, conn: Connection, export_id: int, customer_id: int, path: Path,
                counts: dict[str, int], sha256: str, built_at: datetime) -> None:
    expires_at = built_at + timedelta(hours=app.export_ttl_hours)
    token = make_download_token(app.secret_key, export_id, expires_at)
    repo.set_state(conn, export_id, expect=("building",), state="ready", file_path=str(path),
                   size_bytes=path.stat().st_size, sha256=sha256, counts=counts, built_at=built_at,
                   expires_at=expires_at, download_token=token, error=None)
    cust = records.customer(conn, customer_id)
    if cust["email"]:
        kind, recipient = "email", cust["email"]
    else:
        line_ids = records.line_ids(conn, customer_id)
        kind, recipient = "sms", records.msisdn_of_line(conn, line_ids[0])
    enqueue(conn, kind=kind, recipient=recipient, template="export_ready", locale=cust["locale"],
            payload={"export_id": export_id, "export_name": f"simexit-export-{export_id}.zip",
                     "download_url": f"{app.public_base_url.rstrip('/')}{DOWNLOAD_PATH}?t={token}",
                     "download_token": token, "expires_at": expires_at.isoformat()},
            idempotency_key=f"export_ready:{export_id}", now=built_at)
    audit.record(conn, at=built_at, actor="simexit", role="system", action="export.built",
                 subject_type="customer", subject_ref=customer_id,
                 data={"export_id": export_id, "size_bytes": path.stat().st_size,
                       "usage_records": counts.get("usage_records.csv", 0)})


def build_export(app: Simexit, export_id: int) -> ExportView:
    """Build the ZIP (streamed from the database), then mark it ready, sign the link and announce it."""
    with app.db.write() as conn:
        row = repo.get(conn, export_id, for_update=True)
        if row["state"] == "ready":
            return _view(row)
        if not repo.set_state(conn, export_id, expect=("requested", "building", "failed"), state="building"):
            raise Conflict("EXPORT_NOT_BUILDABLE", f"export {export_id} is {row['state']}")
        customer_id = row["customer_id"]
    built_at = app.clock.now()
    try:
        path, counts, sha256 = _write_file(app, export_id, customer_id, built_at)
    except Exception as exc:
        with app.db.write() as conn:
            repo.set_state(conn, export_id, expect=("building",), state="failed", error=type(exc).__name__)
        raise
    with app.db.write() as conn:
        _mark_ready(app, conn, export_id, customer_id, path, counts, sha256, built_at)
        return _view(repo.get(conn, export_id))


def handle_export_build(app: Simexit, conn: Connection, timer: Any, now: datetime) -> datetime | None:
    """Timer handler (kind ``export_build``), run in the transaction that marks the timer done.

    The archive is read on a separate connection (committed data only), so the timer's transaction holds
    only the state changes. A failed build marks the export ``failed`` (the customer may ask again)."""
    export_id = int(timer["subject"])
    try:
        row = repo.get(conn, export_id, for_update=True)
    except NotFound:
        return None
    if row["state"] not in ("requested", "building"):
        return None  # built meanwhile (e.g. ``simexit export build``), expired or failed
    repo.set_state(conn, export_id, expect=("requested", "building"), state="building")
    try:
        path, counts, sha256 = _write_file(app, export_id, row["customer_id"], now)
    except Exception as exc:
        log.warning("export %s failed: %s", export_id, type(exc).__name__)
        repo.set_state(conn, export_id, expect=("building",), state="failed", error=type(exc).__name__)
        return None
    _mark_ready(app, conn, export_id, row["customer_id"], path, counts, sha256, now)
    return None


def export_for(app: Simexit, export_id: int, scope: Scope) -> ExportView:
    """An export within the caller's reach (otherwise EXPORT_NOT_FOUND, as if it did not exist)."""
    with app.db.read() as conn:
        row = repo.get(conn, export_id)
        cust = records.customer(conn, row["customer_id"])
    if not scope.permits(brand=cust["brand"], customer_id=row["customer_id"]):
        raise NotFound("EXPORT_NOT_FOUND", f"no export {export_id}")
    return _view(row)


def verify_download_token(app: Simexit, token: str) -> ExportView:
    """The ready export a token opens; refused when forged, expired or no longer available."""
    parts = token.split(".") if token else []
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
        raise DomainError("EXPORT_TOKEN_INVALID", "this download link is not valid")
    export_id, exp, nonce = int(parts[0]), int(parts[1]), parts[2]
    if not hmac.compare_digest(_sign(app.secret_key, export_id, exp, nonce).encode(), parts[3].encode()):
        raise DomainError("EXPORT_TOKEN_INVALID", "this download link is not valid")
    if app.clock.now().timestamp() >= exp:
        raise DomainError("EXPORT_EXPIRED", "this download link has expired; request a new export")
    with app.db.read() as conn:
        try:
            row = repo.get(conn, export_id)
        except NotFound:
            raise DomainError("EXPORT_TOKEN_INVALID", "this download link is not valid") from None
    if row["state"] == "ready" and not hmac.compare_digest((row["download_token"] or "").encode(), token.encode()):
        raise DomainError("EXPORT_TOKEN_INVALID", "this download link is not valid")  # signed, but not issued
    if row["state"] != "ready" or not Path(row["file_path"]).is_file():
        raise DomainError("EXPORT_GONE", "this export is no longer available; request a new one")
    return _view(row)


def get_export(app: Simexit, export_id: int) -> ExportView:
    with app.db.read() as conn:
        return _view(repo.get(conn, export_id))


def expire_exports(app: Simexit) -> int:
    """Delete the files of exports past their expiry (the worker runs this on a timer)."""
    now = app.clock.now()
    with app.db.write() as conn:
        rows = repo.expired_ready(conn, now)
        for r in rows:
            if r["file_path"]:
                Path(r["file_path"]).unlink(missing_ok=True)
            repo.set_state(conn, r["id"], expect=("ready",), state="expired", file_path=None, download_token=None)
        return len(rows)


def latest_for_customer(app: Simexit, customer_id: int) -> ExportView | None:
    """The customer's newest export (the portal's "download my data" page)."""
    with app.db.read() as conn:
        rows = repo.for_customer(conn, customer_id)
    return _view(max(rows, key=lambda r: (r["requested_at"], r["id"]))) if rows else None
