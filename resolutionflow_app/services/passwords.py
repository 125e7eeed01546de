"""Password hashing with argon2id."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from resolutionflow_app.settings import get_settings

MIN_PASSWORD_LENGTH = 10


@functools.cache
def _hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> tuple[PasswordHasher, str]:
    """The argon2id hasher for these costs, and a dummy hash made with it (verified for unknown emails)."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    return hasher, hasher.hash("dummy-password-for-timing")


def _hasher() -> tuple[PasswordHasher, str]:
    settings = get_settings()
    return _hasher_for(
        settings.password_hash_time_cost, settings.password_hash_memory_kib, settings.password_hash_parallelism
    )


def hash_password(password: str) -> str:
    """Hash `password` with argon2id at the configured cost (RF_PASSWORD_HASH_*)."""
    return _hasher()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always spends the same work, even for unknown users.

    A stored hash is verified with the parameters written in it, so changing the cost settings locks nobody out.
    """
    hasher, dummy = _hasher()
    try:
        return hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when `password_hash` was made with other cost settings than the current ones (re-hash it at login)."""
    try:
        return _hasher()[0].check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


# The most common passwords of 10+ characters in public breach lists: refused outright.
COMMON_PASSWORDS = frozenset(
    {
        "password12",
        "password123",
        "password1234",
        "passw0rd12",
        "password!1",
        "1234567890",
        "12345678910",
        "123456789a",
        "0987654321",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "qwertyuiop",
        "qwerty1234",
        "qwerty12345",
        "asdfghjkl1",
        "iloveyou12",
        "letmein123",
        "welcome123",
        "welcome2024",
        "welcome2025",
        "welcome2026",
        "changeme12",
        "administrator",
        "admin12345",
        "abcd123456",
        "football12",
        "baseball12",
        "sunshine12",
        "princess12",
        "monkey1234",
        "dragon1234",
        "trustno1234",
        "superman12",
    }
)


def password_problem(password: str) -> str | None:
    """A sentence saying why `password` is too weak, or None.

    Args:
        password: the proposed password.

    Returns:
        None when acceptable; otherwise the reason, for a 422 or an inline form message.
    """
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters."
    if not password.strip():
        return "Password must not be blank."
    if len(set(password)) == 1:
        return "Password must not be one character repeated. Choose something harder to guess."
    if password.lower() in COMMON_PASSWORDS:
        return "This password is one of the most common ones and easy to guess. Choose another."
    return None
