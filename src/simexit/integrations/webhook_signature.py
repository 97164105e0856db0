"""HMAC-SHA256 signatures of the webhooks simexit sends (refund orders, permanent-disconnect notices).

Every signed request carries two headers::

    X-Simexit-Timestamp: 1795413600                 (Unix seconds when it was sent)
    X-Simexit-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body bytes>")>

A receiver recomputes the HMAC over the timestamp, a dot and the body exactly as received (before any JSON
parsing), compares in constant time, and refuses a timestamp more than 5 minutes away from its clock
(that stops replays). ``verify`` below is that check; a bank can copy its six lines.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Simexit-Timestamp"
SIGNATURE_HEADER = "X-Simexit-Signature"
TOLERANCE_S = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(secret: str, timestamp_header: str | None, signature_header: str | None, body: bytes, now: int,
           tolerance_s: int = TOLERANCE_S) -> bool:
    """True when the signature matches and the timestamp is within ``tolerance_s`` of ``now``."""
    if not timestamp_header or not signature_header or not timestamp_header.isdigit():
        return False
    ts = int(timestamp_header)
    if abs(now - ts) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, ts, body), signature_header.strip())
