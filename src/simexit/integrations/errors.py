"""The one error type integrations raise: a stable code, a clear message, and whether a retry may help."""

from __future__ import annotations


class IntegrationError(Exception):
    def __init__(self, system: str, code: str, message: str, *, retryable: bool,
                 retry_after: float | None = None) -> None:
        super().__init__(f"{system}: {code}: {message}")
        self.system, self.code, self.message, self.retryable = system, code, message, retryable
        # Seconds the outside system asked us to wait (its Retry-After), for the next try's due time.
        self.retry_after = retry_after
