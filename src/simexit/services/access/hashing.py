"""The hashes sign-in keeps instead of secrets: keyed (HMAC) for numbers, codes and addresses, SHA-256 for
random tokens (256 bits of randomness need no key or slow hash)."""

from __future__ import annotations

import hashlib
import hmac


def keyed_hash(secret_key: str, kind: str, value: str) -> str:
    return hmac.new(secret_key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
