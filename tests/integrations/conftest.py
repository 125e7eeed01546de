"""Fixtures and helpers of the integration tests: the loopback fake LLM and MCP servers, loopback egress, waiting."""

import time

import pytest

from resolutionflow_app.settings import get_settings
from tests.fakes.fake_llm import fake_llm  # noqa: F401 - fixture
from tests.fakes.fake_mcp import fake_mcp  # noqa: F401 - fixture


@pytest.fixture
def loopback(monkeypatch):
    """Let the outbound guard reach servers on 127.0.0.1 (the loopback fakes)."""
    monkeypatch.setenv("RF_ALLOWED_INTERNAL_CIDRS", "127.0.0.0/8")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def wait_until(predicate, timeout: float = 60.0, what: str = "") -> None:
    """Poll `predicate` every 0.1 s until it is true; fail after `timeout` seconds naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
