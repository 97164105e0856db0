"""What an ES2+ handleDownloadProgressInfo notification does to simexit's record of an eSIM profile.

The operation a notification reports comes, in this order, from (PROTOCOLS.md §A):
1. ``resultData`` when present: the eUICC's signed ``PendingNotification`` (DER, base64) names it — a
   ``profileInstallationResult`` is an installation, otherwise the one bit set in
   ``tbsOtherNotification.profileManagementOperation`` (0 install, 1 enable, 2 disable, 3 delete);
2. otherwise ``notificationPointId`` through the SM-DP+'s mapping: by default the published values,
   1 eligibility/retry check, 2 confirmation failure, 3 BPP download, 4 BPP installation, **5 deleted**
   (ostelco and a vendor document agree; SGP.22's own table is UNCONFIRMED). An operator adds a vendor's
   values (e.g. 101 installed, 102 disabled) per SM-DP+ in ``SIMEXIT_SMDP_NOTIFICATION_POINTS``.
An unknown value changes nothing: the notification is recorded and left for staff.
Only a successful (or with-warning) step changes the state, except a failed installation (Error).
"""

from __future__ import annotations

import base64
import binascii

STATUSES = ("Executed-Success", "Executed-WithWarning", "Failed", "Expired")
OPERATIONS = ("eligibility_check", "confirmation_failure", "download", "install", "enable", "disable", "delete")
DEFAULT_POINTS: dict[int, str] = {1: "eligibility_check", 2: "confirmation_failure", 3: "download", 4: "install",
                                  5: "delete"}
_ON_SUCCESS = {"download": "Downloaded", "install": "Installed", "enable": "Enabled", "disable": "Disabled",
               "delete": "Deleted"}
_EVENT_BITS = ("install", "enable", "disable", "delete")  # NotificationEvent, SGP.22 (pySim rsp.asn)


def normalize_iccid(value: str) -> str | None:
    """18–20 digits; a trailing F (pySim pads 19-digit ICCIDs) is ignored. None when malformed."""
    v = (value or "").strip().rstrip("Ff")
    return v if v.isdigit() and 18 <= len(v) <= 20 else None


def operation_of(point_id: int, result_data: str | None, points: dict[int, str] | None = None) -> str | None:
    """The profile operation this notification reports, or None when neither source names one."""
    from_result = operation_from_result_data(result_data) if result_data else None
    if from_result is not None:
        return from_result
    return (DEFAULT_POINTS if points is None else points).get(point_id)


def new_state(operation: str | None, status: str) -> str | None:
    """The profile state after this notification, or None when it changes nothing."""
    if status in ("Executed-Success", "Executed-WithWarning"):
        return _ON_SUCCESS.get(operation or "")
    if status == "Failed" and operation == "install":
        return "Error"
    return None


# -- resultData: just enough DER to read the operation -----------------------------------------------------------
def _tlv(data: bytes, at: int) -> tuple[int, bool, int, int, int]:
    """(tag number with class bits, constructed, start of value, end of value, end) of the TLV at ``at``."""
    first = data[at]
    cls, constructed, number, i = first & 0xC0, bool(first & 0x20), first & 0x1F, at + 1
    if number == 0x1F:  # high tag number form
        number = 0
        while True:
            b = data[i]
            i += 1
            number = (number << 7) | (b & 0x7F)
            if not b & 0x80:
                break
    length = data[i]
    i += 1
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[i:i + n], "big")
        i += n
    if i + length > len(data):
        raise ValueError("truncated DER")
    return (cls << 8) | number, constructed, i, i + length, i + length


CONTEXT = 0x80 << 8
_PIR = CONTEXT | 55          # [55] ProfileInstallationResult, tag BF37
_METADATA = CONTEXT | 47     # [47] NotificationMetadata, tag BF2F
_OPERATION = CONTEXT | 1     # [1] profileManagementOperation (implicit BIT STRING)
_SEQUENCE = 16               # universal SEQUENCE


def operation_from_result_data(result_data: str) -> str | None:
    """The operation a base64 DER ``PendingNotification`` names; None when it cannot be read."""
    try:
        der = base64.b64decode(result_data, validate=True)
        tag, constructed, start, end, _ = _tlv(der, 0)
        if tag == _PIR:
            return "install"
        if tag != _SEQUENCE or not constructed:
            return None
        tag, _, start, end, _ = _tlv(der, start)  # tbsOtherNotification
        if tag != _METADATA:
            return None
        at = start
        while at < end:
            tag, _, vstart, vend, at = _tlv(der, at)
            if tag == _OPERATION:
                unused, bits = der[vstart], der[vstart + 1:vend]
                set_bits = [i for i in range(len(bits) * 8 - unused) if bits[i // 8] & (0x80 >> (i % 8))]
                if len(set_bits) == 1 and set_bits[0] < len(_EVENT_BITS):
                    return _EVENT_BITS[set_bits[0]]
                return None
        return None
    except (ValueError, IndexError, binascii.Error):
        return None
