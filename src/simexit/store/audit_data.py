"""Keeping personal data out of the audit log: only codes, numbers and flags pass."""

from __future__ import annotations

import re
from typing import Any

_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _is_code(v: Any) -> bool:
    if v is None or isinstance(v, bool | int):
        return True
    if isinstance(v, str):
        return bool(_CODE.match(v))
    if isinstance(v, list | tuple):
        return len(v) <= 50 and all(_is_code(x) for x in v)
    return False


def code_only(data: dict[str, Any] | None) -> dict[str, Any]:
    """The entries of ``data`` whose values are codes (identifier-like strings without spaces, @ or +),
    numbers, flags or lists of those; the names of the others are listed under ``withheld``."""
    if not data:
        return {}
    kept = {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items() if _is_code(v)}
    withheld = sorted(k for k in data if k not in kept)
    return {**kept, **({"withheld": withheld} if withheld else {})}
