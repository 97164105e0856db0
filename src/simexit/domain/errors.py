"""Domain errors carry a stable code that the API, the portal, the CLI and the tests all use."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal with a stable machine-readable code and a human message.

    ``status`` is the HTTP status the API maps it to; the CLI maps every DomainError to exit code 2.
    """

    status = 422

    def __init__(self, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **({"data": self.data} if self.data else {})}


class InvalidInput(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class TransitionRefused(Conflict):
    pass


class PrecheckBlocked(Conflict):
    pass


class Forbidden(DomainError):
    """The caller is known but their role or session does not allow this step."""

    status = 403


class Unavailable(DomainError):
    """A system simexit needs cannot answer now; nothing was decided (fail closed). The API answers 503."""

    status = 503
