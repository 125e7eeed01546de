"""A streamable-HTTP MCP server (official `mcp` SDK) on 127.0.0.1 with three tools, run by uvicorn in a thread.

Use:
    with fake_mcp_server() as mcp:     # mcp.url == "http://127.0.0.1:<port>/mcp"
        ...
        mcp.calls    # [(tool name, arguments)], mcp.headers: request headers seen (lowercase names)
Tools: add(a, b) -> a + b; echo(text) -> text; lookup_ticket(ticket_id) -> a short status line
(raises for unknown ids, which MCP reports as an error result). Loopback is private: clients
must allow 127.0.0.0/8.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

TICKETS = {"T-1": "open: printer jams on floor 3", "T-2": "closed: VPN certificate renewed"}


class FakeMCP:
    """The server and what it saw."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.headers: list[dict[str, str]] = []
        server = MCPServer("fake-mcp", log_level="WARNING")

        @server.tool(description="Add two integers.")
        def add(a: int, b: int) -> int:
            self.calls.append(("add", {"a": a, "b": b}))
            return a + b

        @server.tool(description="Echo the text back.")
        def echo(text: str) -> str:
            self.calls.append(("echo", {"text": text}))
            return text

        @server.tool(description="Look up a support ticket's status by id.")
        def lookup_ticket(ticket_id: str) -> str:
            self.calls.append(("lookup_ticket", {"ticket_id": ticket_id}))
            if ticket_id not in TICKETS:
                raise ToolError(f"unknown ticket {ticket_id}")
            return f"{ticket_id} is {TICKETS[ticket_id]}"

        app = server.streamable_http_app(json_response=False)

        async def recording_app(scope: dict, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                self.headers.append({k.decode().lower(): v.decode() for k, v in scope["headers"]})
            await app(scope, receive, send)

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.origin}/mcp"
        config = uvicorn.Config(recording_app, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def __str__(self) -> str:
        return self.url

    def start(self) -> FakeMCP:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake MCP server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()


@contextmanager
def fake_mcp_server() -> Iterator[FakeMCP]:
    """Run a FakeMCP for the duration of the block."""
    server = FakeMCP().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_mcp() -> Iterator[FakeMCP]:
    """A FakeMCP per test (import this fixture into your test module or conftest)."""
    with fake_mcp_server() as server:
        yield server
