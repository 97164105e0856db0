"""The audit trail: record an entry, record a sign-in, write a signed checkpoint, verify the chain against the
checkpoints, list an application's entries (doors reach these through ``commands`` and ``queries``).

Application transitions and timeline events are audited by ``store.applications_repo.append_event`` in
their own transaction; exports and erasures call ``record`` in theirs.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from simexit.domain.application_number import normalize_application_number
from simexit.domain.audit_chain import (
    Break,
    Checkpoint,
    checkpoint_signed_by,
    first_break,
    segment_break,
    sign_checkpoint,
)
from simexit.domain.errors import NotFound
from simexit.services.context import Simexit
from simexit.services.privacy.views import AuditEntry, VerifyReport
from simexit.store import audit_checkpoints, audit_repo
from simexit.store.audit_data import code_only

if TYPE_CHECKING:
    from simexit.store.database import Connection

log = logging.getLogger("simexit.audit")


def record(conn: Connection, *, at: datetime, actor: str, role: str, action: str, subject_type: str,
           subject_ref: str | int, data: dict[str, Any] | None = None) -> None:
    """Append an entry in the caller's transaction (written at its commit). ``data`` keeps only codes, numbers
    and flags."""
    audit_repo.append(conn, at=at, actor=actor, role=role, action=action, subject_type=subject_type,
                             subject_ref=str(subject_ref), data=code_only(data))


def record_sign_in(app: Simexit, *, actor: str, role: str, method: str, success: bool = True) -> None:
    """A sign-in to the portal or the console (the API and web call this)."""
    with app.db.write() as conn:
        record(conn, at=app.clock.now(), actor=actor, role=role,
               action="auth.sign_in" if success else "auth.sign_in_failed", subject_type="actor",
               subject_ref=actor, data={"method": method})


def _verify_key_path(app: Simexit):  # type: ignore[no-untyped-def]
    return app.audit_verify_key or app.audit_signing_key


def _signed_checkpoints(app: Simexit) -> tuple[list[Checkpoint], Break | None]:
    """The checkpoints of the sink, each with a good signature; or the first reason they cannot be trusted."""
    path = app.audit_checkpoint_file
    if path is None:
        return [], None
    try:
        cps = audit_checkpoints.read_all(path)
    except audit_checkpoints.CheckpointFileInvalid as exc:
        return [], Break("checkpoint", None, 0, f"the checkpoint file is damaged: {exc}")
    if not cps:
        return [], None
    key_path = _verify_key_path(app)
    if key_path is None:
        return [], Break("checkpoint", None, 0, f"{len(cps)} checkpoint(s) in {path} but no key to check them "
                                                "(set SIMEXIT_AUDIT_VERIFY_KEY or SIMEXIT_AUDIT_SIGNING_KEY)")
    public = audit_checkpoints.load_public_key(key_path)
    for n, cp in enumerate(cps, 1):
        if not checkpoint_signed_by(public, cp):
            return [], Break("checkpoint", None, cp.seq, f"checkpoint {n} in {path} is not signed by the "
                                                         "configured key")
    return cps, None


def verify(app: Simexit) -> VerifyReport:
    """Check the whole chain (streamed in chunks) against the signed checkpoints, and name the first entry
    changed, removed or inserted."""
    cps, bad = _signed_checkpoints(app)
    newest = max((c.seq for c in cps), default=0)
    configured = _verify_key_path(app) is not None and app.audit_checkpoint_file is not None
    with app.db.read() as conn:
        head = audit_repo.head(conn)
        if bad is not None:
            return VerifyReport(entries=0, head_seq=head[0] if head else 0, broken=bad,
                                checkpoints_configured=configured)
        checked, broken = first_break(audit_repo.iter_entries(conn), head, key=app.db.audit_key, checkpoints=cps)
    return VerifyReport(entries=checked, head_seq=head[0] if head else 0, broken=broken, checkpoints=len(cps),
                        checkpoint_seq=newest, checkpoints_configured=configured)


def write_checkpoint(app: Simexit, *, force: bool = False) -> Checkpoint | None:
    """Sign the log's head and append it to the checkpoint sink, when due: the head moved at least
    ``audit_checkpoint_entries`` entries, or ``audit_checkpoint_seconds`` passed since the newest checkpoint and
    the head moved (``force``: whenever it moved). The entries since the newest checkpoint are checked first:
    a checkpoint never vouches for a chain that does not continue the last one. Returns what was written."""
    if app.audit_signing_key is None or app.audit_checkpoint_file is None:
        return None
    key = audit_checkpoints.load_private_key(app.audit_signing_key)
    now = app.clock.now()

    def make(last: Checkpoint | None) -> Checkpoint | None:
        with app.db.read() as conn:
            head = audit_repo.head(conn)
            if head is None or head[0] == 0:
                if last is not None:
                    log.error("audit log is empty but checkpoint %s counts %s entries", last.at, last.count)
                return None
            seq, head_hash = head
            start = (last.seq, last.head) if last is not None else (0, "0" * 64)
            if last is not None:
                if last.seq > seq:
                    log.error("audit log head %s is behind checkpoint %s (%s entries): not signing", seq, last.at,
                              last.count)
                    return None
                if last.seq == seq:
                    if last.head != head_hash:
                        log.error("audit log head %s differs from checkpoint %s: not signing", seq, last.at)
                    return None
                age = now - datetime.fromisoformat(last.at.replace("Z", "+00:00")).astimezone(UTC)
                if not force and seq - last.seq < app.audit_checkpoint_entries \
                        and age < timedelta(seconds=app.audit_checkpoint_seconds):
                    return None
            wrong = segment_break(audit_repo.iter_entries(conn, after_seq=start[0]), start, (seq, head_hash),
                                  app.db.audit_key)
            if wrong is not None:
                log.error("audit log does not continue its newest checkpoint (%s): not signing", wrong)
                return None
            # Sign what was read (entries committed after the head row was read are in the next checkpoint).
        return sign_checkpoint(key, seq, head_hash, now)

    return audit_checkpoints.append_if(app.audit_checkpoint_file, make)


def entry_view(e: dict[str, Any]) -> AuditEntry:
    return AuditEntry(e["id"], e["seq"], e["at"].isoformat(), e["actor"], e["role"], e["action"], e["data"], e["hash"],
                      e["prev_hash"])


def entries_of(app: Simexit, application_no: str) -> list[AuditEntry]:
    """The audit entries of one application, oldest first."""
    number = normalize_application_number(application_no)
    if number is None:
        raise NotFound("APPLICATION_NOT_FOUND", "no such application")
    with app.db.read() as conn:
        return [entry_view(e) for e in audit_repo.for_subject(conn, "application", number)]


def application_entries(app: Simexit, application_no: str) -> list[dict[str, Any]]:
    """The same as plain dicts (tests and older callers)."""
    return [e.to_dict() for e in entries_of(app, application_no)]
