"""MCP client against a real streamable-HTTP MCP server on loopback (official SDK on both sides)."""

from __future__ import annotations

import pytest

from resolutionflow_app.integrations import llm, mcp_client
from resolutionflow_app.integrations.http_guard import (
    BlockedURLError,
    InvalidHeaderError,
)
from tests.fakes.fake_llm import fake_llm_server
from tests.fakes.fake_mcp import FakeMCP

LOOPBACK = ["127.0.0.0/8"]


async def test_list_tools(fake_mcp: FakeMCP) -> None:
    tools = await mcp_client.list_tools(fake_mcp.url, {"Authorization": "Bearer mcp-token"}, allowed_cidrs=LOOPBACK)
    by_name = {t["name"]: t for t in tools}
    assert set(by_name) == {"add", "echo", "lookup_ticket"}
    assert by_name["add"]["description"] == "Add two integers."
    assert by_name["add"]["input_schema"]["properties"]["a"]["type"] == "integer"
    assert by_name["add"]["input_schema"]["required"] == ["a", "b"]
    assert fake_mcp.headers
    assert all(h.get("authorization") == "Bearer mcp-token" for h in fake_mcp.headers)


async def test_call_tools(fake_mcp: FakeMCP) -> None:
    assert await mcp_client.call_tool(fake_mcp.url, None, "add", {"a": 2, "b": 40}, allowed_cidrs=LOOPBACK) == "42"
    assert await mcp_client.call_tool(
        fake_mcp.url, {}, "lookup_ticket", {"ticket_id": "T-1"}, allowed_cidrs=LOOPBACK
    ) == ("T-1 is open: printer jams on floor 3")
    assert fake_mcp.calls == [("add", {"a": 2, "b": 40}), ("lookup_ticket", {"ticket_id": "T-1"})]


async def test_one_session_for_several_calls(fake_mcp: FakeMCP) -> None:
    async with mcp_client.open_session(fake_mcp.url, allowed_cidrs=LOOPBACK) as session:
        assert len(await session.list_tools()) == 3
        assert await session.call_tool("echo", {"text": "hej"}) == "hej"
        assert await session.call_tool("add", {"a": 1, "b": 1}) == "2"


async def test_tool_errors_are_clear(fake_mcp: FakeMCP) -> None:
    with pytest.raises(mcp_client.MCPError, match="unknown ticket T-404"):
        await mcp_client.call_tool(fake_mcp.url, None, "lookup_ticket", {"ticket_id": "T-404"}, allowed_cidrs=LOOPBACK)
    with pytest.raises(mcp_client.MCPError, match="nope"):
        await mcp_client.call_tool(fake_mcp.url, None, "nope", {}, allowed_cidrs=LOOPBACK)


async def test_mcp_server_on_loopback_is_blocked_by_default(fake_mcp: FakeMCP) -> None:
    with pytest.raises(BlockedURLError):
        await mcp_client.list_tools(fake_mcp.url)
    with pytest.raises(BlockedURLError):
        await mcp_client.call_tool("http://169.254.169.254/mcp", None, "add", {})
    with pytest.raises(BlockedURLError):
        await mcp_client.list_tools("http://user:pw@example.com/mcp")
    assert fake_mcp.headers == []


async def test_bad_headers_and_unreachable_server() -> None:
    with pytest.raises(InvalidHeaderError):
        await mcp_client.list_tools("http://127.0.0.1:9/mcp", {"X-A": "1\r\nHost: x"}, allowed_cidrs=LOOPBACK)
    with pytest.raises(mcp_client.MCPError):
        await mcp_client.list_tools("http://127.0.0.1:9/mcp", allowed_cidrs=LOOPBACK, timeout=5)


async def test_model_calls_mcp_tools_through_tool_specs(fake_mcp: FakeMCP) -> None:
    tools = await mcp_client.list_tools(fake_mcp.url, allowed_cidrs=LOOPBACK)
    allowed = [t for t in tools if t["name"] == "lookup_ticket"]  # a restricted step's allowlist
    specs = [mcp_client.tool_spec(fake_mcp.url, None, t, allowed_cidrs=LOOPBACK) for t in allowed]
    with fake_llm_server() as model:
        model.script(
            {
                "tool_calls": [
                    {"name": "lookup_ticket", "arguments": {"ticket_id": "T-2"}},
                    {"name": "add", "arguments": {"a": 1, "b": 2}},
                ]
            },
            "Ticket T-2 is closed.",
        )
        async with llm.OpenAICompatibleProvider(model.base_url, "k", allowed_cidrs=LOOPBACK) as provider:
            result = await provider.complete(system_prompt="s", user_input="status of T-2?", model="m", tools=specs)
    assert result.text == "Ticket T-2 is closed."
    assert result.tool_calls[0] == {
        "name": "lookup_ticket",
        "arguments": {"ticket_id": "T-2"},
        "result": "T-2 is closed: VPN certificate renewed",
    }
    assert "error" in result.tool_calls[1]  # not on the allowlist: never reached the server
    assert fake_mcp.calls == [("lookup_ticket", {"ticket_id": "T-2"})]
