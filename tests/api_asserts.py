"""Assertions shared by the black-box API contract tests."""

from __future__ import annotations

import uuid
from datetime import datetime


def iso_tz(value: str) -> datetime:
    """Parse an ISO 8601 time and check that it carries a time zone."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, value
    return parsed


def uuid_str(value) -> None:
    """Check that `value` is a UUID string."""
    assert isinstance(value, str)
    uuid.UUID(value)


def error_body(resp, *codes: int) -> dict:
    """Check the status is one of `codes` and the body is `{"detail": ...}`; return the body."""
    assert resp.status_code in codes, (resp.status_code, resp.text)
    body = resp.json()
    assert "detail" in body, body
    return body
