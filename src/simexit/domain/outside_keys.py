"""Idempotency keys that leave simexit. A provider (an SMS gateway, a payment system, an HSS) may serve several
simexit instances, each with its own database: a key built from a row id (``otp:17``) repeats across them, and
the provider then answers one instance with the other's message. Every key that goes outside therefore carries
80 random bits, drawn once when the work item is created and stored with it, so that every try of the same
item sends the same key and no two items anywhere share one.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32, as in application numbers
RANDOM_CHARS = 16  # 80 bits: two instances with a billion keys each share one with a chance of about 1 in 10^6


def outside_key(prefix: str) -> str:
    """``<prefix>:<16 random characters>``; with an application number as prefix 31 characters (PyHSS's
    ``operation_id`` takes 36)."""
    bits = secrets.randbits(5 * RANDOM_CHARS)
    tail = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(RANDOM_CHARS))
    return f"{prefix}:{tail}"
