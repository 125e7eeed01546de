"""MCP client: list and call tools on streamable-HTTP MCP servers (official `mcp` SDK) through the SSRF guard."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from resolutionflow_app.integrations.http_guard import (
    BlockedURLError,
    OutboundHTTPError,
    Resolver,
    _split_url,
    make_client_httpx2,
    validate_headers,
)
from resolutionflow_app.integrations.llm import ToolSpec

ClientFactory = Callable[[dict[str, str]], Any]  # headers -> httpx2.AsyncClient


class MCPError(OutboundHTTPError):
    """Talking to an MCP server failed; the message is safe to show."""


def _find(exc: BaseException, kind: type[BaseException], depth: int = 0) -> BaseException | None:
    """The first exception of `kind` inside exception groups / causes."""
    if depth > 8:
        return None
    if isinstance(exc, kind):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _find(inner, kind, depth + 1)
            if found is not None:
                return found
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            found = _find(linked, kind, depth + 1)
            if found is not None:
                return found
    return None


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


class MCPSession:
    """An open MCP connection (use `open_session`)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    async def list_tools(self) -> list[dict[str, Any]]:
        """Every tool the server offers: [{name, description, input_schema}] (all pages)."""
        tools: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(50):
            result = await self._client.list_tools(cursor=cursor) if cursor else await self._client.list_tools()
            for tool in result.tools:
                tools.append(
                    {
                        "name": tool.name,
                        "description": tool.description or "",
                        "input_schema": dict(tool.input_schema or {"type": "object", "properties": {}}),
                    }
                )
            cursor = getattr(result, "next_cursor", None)
            if not cursor:
                break
        return tools

    async def call_tool(self, name: str, arguments: Mapping[str, Any] | None = None) -> str:
        """Call a tool and return its text output.

        Raises:
            MCPError: the tool reported an error or the call failed.
        """
        result = await self._client.call_tool(name, dict(arguments or {}))
        text = _result_text(result)
        if getattr(result, "is_error", False):
            raise MCPError(f"The MCP tool {name!r} failed: {text or 'no details'}")
        return text


def _result_text(result: Any) -> str:
    parts: list[str] = []
    for block in getattr(result, "content", None) or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind == "resource" and getattr(getattr(block, "resource", None), "text", None) is not None:
            parts.append(block.resource.text)
        else:
            parts.append(f"[{kind or 'unknown'} content omitted]")
    if not parts and getattr(result, "structured_content", None) is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(parts)


@asynccontextmanager
async def open_session(
    url: str,
    headers: Mapping[str, Any] | None = None,
    *,
    client_factory: ClientFactory | None = None,
    timeout: float | None = None,
    resolver: Resolver | None = None,
    allowed_cidrs: Iterable[str] | str | None = None,
) -> AsyncIterator[MCPSession]:
    """Connect to a streamable-HTTP MCP server through the guarded httpx2 client.

    Raises:
        BlockedURLError: the URL is not allowed. MCPError: the server could not be reached or spoke nonsense.
    """
    from mcp.client.client import Client  # noqa: PLC0415
    from mcp.client.streamable_http import streamable_http_client  # noqa: PLC0415

    _split_url(url)
    clean = validate_headers(headers)
    if client_factory is not None:
        http_client = client_factory(clean)
    else:
        http_client = make_client_httpx2(headers=clean, timeout=timeout, resolver=resolver, allowed_cidrs=allowed_cidrs)
    entered = False
    try:
        async with http_client:
            transport = streamable_http_client(url, http_client=http_client)
            async with Client(transport, read_timeout_seconds=timeout) as client:
                entered = True
                yield MCPSession(client)
    except (BlockedURLError, MCPError):
        raise
    except Exception as exc:  # noqa: BLE001 - SDK/transport errors arrive wrapped in exception groups
        blocked = _find(exc, BlockedURLError)
        if blocked is not None:
            raise blocked from None
        known = _find(exc, MCPError)
        if known is not None:
            raise known from None
        leaf = _leaf(exc)
        where = "talking to" if entered else "connecting to"
        raise MCPError(f"Error {where} the MCP server: {leaf or type(leaf).__name__}") from None


async def list_tools(
    url: str,
    headers: Mapping[str, Any] | None = None,
    *,
    client_factory: ClientFactory | None = None,
    timeout: float | None = None,
    resolver: Resolver | None = None,
    allowed_cidrs: Iterable[str] | str | None = None,
) -> list[dict[str, Any]]:
    """The tools an MCP server offers: [{name, description, input_schema}]."""
    async with open_session(
        url, headers, client_factory=client_factory, timeout=timeout, resolver=resolver, allowed_cidrs=allowed_cidrs
    ) as session:
        return await session.list_tools()


async def call_tool(
    url: str,
    headers: Mapping[str, Any] | None,
    name: str,
    arguments: Mapping[str, Any] | None,
    *,
    client_factory: ClientFactory | None = None,
    timeout: float | None = None,
    resolver: Resolver | None = None,
    allowed_cidrs: Iterable[str] | str | None = None,
) -> str:
    """Call one tool on an MCP server and return its text output (MCPError when the tool fails)."""
    async with open_session(
        url, headers, client_factory=client_factory, timeout=timeout, resolver=resolver, allowed_cidrs=allowed_cidrs
    ) as session:
        return await session.call_tool(name, arguments)


def tool_spec(url: str, headers: Mapping[str, Any] | None, tool: Mapping[str, Any], **kwargs: Any) -> ToolSpec:
    """A ToolSpec for the LLM tool loop that calls `tool` ({name, description, input_schema}) on the server.

    kwargs (client_factory, timeout, resolver, allowed_cidrs) are passed to `call_tool`.
    """
    name = str(tool["name"])
    frozen_headers = dict(headers or {})

    async def _call(arguments: dict[str, Any]) -> str:
        return await call_tool(url, frozen_headers, name, arguments, **kwargs)

    return ToolSpec(
        name=name,
        description=str(tool.get("description") or ""),
        input_schema=dict(tool.get("input_schema") or {"type": "object", "properties": {}}),
        call=_call,
    )
