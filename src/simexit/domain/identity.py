"""Real-name identity: ID numbers are verifiable but never stored or shown whole.

We keep an HMAC-SHA256 of (type, number) under a server-side key, and the last 4 characters for
people to recognise it. Without the key the hash cannot be brute-forced from the small space of
valid ID numbers.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from simexit.domain.errors import InvalidInput
from simexit.domain.identifiers import normalize_id_number


class IdentityMethod(StrEnum):
    OTP = "otp"  # one-time code to the line itself
    ID_NUMBER = "id_number"  # the customer typed the ID number; checked against the stored hash
    ID_DOCUMENT_INSPECTED = "id_document_inspected"  # a clerk held the document
    SERVICE_PASSWORD = "service_password"  # hotline
    ID_COPY_MAILED = "id_copy_mailed"  # mail-in form with ID copies
    ESIM_APP_SESSION = "esim_app_session"  # signed in to the provider app
    EMAIL_LINK = "email_link"  # confirmed through a link sent to the e-mail on file


STAFF_CHANNELS = frozenset({"hotline", "chat", "store", "mail"})
SELF_SERVICE_METHODS = frozenset({IdentityMethod.OTP, IdentityMethod.ID_NUMBER, IdentityMethod.ESIM_APP_SESSION,
                                  IdentityMethod.EMAIL_LINK})


def id_fingerprint(secret_key: str, id_type: str, id_number: str) -> str:
    normalized = normalize_id_number(id_type, id_number)
    msg = f"{id_type}:{normalized}".encode()
    return hmac.new(secret_key.encode(), msg, hashlib.sha256).hexdigest()


def id_tail_fingerprint(secret_key: str, id_type: str, id_number: str) -> str:
    """HMAC of the last 6 characters: a second factor a customer can type on a phone (身份证后六位)."""
    tail = normalize_id_number(id_type, id_number)[-6:]
    return hmac.new(secret_key.encode(), f"tail:{id_type}:{tail}".encode(), hashlib.sha256).hexdigest()


def id_tail_matches(secret_key: str, id_type: str, tail: str, stored_hash: str | None) -> bool:
    t = (tail or "").strip().upper()
    if not stored_hash or len(t) != 6:
        return False
    candidate = hmac.new(secret_key.encode(), f"tail:{id_type}:{t}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(candidate, stored_hash)


def id_matches(secret_key: str, id_type: str, id_number: str, stored_hash: str | None) -> bool:
    if not stored_hash:
        return False
    try:
        candidate = id_fingerprint(secret_key, id_type, id_number)
    except InvalidInput:
        return False
    return hmac.compare_digest(candidate, stored_hash)


def check_method(channel: str, method: str, staff_ref: str | None) -> IdentityMethod:
    try:
        m = IdentityMethod(method)
    except ValueError:
        raise InvalidInput("IDENTITY_METHOD_UNKNOWN", f"unknown identity check {method!r}",
                           allowed=[x.value for x in IdentityMethod]) from None
    if channel in STAFF_CHANNELS:
        if not staff_ref:
            raise InvalidInput("STAFF_REQUIRED", f"an application on the {channel} channel names the staff member "
                                                 "who took it")
    elif m not in SELF_SERVICE_METHODS:
        raise InvalidInput("IDENTITY_METHOD_NOT_ALLOWED",
                           f"{m.value} is a staff check and cannot be used on the {channel} channel")
    return m
