"""Fixtures of the integration tests: the loopback fake LLM and MCP servers."""

from tests.fakes.fake_llm import fake_llm  # noqa: F401 - fixture
from tests.fakes.fake_mcp import fake_mcp  # noqa: F401 - fixture
