"""What the import's doors receive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ImportReport:
    """How many records of each type were imported (everything, or nothing: then ``ImportFailed``)."""

    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"imported": dict(self.counts)}
