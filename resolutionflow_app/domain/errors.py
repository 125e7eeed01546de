"""Errors the domain and services raise; the API maps each to one HTTP status."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base class: `message` is a human sentence safe to show to the user."""

    status_code = 400

    def __init__(self, message: str, *, problems: list[Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems


class BadRequest(ServiceError):
    """The request makes no sense (400)."""

    status_code = 400


class Unauthorized(ServiceError):
    """Not logged in, or the credentials are wrong (401)."""

    status_code = 401


class Forbidden(ServiceError):
    """Logged in but not allowed (403)."""

    status_code = 403


class NotFound(ServiceError):
    """Does not exist, or the caller may not see it (404)."""

    status_code = 404


class Conflict(ServiceError):
    """Clashes with the current state (409)."""

    status_code = 409


class Gone(ServiceError):
    """Existed but expired (410)."""

    status_code = 410


class InvalidInput(ServiceError):
    """Fails validation (422); `problems` may list the details."""

    status_code = 422


class RateLimited(ServiceError):
    """Too many requests from this client (429); `retry_after` is the wait in whole seconds."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class Unavailable(ServiceError):
    """The database is busy or unreachable; retrying later may work (503)."""

    status_code = 503
