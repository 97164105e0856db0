"""Use cases of the audit trail: record an entry, record a sign-in, verify the chain, list an application's
entries (for the console).

Application transitions and timeline events are audited by ``store.applications_repo.append_event`` in
their own transaction; exports and erasures call ``record`` in theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from simexit.domain.application_number import normalize_application_number
from simexit.domain.audit_chain import Break, first_break
from simexit.domain.errors import NotFound
from simexit.services.context import Simexit
from simexit.store import audit_repo
from simexit.store.audit_data import code_only


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


@dataclass
class VerifyReport:
    entries: int
    head_seq: int
    broken: Break | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None

    def to_dict(self) -> dict[str, Any]:
        return {"intact": self.intact, "entries": self.entries, "head_seq": self.head_seq,
                "broken": self.broken.to_dict() if self.broken else None}


def verify(app: Simexit) -> VerifyReport:
    """Check the whole chain (streamed in chunks) and name the first entry changed, removed or inserted."""
    with app.db.read() as conn:
        head = audit_repo.head(conn)
        checked, broken = first_break(audit_repo.iter_entries(conn), head)
    return VerifyReport(entries=checked, head_seq=head[0] if head else 0, broken=broken)


def _view(e: dict[str, Any]) -> dict[str, Any]:
    return {"id": e["id"], "seq": e["seq"], "at": e["at"].isoformat(), "actor": e["actor"], "role": e["role"],
            "action": e["action"], "data": e["data"], "hash": e["hash"], "prev_hash": e["prev_hash"]}


def application_entries(app: Simexit, application_no: str) -> list[dict[str, Any]]:
    """The audit entries of one application, oldest first (the console shows them)."""
    number = normalize_application_number(application_no)
    if number is None:
        raise NotFound("APPLICATION_NOT_FOUND", "no such application")
    with app.db.read() as conn:
        return [_view(e) for e in audit_repo.for_subject(conn, "application", number)]


def subject_entries(app: Simexit, subject_type: str, subject_ref: str) -> list[dict[str, Any]]:
    with app.db.read() as conn:
        return [_view(e) for e in audit_repo.for_subject(conn, subject_type, subject_ref)]
