"""A fake OpenAI-compatible chat-completions server on 127.0.0.1 (scripted replies, tool calls, latency, usage).

Use:
    with fake_llm_server(latency=0.05) as llm:      # llm.base_url == "http://127.0.0.1:<port>/v1"
        llm.script("first answer", {"tool_calls": [{"name": "lookup", "arguments": {"q": "x"}}]})
        ...
        llm.requests  # every chat request body (dict), in order
Loopback is private: clients must allow 127.0.0.0/8 (allowed_cidrs or RF_ALLOWED_INTERNAL_CIDRS).
Replies are taken from the script in order; when it is empty the default reply echoes the last user
message as "echo: <text>". A reply is a str, a dict {"content", "tool_calls", "usage", "status"},
or a callable(request_body) -> either of those.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.fakes._server import LoopbackServer, Request, json_response

Reply = str | dict[str, Any] | Callable[[dict[str, Any]], Any]


def _words(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):  # content parts
        return sum(_words(p.get("text", "")) for p in value if isinstance(p, dict))
    return 0


def default_reply(body: dict[str, Any]) -> str:
    """Echo the last user message."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = users[-1].get("content", "") if users else ""
    if isinstance(content, list):
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return f"echo: {content}"


class FakeLLM:
    """The server state: scripted replies, recorded requests, latency, injected failures."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        replies: list[Reply] | None = None,
        default: Callable[[dict[str, Any]], Any] = default_reply,
        model_ids: list[str] | None = None,
    ) -> None:
        self.latency = latency
        self.default = default
        self.model_ids = model_ids or ["fake-model"]
        self.replies: deque[Reply] = deque(replies or [])
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.model_call_seconds: list[float] = []
        self._fail: deque[int] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = LoopbackServer(self._handle)
        self.origin = self._server.origin
        self.base_url = f"{self._server.origin}/v1"

    def __str__(self) -> str:
        return self.base_url

    # -- control
    def script(self, *replies: Reply) -> None:
        """Queue replies for the next calls."""
        with self._lock:
            self.replies.extend(replies)

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """Answer the next n chat calls with an error status."""
        with self._lock:
            self._fail.extend([status] * n)

    @property
    def call_count(self) -> int:
        return len(self.requests)

    # -- server
    def _handle(self, req: Request) -> tuple[int, dict[str, str], bytes]:
        path = req.path.split("?", 1)[0].rstrip("/")
        if req.method == "GET" and path.endswith("/models"):
            return json_response(
                200,
                {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "fake"} for m in self.model_ids]},
            )
        if req.method != "POST" or not path.endswith("/chat/completions"):
            return json_response(404, {"error": {"message": f"No route {req.method} {path}", "type": "not_found"}})
        started = time.perf_counter()
        body = req.json()
        with self._lock:
            self.requests.append(body)
            self.headers.append(dict(req.headers))
            status = self._fail.popleft() if self._fail else None
            reply: Any = self.replies.popleft() if self.replies else self.default
        if self.latency:
            time.sleep(self.latency)
        if status is not None:
            return json_response(status, {"error": {"message": f"injected failure {status}", "type": "server_error"}})
        if callable(reply):
            reply = reply(body)
        if isinstance(reply, str):
            reply = {"content": reply}
        if reply.get("status"):
            return json_response(
                int(reply["status"]), {"error": {"message": reply.get("content") or "scripted error", "type": "error"}}
            )
        content = reply.get("content")
        tool_calls = [
            {
                "id": f"call_{next(self._ids)}",
                "type": "function",
                "function": {
                    "name": c["name"],
                    "arguments": c["arguments"]
                    if isinstance(c.get("arguments"), str)
                    else json.dumps(c.get("arguments", {})),
                },
            }
            for c in reply.get("tool_calls") or []
        ]
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if tool_calls:
            message["tool_calls"] = tool_calls
        usage = reply.get("usage") or {
            "prompt_tokens": sum(_words(m.get("content")) for m in body.get("messages", [])),
            "completion_tokens": _words(content) + len(tool_calls),
        }
        usage.setdefault("total_tokens", usage["prompt_tokens"] + usage["completion_tokens"])
        result = {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}],
            "usage": usage,
        }
        with self._lock:
            self.model_call_seconds.append(time.perf_counter() - started)
        return json_response(200, result)

    def start(self) -> FakeLLM:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()


@contextmanager
def fake_llm_server(**kwargs: Any) -> Iterator[FakeLLM]:
    """Run a FakeLLM for the duration of the block (kwargs: latency, replies, default, model_ids)."""
    server = FakeLLM(**kwargs).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A FakeLLM per test (import this fixture into your test module or conftest)."""
    with fake_llm_server() as server:
        yield server
