"""A webhook receiver on 127.0.0.1 that records requests and idempotency keys and can fail on purpose.

Use:
    with webhook_receiver() as hook:       # hook.url == "http://127.0.0.1:<port>/hook"
        hook.fail_first(2)                 # the next 2 requests answer 500
        ...
        hook.keys, hook.unique_keys, hook.duplicates, hook.delivered
Every request to any path is recorded. A request whose Idempotency-Key was already accepted is a
duplicate: it is counted and answered 200 without being "delivered" again. Optionally pass
`secret=` to verify Standard Webhooks signatures (bad ones answer 401 and are recorded as rejected).
Loopback is private: clients must allow 127.0.0.0/8.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.fakes._server import LoopbackServer, Request, json_response


class WebhookReceiver:
    """The receiver state (thread-safe)."""

    def __init__(self, *, secret: str | None = None, path: str = "/hook", status: int = 200) -> None:
        self.secret = secret
        self.status = status
        self.requests: list[Request] = []
        self.keys: list[str | None] = []
        self.delivered: list[Request] = []
        self.rejected: list[Request] = []
        self.duplicates = 0
        self._seen: set[str] = set()
        self._fail: deque[int] = deque()
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._handle)
        self.origin = self._server.origin
        self.url = f"{self._server.origin}{path}"

    def __str__(self) -> str:
        return self.url

    def fail_first(self, n: int, status: int = 500) -> None:
        """Answer the next n requests with `status` (they are recorded but not accepted)."""
        with self._lock:
            self._fail.extend([status] * n)

    @property
    def unique_keys(self) -> list[str]:
        """Accepted idempotency keys in first-seen order."""
        with self._lock:
            out: list[str] = []
            for req in self.delivered:
                key = req.headers.get("idempotency-key")
                if key and key not in out:
                    out.append(key)
            return out

    @property
    def bodies(self) -> list[str]:
        """Bodies of the accepted (non-duplicate) deliveries."""
        with self._lock:
            return [r.text for r in self.delivered]

    def _handle(self, req: Request) -> tuple[int, dict[str, str], bytes]:
        key = req.headers.get("idempotency-key")
        with self._lock:
            self.requests.append(req)
            self.keys.append(key)
            if self._fail:
                return json_response(self._fail.popleft(), {"detail": "injected failure"})
        if self.secret is not None:
            from resolutionflow_app.integrations.webhooks import (
                WebhookVerificationError,
                verify,
            )

            try:
                verify(self.secret, req.headers, req.text)
            except WebhookVerificationError as exc:
                with self._lock:
                    self.rejected.append(req)
                return json_response(401, {"detail": str(exc)})
        with self._lock:
            if key is not None and key in self._seen:
                self.duplicates += 1
                return json_response(200, {"status": "duplicate"})
            if key is not None:
                self._seen.add(key)
            self.delivered.append(req)
        return json_response(self.status, {"status": "accepted"})

    def start(self) -> WebhookReceiver:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()


@contextmanager
def webhook_receiver(**kwargs: Any) -> Iterator[WebhookReceiver]:
    """Run a WebhookReceiver for the duration of the block (kwargs: secret, path, status)."""
    receiver = WebhookReceiver(**kwargs).start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A WebhookReceiver per test (import this fixture into your test module or conftest)."""
    with webhook_receiver() as server:
        yield server
