"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD_LENGTH = 10
# Verifying against this keeps login timing the same whether or not the email exists.
_DUMMY_HASH = _hasher.hash("dummy-password-for-timing")


def hash_password(password: str) -> str:
    """Hash `password` with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always spends the same work, even for unknown users."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
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
