"""Where the audit log's signed checkpoints are kept outside the database, and the Ed25519 key files.

The default sink is an append-only file of JSON lines, one checkpoint a line, appended under an exclusive
``flock`` (several processes may write) and synced to disk. Keep it where the database's users cannot write
(another volume, a WORM bucket mounted by the operator, a log shipper that forwards each new line); whoever can
rewrite both the database and this file can rewrite history.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from simexit.domain.audit_chain import Checkpoint


class CheckpointFileInvalid(ValueError):
    """A line of the checkpoint file is not a checkpoint (the file was edited or damaged)."""

    def __init__(self, path: Path, line_no: int, reason: str) -> None:
        super().__init__(f"{path}:{line_no}: {reason}")
        self.line_no = line_no


def generate_key(path: Path) -> Ed25519PublicKey:
    """Write a new Ed25519 private key as PEM (mode 0600); refuse to overwrite an existing file."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key.public_key()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key PEM, or the public half of a private key PEM."""
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    key = load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def read_all(path: Path) -> list[Checkpoint]:
    """Every checkpoint in the file, in the order written ([] when the file does not exist)."""
    if not path.exists():
        return []
    out: list[Checkpoint] = []
    with path.open("r", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                out.append(Checkpoint.from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise CheckpointFileInvalid(path, n, str(exc) or type(exc).__name__) from None
    return out


def _last(path: Path) -> Checkpoint | None:
    size = path.stat().st_size
    if size == 0:
        return None
    with path.open("rb") as rd:
        rd.seek(max(0, size - 4096))
        lines = [ln for ln in rd.read().splitlines() if ln.strip()]
    try:
        return Checkpoint.from_dict(json.loads(lines[-1])) if lines else None
    except (ValueError, KeyError, TypeError):
        return None


def append_if(path: Path, make: Callable[[Checkpoint | None], Checkpoint | None]) -> Checkpoint | None:
    """Under the file's exclusive lock: call ``make`` with the newest checkpoint written (or None) and append
    what it returns (None: nothing to write). Synced to disk before the lock is released."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        cp = make(_last(path))
        if cp is not None:
            os.write(fd, (json.dumps(cp.to_dict(), sort_keys=True, separators=(",", ":")) + "\n").encode())
            os.fsync(fd)
        return cp
    finally:
        os.close(fd)  # releases the lock
