"""Application numbers: short, readable aloud, with a check character, random (not guessable).

Form: ``SX-XXXX-XXXX-C`` — eight random characters of Crockford's base32 (no I, L, O or U, so no
letter is mistaken for a digit when read over the phone) and one check character (Crockford's
Luhn mod N check over the same alphabet, so it is readable aloud too), which catches every
single wrong character and most swaps of two neighbours. 40 random bits: with a million numbers
issued, a guess hits one with a chance of about one in a million.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "SX"
_DECODE = {c: i for i, c in enumerate(ALPHABET)}
# Crockford's decoding of look-alikes when a customer types the number back.
_ALIASES = {"O": "0", "I": "1", "L": "1"}
_RANDOM = secrets.SystemRandom()


def _check_char(body: str) -> str:
    """Luhn mod N (N = 32) check character."""
    n = len(ALPHABET)
    factor, total = 2, 0
    for ch in reversed(body):
        addend = factor * _DECODE[ch]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def new_application_number(rand: secrets.SystemRandom | None = None) -> str:
    # 40 random bits in one draw, eight base32 characters of 5 bits each.
    bits = (rand or _RANDOM).getrandbits(40)
    body = "".join(ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))
    return f"{PREFIX}-{body[:4]}-{body[4:]}-{_check_char(body)}"


def normalize_application_number(value: str) -> str | None:
    """Canonical form of a typed number (case, spaces, dashes, look-alikes forgiven), or None."""
    s = "".join(ch for ch in (value or "").upper() if ch not in " -_")
    if s.startswith(PREFIX):
        s = s[len(PREFIX):]
    if len(s) != 9:
        return None
    body = "".join(_ALIASES.get(ch, ch) for ch in s[:8])
    check = _ALIASES.get(s[8], s[8])
    if any(ch not in _DECODE for ch in body + check):
        return None
    if _check_char(body) != check:
        return None
    return f"{PREFIX}-{body[:4]}-{body[4:]}-{check}"
