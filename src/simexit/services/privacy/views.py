"""What the privacy use cases return to the doors: frozen dataclasses with ``to_dict()``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simexit.domain.audit_chain import Break, Checkpoint
from simexit.domain.erasure_schedule import Stage

__all__ = ["AuditEntry", "Checkpoint", "ErasureReport", "ExportView", "PlannedErasure", "VerifyReport"]


@dataclass(frozen=True)
class ExportView:
    export_id: int  # random (not a counter): an export cannot be found by counting
    state: str
    file_path: str | None
    size_bytes: int | None
    expires_at: datetime | None
    download_token: str | None
    counts: dict[str, int] | None

    def to_dict(self) -> dict[str, Any]:
        return {"export_id": self.export_id, "state": self.state, "file_path": self.file_path,
                "size_bytes": self.size_bytes, "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "download_token": self.download_token, "counts": self.counts}


@dataclass(frozen=True)
class PlannedErasure:
    subject_type: str  # line | customer
    subject_id: int
    brand: str
    stage: Stage

    def to_dict(self) -> dict[str, Any]:
        return {"subject_type": self.subject_type, "subject_id": self.subject_id, "brand": self.brand,
                "record_set": self.stage.record_set, "due_on": self.stage.due_on.isoformat(), "rule": self.stage.rule}


@dataclass
class ErasureReport:
    done: list[dict[str, Any]] = field(default_factory=list)
    still_kept: int = 0  # stages planned for a later date

    def to_dict(self) -> dict[str, Any]:
        return {"done": self.done, "still_kept": self.still_kept}


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    head_seq: int
    broken: Break | None = None
    checkpoints: int = 0  # signed checkpoints checked
    checkpoint_seq: int = 0  # the newest one's sequence number
    checkpoints_configured: bool = False  # a checkpoint key and file are set (without them truncation is unseen)

    @property
    def intact(self) -> bool:
        return self.broken is None

    def to_dict(self) -> dict[str, Any]:
        return {"intact": self.intact, "entries": self.entries, "head_seq": self.head_seq,
                "broken": self.broken.to_dict() if self.broken else None, "checkpoints": self.checkpoints,
                "checkpoint_seq": self.checkpoint_seq, "checkpoints_configured": self.checkpoints_configured}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    seq: int
    at: str  # ISO 8601
    actor: str
    role: str
    action: str
    data: dict[str, Any]
    hash: str
    prev_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "seq": self.seq, "at": self.at, "actor": self.actor, "role": self.role,
                "action": self.action, "data": self.data, "hash": self.hash, "prev_hash": self.prev_hash}
