"""The audit log's hash chain: canonical serialisation, entry hash, and finding the first broken entry.

Pure functions, no I/O. Each entry's hash is SHA-256 over a canonical JSON of its fields (sorted keys, no
whitespace, UTC timestamp with microseconds) including ``seq`` and ``prev_hash``; the first entry's
``prev_hash`` is GENESIS.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS = "0" * 64


def canonical(entry: Mapping[str, Any]) -> bytes:
    at: datetime = entry["at"]
    body = {
        "seq": int(entry["seq"]), "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": entry["actor"], "role": entry["role"], "action": entry["action"],
        "subject_type": entry["subject_type"], "subject_ref": entry["subject_ref"],
        "data": entry["data"], "prev_hash": entry["prev_hash"],
    }
    if _plain(entry["data"]):
        # orjson gives the same bytes as the json module below for strings, integers, booleans and null (sorted
        # keys, no whitespace, UTF-8), 4x faster: a bulk closure hashes about three entries per line.
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _plain(value: Any) -> bool:
    """Only strings, integers, booleans and null (in dicts with string keys, and lists): no floats, whose text
    the two libraries may write differently."""
    if value is None or isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**64  # orjson's integer range
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return False


def entry_hash(entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


@dataclass(frozen=True)
class Break:
    kind: str  # changed | removed | inserted
    entry_id: int | None  # the entry named (for "removed": the first entry after the gap; None at the tail)
    seq: int  # the sequence number where the chain breaks
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "entry_id": self.entry_id, "seq": self.seq, "detail": self.detail}


def first_break(entries: Iterable[Mapping[str, Any]], head: tuple[int, str] | None) -> tuple[int, Break | None]:
    """Walk entries ordered by (seq, id); return (entries checked, the first break or None).

    ``head`` is the (seq, hash) the log's head row says the last entry has (None: the log was never written).
    """
    expected, prev_hash, prev_id, count = 1, GENESIS, None, 0
    for e in entries:
        count += 1
        seq = int(e["seq"])
        if seq < expected:
            return count, Break("inserted", e["id"], seq, f"entry {e['id']} repeats sequence number {seq} "
                                                         f"(after entry {prev_id})")
        if seq > expected:
            missing = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
            return count, Break("removed", e["id"], expected, f"entries with sequence number {missing} are missing "
                                                              f"before entry {e['id']}")
        if entry_hash(e) != e["hash"]:
            return count, Break("changed", e["id"], seq, f"entry {e['id']} does not match its hash")
        if e["prev_hash"] != prev_hash:
            return count, Break("changed", prev_id, seq - 1,
                                f"entry {e['id']} does not follow entry {prev_id}: that entry was rewritten")
        expected, prev_hash, prev_id = seq + 1, e["hash"], e["id"]
    head_seq, head_hash = head if head else (0, GENESIS)
    if expected - 1 > head_seq:
        return count, Break("inserted", prev_id, expected - 1,
                            f"entries after sequence number {head_seq} were added outside the log's head")
    if expected - 1 < head_seq:
        return count, Break("removed", None, expected, f"the newest entries {expected}..{head_seq} are missing")
    if head_seq and prev_hash != head_hash:
        return count, Break("changed", prev_id, head_seq, f"entry {prev_id} does not match the log's head")
    return count, None
