"""What an ES2+ handleDownloadProgressInfo notification does to simexit's record of an eSIM profile.

notificationPointId 1–4 follow SGP.22 §5.3.5 as quoted in PROTOCOLS.md §A (1 eligibility/retry check,
2 confirmation failure, 3 BPP download, 4 BPP installation; UNCONFIRMED against the spec text). For the
eUICC's later profile-management notifications that an SM-DP+ forwards, simexit uses 5 = enabled,
6 = disabled, 7 = deleted (simexit's own numbering; tell your SM-DP+ vendor). Only a successful (or
with-warning) step changes the state, except a failed installation, which leaves the profile in Error.
"""

from __future__ import annotations

POINTS = {1: "eligibility_check", 2: "confirmation_failure", 3: "bpp_download", 4: "bpp_installation",
          5: "profile_enabled", 6: "profile_disabled", 7: "profile_deleted"}
STATUSES = ("Executed-Success", "Executed-WithWarning", "Failed", "Expired")
_ON_SUCCESS = {3: "Downloaded", 4: "Installed", 5: "Enabled", 6: "Disabled", 7: "Deleted"}


def normalize_iccid(value: str) -> str | None:
    """18–20 digits; a trailing F (pySim pads 19-digit ICCIDs) is ignored. None when malformed."""
    v = (value or "").strip().rstrip("Ff")
    return v if v.isdigit() and 18 <= len(v) <= 20 else None


def new_state(point_id: int, status: str) -> str | None:
    """The profile state after this notification, or None when it changes nothing."""
    if status in ("Executed-Success", "Executed-WithWarning"):
        return _ON_SUCCESS.get(point_id)
    if status == "Failed" and point_id == 4:
        return "Error"
    return None
