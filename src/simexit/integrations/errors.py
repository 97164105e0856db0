"""The one error type integrations raise: a stable code, a clear message, and whether a retry may help."""

from __future__ import annotations


class IntegrationError(Exception):
    def __init__(self, system: str, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(f"{system}: {code}: {message}")
        self.system, self.code, self.message, self.retryable = system, code, message, retryable
