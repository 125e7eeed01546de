"""Outbound webhooks: idempotency keys, Standard Webhooks signatures (HMAC-SHA256) and guarded delivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from resolutionflow_app.integrations.http_guard import HTTPResult, Resolver, fetch

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300


class WebhookVerificationError(ValueError):
    """A received webhook's signature or timestamp does not check out."""


def idempotency_key(run_id: uuid.UUID | str, step_order: int) -> str:
    """sha256 hex of the canonical run id (lowercase hyphenated UUID) followed by the step order."""
    canonical = str(uuid.UUID(str(run_id)))
    return hashlib.sha256(f"{canonical}{int(step_order)}".encode()).hexdigest()


def new_webhook_secret() -> str:
    """A fresh signing secret in Standard Webhooks form: "whsec_" + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _secret_bytes(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX) :])
    return secret.encode("utf-8")


def signature(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}" keyed with the decoded secret."""
    mac = hmac.new(_secret_bytes(secret), f"{msg_id}.{int(timestamp)}.{body}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for one message."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": f"v1,{signature(secret, msg_id, timestamp, body)}",
    }


def verify(
    secret: str | Iterable[str],
    headers: Mapping[str, str],
    body: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: int | None = None,
) -> None:
    """Check a received webhook like a Standard Webhooks receiver would (several secrets allowed).

    Raises:
        WebhookVerificationError: missing headers, stale timestamp or no matching signature.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id, ts_text, sig_header = lower["webhook-id"], lower["webhook-timestamp"], lower["webhook-signature"]
        timestamp = int(ts_text)
    except (KeyError, ValueError):
        raise WebhookVerificationError("Missing or malformed webhook-id/-timestamp/-signature headers.") from None
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("The webhook timestamp is outside the tolerance window.")
    candidates = [secret] if isinstance(secret, str) else list(secret)
    given = [part.split(",", 1)[1] for part in sig_header.split() if part.startswith("v1,")]
    for candidate in candidates:
        expected = signature(candidate, msg_id, timestamp, body)
        if any(hmac.compare_digest(expected, g) for g in given):
            return
    raise WebhookVerificationError("No webhook signature matches.")


def _content_type(body: str) -> str:
    try:
        json.loads(body)
    except ValueError:
        return "text/plain; charset=utf-8"
    return "application/json"


async def deliver(
    url: str,
    body: str,
    *,
    secret: str,
    idempotency_key: str,
    headers: Mapping[str, Any] | None = None,
    client: httpx.AsyncClient | None = None,
    timestamp: int | None = None,
    retries: int = 3,
    backoff: tuple[float, ...] = (1, 2, 4),
    timeout: float | None = None,
    resolver: Resolver | None = None,
    allowed_cidrs: Iterable[str] | str | None = None,
) -> HTTPResult:
    """POST a step output to a webhook: Idempotency-Key, signed Standard Webhooks headers, retried.

    The webhook-id equals the idempotency key, so a re-delivery after a crash carries the same id and
    receivers can deduplicate. The user's headers are validated (injection blocklist) and cannot
    replace the signature headers.

    Raises:
        BlockedURLError: the URL is not allowed. OutboundHTTPError: delivery failed after retries
        or the receiver answered 4xx/5xx.
    """
    ts = int(time.time()) if timestamp is None else int(timestamp)
    merged: dict[str, Any] = {"Content-Type": _content_type(body)}
    protected = {"idempotency-key", "webhook-id", "webhook-timestamp", "webhook-signature"}
    merged.update({k: v for k, v in (headers or {}).items() if k.lower() not in protected})
    merged["Idempotency-Key"] = idempotency_key
    merged.update(sign(secret, idempotency_key, ts, body))
    return await fetch(
        "POST",
        url,
        headers=merged,
        content=body.encode("utf-8"),
        retries=retries,
        backoff=backoff,
        client=client,
        timeout=timeout,
        resolver=resolver,
        allowed_cidrs=allowed_cidrs,
    )
