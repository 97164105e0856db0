"""Staff passwords (argon2id) and TOTP codes."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import lru_cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY

MIN_PASSWORD = 12


@lru_cache(maxsize=2)
def hasher(fast: bool = False) -> PasswordHasher:
    """argon2id (RFC 9106 low-memory profile); ``fast`` (Simexit.fast_password_hash) is for tests only."""
    return PasswordHasher.from_parameters(CHEAPEST if fast else RFC_9106_LOW_MEMORY)


@lru_cache(maxsize=2)
def dummy_hash(fast: bool = False) -> str:
    """A hash to verify against when the user name is unknown, so that both answers take as long. Made once
    per process: it used to be hashed again for every unknown name, which made unknown names the slow ones
    (575 ms against 362 ms)."""
    return hasher(fast).hash(secrets.token_hex(16))


def hash_password(password: str, *, fast: bool = False) -> str:
    return hasher(fast).hash(password)


def password_matches(stored: str, password: str, *, fast: bool = False) -> bool:
    try:
        return hasher(fast).verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32(32)


def totp_matches(secret: str, code: str | None, now: datetime) -> bool:
    return bool(code) and pyotp.TOTP(secret).verify(code or "", for_time=now, valid_window=1)
