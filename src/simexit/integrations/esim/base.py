"""The eSIM server (SM-DP+) through ES2+ (GSMA SGP.22): cancel an order, release a profile.

``idempotency_key`` becomes the ES2+ ``functionCallIdentifier``."""

from __future__ import annotations

from typing import Literal, Protocol


class SmdpClient(Protocol):
    def cancel_order(self, iccid: str, final_status: Literal["Available", "Unavailable"], idempotency_key: str,
                     *, eid: str | None = None, matching_id: str | None = None) -> None: ...

    def release_profile(self, iccid: str, idempotency_key: str) -> None: ...
