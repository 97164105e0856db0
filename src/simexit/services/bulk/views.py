"""What the bulk closure's doors receive: a batch's progress, its result rows, an approval's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BatchProgress:
    batch_id: str
    state: str  # running | done
    file_name: str
    total: int
    done: int
    counts: dict[str, int]  # rows per outcome: applied, already_open, blocked, refused, invalid
    created_at: str
    finished_at: str | None
    result_file: str | None = None  # where the CLI wrote the result file

    def to_dict(self) -> dict[str, Any]:
        out = {"batch_id": self.batch_id, "state": self.state, "file_name": self.file_name, "total": self.total,
               "done": self.done, "counts": dict(self.counts), "created_at": self.created_at,
               "finished_at": self.finished_at}
        if self.result_file is not None:
            out["result_file"] = self.result_file
        return out


@dataclass(frozen=True)
class BatchResult:
    """The outcome of one input row."""

    row: int
    line: str | None
    outcome: str  # applied | already_open | blocked | refused | invalid
    application_no: str | None
    status: str | None
    codes: list[str]
    message: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "line": self.line, "outcome": self.outcome, "application_no": self.application_no,
                "status": self.status, "codes": list(self.codes), "message": self.message}


@dataclass(frozen=True)
class BatchApproval:
    batch_id: str
    approved: int
    refused: list[dict[str, Any]] = field(default_factory=list)  # {application_no, code, message}

    def to_dict(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "approved": self.approved, "refused": [dict(r) for r in self.refused]}


@dataclass(frozen=True)
class QueueDecision:
    """A decision on a filtered selection of the review queue: how many were decided, which were left out on
    purpose (``excluded``), and which could not be decided, each with its code."""

    decision: str  # approve | reject
    decided: list[str]
    excluded: list[str]
    refused: list[dict[str, Any]] = field(default_factory=list)  # {application_no, code, message}

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "decided": list(self.decided), "excluded": list(self.excluded),
                "refused": [dict(r) for r in self.refused]}
