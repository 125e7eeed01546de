"""Webhooks: Standard Webhooks signatures, idempotency keys, delivery with retries and deduplication."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest

from resolutionflow_app.integrations import webhooks
from resolutionflow_app.integrations.http_guard import (
    BlockedURLError,
    InvalidHeaderError,
    OutboundHTTPError,
)
from tests.fakes.webhook_receiver import webhook_receiver

LOOPBACK = ["127.0.0.0/8"]


def test_idempotency_key_is_sha256_of_canonical_run_id_and_step_order() -> None:
    run_id = uuid.UUID("6F9619FF-8B86-D011-B42D-00C04FC964FF")
    expected = hashlib.sha256(b"6f9619ff-8b86-d011-b42d-00c04fc964ff3").hexdigest()
    assert webhooks.idempotency_key(run_id, 3) == expected
    # any spelling of the same UUID gives the same key
    assert webhooks.idempotency_key("6F9619FF8B86D011B42D00C04FC964FF", 3) == expected
    assert webhooks.idempotency_key(str(run_id).upper(), 3) == expected
    assert webhooks.idempotency_key(run_id, 4) != expected
    assert len(expected) == 64


def test_new_secret_has_standard_form() -> None:
    secret = webhooks.new_webhook_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    assert webhooks.new_webhook_secret() != secret


def test_signature_follows_standard_webhooks() -> None:
    # Reference values computed independently with the published algorithm.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id, ts, body = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}'
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.{body}".encode(), hashlib.sha256).digest()).decode()
    headers = webhooks.sign(secret, msg_id, ts, body)
    assert headers == {"webhook-id": msg_id, "webhook-timestamp": "1614265330", "webhook-signature": f"v1,{expected}"}
    # the example from the Standard Webhooks specification
    assert expected == "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_verify_accepts_good_and_rejects_tampered() -> None:
    secret = webhooks.new_webhook_secret()
    now = int(time.time())
    headers = webhooks.sign(secret, "id-1", now, "hello")
    webhooks.verify(secret, headers, "hello")
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(secret, headers, "hello!")
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(webhooks.new_webhook_secret(), headers, "hello")
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(secret, webhooks.sign(secret, "id-1", now - 3600, "hello"), "hello")
    webhooks.verify(["whsec_b2xk", secret], headers, "hello")  # rotation: any of several secrets


async def test_deliver_sends_signed_idempotent_request() -> None:
    secret = webhooks.new_webhook_secret()
    key = webhooks.idempotency_key(uuid.uuid4(), 1)
    body = json.dumps({"summary": "done"})
    with webhook_receiver(secret=secret) as hook:
        result = await webhooks.deliver(
            hook.url,
            body,
            secret=secret,
            idempotency_key=key,
            headers={"Authorization": "Bearer t"},
            allowed_cidrs=LOOPBACK,
        )
        assert result.status_code == 200
        assert hook.rejected == []
        [req] = hook.requests
        assert req.headers["idempotency-key"] == key
        assert req.headers["webhook-id"] == key
        assert req.headers["authorization"] == "Bearer t"
        assert req.headers["content-type"] == "application/json"
        assert req.text == body
        webhooks.verify(secret, req.headers, req.text)


async def test_deliver_retries_and_receiver_deduplicates() -> None:
    secret = webhooks.new_webhook_secret()
    key = webhooks.idempotency_key(uuid.uuid4(), 2)
    with webhook_receiver(secret=secret) as hook:
        hook.fail_first(2, status=503)
        await webhooks.deliver(
            hook.url, "plain text", secret=secret, idempotency_key=key, backoff=(0, 0, 0), allowed_cidrs=LOOPBACK
        )
        assert hook.keys == [key, key, key]
        assert hook.unique_keys == [key]
        assert hook.bodies == ["plain text"]
        assert hook.requests[-1].headers["content-type"].startswith("text/plain")
        # a re-delivery after a crash carries the same key and is recognised as a duplicate
        await webhooks.deliver(hook.url, "plain text", secret=secret, idempotency_key=key, allowed_cidrs=LOOPBACK)
        assert hook.duplicates == 1
        assert len(hook.delivered) == 1


async def test_deliver_gives_up_with_clear_error() -> None:
    with webhook_receiver() as hook:
        hook.fail_first(10, status=500)
        with pytest.raises(OutboundHTTPError, match="after 4 attempt"):
            await webhooks.deliver(
                hook.url, "x", secret="whsec_c2VjcmV0", idempotency_key="k", backoff=(0, 0, 0), allowed_cidrs=LOOPBACK
            )
        assert len(hook.requests) == 4
        assert hook.delivered == []


async def test_user_headers_cannot_replace_signature_or_inject() -> None:
    secret = webhooks.new_webhook_secret()
    with webhook_receiver(secret=secret) as hook:
        await webhooks.deliver(
            hook.url,
            "x",
            secret=secret,
            idempotency_key="real",
            headers={"Idempotency-Key": "fake", "webhook-signature": "v1,forged"},
            allowed_cidrs=LOOPBACK,
        )
        assert hook.keys == ["real"]
        assert hook.rejected == []
        with pytest.raises(InvalidHeaderError):
            await webhooks.deliver(
                hook.url,
                "x",
                secret=secret,
                idempotency_key="k",
                headers={"X-A": "1\r\nHost: evil"},
                allowed_cidrs=LOOPBACK,
            )
        assert len(hook.requests) == 1


async def test_receiver_on_loopback_is_blocked_by_default() -> None:
    with webhook_receiver() as hook:
        with pytest.raises(BlockedURLError):
            await webhooks.deliver(hook.url, "x", secret="whsec_c2VjcmV0", idempotency_key="k")
        assert hook.requests == []
