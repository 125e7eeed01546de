"""LLM providers: any OpenAI-compatible endpoint (openai SDK over the guarded client) and the offline model."""

from __future__ import annotations

import asyncio
import hashlib
import json
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from resolutionflow_app.integrations.http_guard import (
    BlockedURLError,
    OutboundHTTPError,
    Resolver,
    _split_url,
    make_client,
)

MAX_TOOL_ROUNDS = 5
OFFLINE_PREFIX = "[offline model]"
PROVIDERS = ("openai_compatible", "offline")


class LLMError(OutboundHTTPError):
    """The model call failed; the message is safe to show."""


@dataclass
class Completion:
    """One model answer: text, token usage and the tool calls made on the way."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tool_calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total_tokens(self) -> int:
        """prompt + completion tokens."""
        return self.prompt_tokens + self.completion_tokens


@dataclass
class ToolSpec:
    """A tool the model may call: JSON-schema input and an async implementation returning text."""

    name: str
    description: str
    input_schema: dict[str, Any]
    call: Callable[[dict[str, Any]], Awaitable[str]]


class LLMProvider(Protocol):
    """What the automation runner calls for a model step."""

    async def complete(
        self,
        *,
        system_prompt: str,
        user_input: str,
        model: str,
        tools: list[ToolSpec] | None = None,
        file_texts: list[str] | None = None,
        timeout: float | None = None,
    ) -> Completion:
        """Answer the prompt + input (calling tools as the model asks)."""
        ...


def build_user_message(user_input: str, file_texts: Iterable[str] | None) -> str:
    """The user message: the input followed by each attached file's text."""
    parts = [user_input or ""]
    for index, text in enumerate(file_texts or [], start=1):
        parts.append(f"\n\n--- attached file {index} ---\n{text}")
    return "".join(parts)


def _tool_param(spec: ToolSpec) -> dict[str, Any]:
    schema = spec.input_schema or {"type": "object", "properties": {}}
    return {
        "type": "function",
        "function": {"name": spec.name, "description": spec.description or "", "parameters": schema},
    }


def _blocked_cause(exc: BaseException) -> BlockedURLError | None:
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, BlockedURLError):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


class OpenAICompatibleProvider:
    """Chat completions against OpenAI, Ollama, vLLM, llama.cpp … through the SSRF-guarded client.

    Pass `client` (from `http_guard.make_client`) to share keep-alive connections across calls (the
    caller closes it). Without one, each `complete()` opens a guarded client and closes it when done,
    so nothing leaks even if the provider is never closed.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        client: httpx.AsyncClient | None = None,
        max_retries: int = 2,
        resolver: Resolver | None = None,
        allowed_cidrs: Iterable[str] | str | None = None,
        timeout: float | None = None,
    ) -> None:
        if not base_url:
            raise BlockedURLError("The model has no base URL.")
        _split_url(base_url)
        self.base_url = base_url
        self._api_key = api_key or "not-needed"
        self._max_retries = max_retries
        self._client_kwargs: dict[str, Any] = {"resolver": resolver, "allowed_cidrs": allowed_cidrs, "timeout": timeout}
        self._checked = False
        self._shared = client
        self._sdk = self._make_sdk(client) if client is not None else None

    def _make_sdk(self, client: httpx.AsyncClient) -> Any:
        import openai  # noqa: PLC0415

        return openai.AsyncOpenAI(
            base_url=self.base_url, api_key=self._api_key, http_client=client, max_retries=self._max_retries
        )

    async def aclose(self) -> None:
        """Nothing to release: a shared client belongs to the caller, per-call clients are already closed."""

    async def __aenter__(self) -> OpenAICompatibleProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _precheck(self, client: httpx.AsyncClient) -> None:
        """Reject a blocked base URL up front (the SDK would otherwise retry it with backoff)."""
        if self._checked:
            return
        guard = getattr(getattr(client, "_transport", None), "guard", None)
        if guard is not None:
            try:
                await guard.check(self.base_url.rstrip("/") + "/chat/completions")
            except BlockedURLError:
                raise
            except OutboundHTTPError as exc:
                raise LLMError(f"Could not reach the model endpoint ({exc.message}).") from None
        self._checked = True

    @staticmethod
    async def _create(sdk: Any, **kwargs: Any) -> Any:
        import openai  # noqa: PLC0415

        try:
            return await sdk.chat.completions.create(**kwargs)
        except openai.APIStatusError as exc:
            detail = ""
            try:
                body = exc.response.json()
                if isinstance(body, dict):
                    error = body.get("error")
                    detail = (
                        str(error.get("message", ""))
                        if isinstance(error, dict)
                        else str(error or body.get("detail") or "")
                    )
            except Exception:  # noqa: BLE001 - the body is only a hint
                detail = ""
            message = (
                f"The model endpoint answered HTTP {exc.status_code}" + (f": {detail[:300]}" if detail else "") + "."
            )
            raise LLMError(message, status_code=exc.status_code) from None
        except openai.APITimeoutError:
            raise LLMError("The model did not answer in time.") from None
        except openai.APIConnectionError as exc:
            blocked = _blocked_cause(exc)
            if blocked is not None:
                raise blocked from None
            cause = exc.__cause__ or exc.__context__
            reason = f" ({cause})" if cause else ""
            raise LLMError(f"Could not reach the model endpoint{reason}.") from None
        except openai.OpenAIError as exc:
            raise LLMError(f"The model call failed: {exc}.") from None

    async def complete(
        self,
        *,
        system_prompt: str,
        user_input: str,
        model: str,
        tools: list[ToolSpec] | None = None,
        file_texts: list[str] | None = None,
        timeout: float | None = None,
    ) -> Completion:
        """Run the chat (with a tool-call loop of at most MAX_TOOL_ROUNDS rounds)."""
        if self._shared is not None:
            await self._precheck(self._shared)
            return await self._complete(
                self._sdk,
                system_prompt=system_prompt,
                user_input=user_input,
                model=model,
                tools=tools,
                file_texts=file_texts,
                timeout=timeout,
            )
        async with make_client(**self._client_kwargs) as client:
            await self._precheck(client)
            return await self._complete(
                self._make_sdk(client),
                system_prompt=system_prompt,
                user_input=user_input,
                model=model,
                tools=tools,
                file_texts=file_texts,
                timeout=timeout,
            )

    async def _complete(
        self,
        sdk: Any,
        *,
        system_prompt: str,
        user_input: str,
        model: str,
        tools: list[ToolSpec] | None,
        file_texts: list[str] | None,
        timeout: float | None,
    ) -> Completion:
        messages: list[dict[str, Any]] = []
        if system_prompt:
            messages.append({"role": "system", "content": system_prompt})
        messages.append({"role": "user", "content": build_user_message(user_input, file_texts)})
        by_name = {t.name: t for t in tools or []}
        tool_params = [_tool_param(t) for t in tools or []]
        result = Completion(text="")
        for round_no in range(MAX_TOOL_ROUNDS + 1):
            kwargs: dict[str, Any] = {"model": model, "messages": messages}
            if timeout is not None:
                kwargs["timeout"] = timeout
            if tool_params:
                kwargs["tools"] = tool_params
                if round_no == MAX_TOOL_ROUNDS:
                    kwargs["tool_choice"] = "none"  # last round: the model must answer in text
            response = await self._create(sdk, **kwargs)
            usage = getattr(response, "usage", None)
            if usage is not None:
                result.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
                result.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
            if not response.choices:
                raise LLMError("The model returned no choices.")
            message = response.choices[0].message
            calls = [c for c in (message.tool_calls or []) if getattr(c, "function", None) is not None]
            if not calls or not by_name or round_no == MAX_TOOL_ROUNDS:
                result.text = message.content or ""
                return result
            messages.append(
                {
                    "role": "assistant",
                    "content": message.content,
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.function.name, "arguments": c.function.arguments or "{}"},
                        }
                        for c in calls
                    ],
                }
            )
            for call in calls:
                output = await self._run_tool(by_name, call.function.name, call.function.arguments, result)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": output})
        return result  # pragma: no cover - the loop always returns

    @staticmethod
    async def _run_tool(by_name: dict[str, ToolSpec], name: str, raw_args: str | None, result: Completion) -> str:
        record: dict[str, Any] = {"name": name}
        try:
            args = json.loads(raw_args or "{}")
            if not isinstance(args, dict):
                raise ValueError("tool arguments must be a JSON object")
        except ValueError as exc:
            record.update(arguments=raw_args, error=f"Invalid arguments: {exc}")
            result.tool_calls.append(record)
            return f"Error: invalid arguments ({exc})"
        record["arguments"] = args
        spec = by_name.get(name)
        if spec is None:
            record["error"] = f"Tool {name!r} is not available to this step."
            result.tool_calls.append(record)
            return f"Error: tool {name!r} is not available."
        try:
            output = await spec.call(args)
        except Exception as exc:  # noqa: BLE001 - a failing tool is reported to the model, not fatal
            record["error"] = str(exc) or type(exc).__name__
            result.tool_calls.append(record)
            return f"Error: {record['error']}"
        record["result"] = output
        result.tool_calls.append(record)
        return str(output)


def count_tokens(text: str) -> int:
    """The offline model's token count: whitespace-separated words."""
    return len(text.split())


class OfflineProvider:
    """A built-in model that needs no server: it renders the resolved prompt and input deterministically."""

    async def aclose(self) -> None:
        """Nothing to release."""

    async def __aenter__(self) -> OfflineProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def complete(
        self,
        *,
        system_prompt: str,
        user_input: str,
        model: str,
        tools: list[ToolSpec] | None = None,
        file_texts: list[str] | None = None,
        timeout: float | None = None,
    ) -> Completion:
        """Echo prompt, input and attachments under an "[offline model]" header (no tools are called)."""
        user_message = build_user_message(user_input, file_texts)
        lines = [
            f"{OFFLINE_PREFIX} {model or 'offline'} — no language model was called.",
            f"Instructions: {system_prompt.strip()}" if system_prompt.strip() else "Instructions: (none)",
            f"Input: {user_message.strip()}" if user_message.strip() else "Input: (empty)",
        ]
        if tools:
            lines.append("Tools available: " + ", ".join(sorted(t.name for t in tools)))
        text = "\n".join(lines)
        return Completion(
            text=text,
            prompt_tokens=count_tokens(system_prompt) + count_tokens(user_message),
            completion_tokens=count_tokens(text),
            tool_calls=[],
        )


def provider_for(
    provider: str, base_url: str | None, api_key: str | None, *, client: httpx.AsyncClient | None = None, **kwargs: Any
) -> LLMProvider:
    """The provider for a CompletionModel row ("offline" or "openai_compatible")."""
    if provider == "offline":
        return OfflineProvider()
    if provider in ("openai_compatible", "openai"):
        return OpenAICompatibleProvider(base_url or "", api_key, client=client, **kwargs)
    raise ValueError(f"Unknown model provider {provider!r}; expected one of {', '.join(PROVIDERS)}.")


# One guarded httpx client + SDK per (event loop, endpoint, key, guard options) for the life of the
# process: a worker reuses keep-alive connections and skips building the openai client and its
# httpx client on every model call (that construction was most of a worker's CPU per run). Keyed by
# loop because an httpx client's connections belong to the loop that opened them; a closed loop's
# entries go with it (weak keys).
_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[Any, ...], OpenAICompatibleProvider]] = (
    weakref.WeakKeyDictionary()
)


def shared_provider(
    base_url: str,
    api_key: str | None,
    *,
    allowed_cidrs: Iterable[str] | str | None = None,
    timeout: float | None = None,
) -> OpenAICompatibleProvider:
    """The process's provider for an endpoint and key, on a guarded client shared by every call from this loop.

    Every request still goes through the SSRF guard (DNS pinned and checked per connection); only the
    client objects and their keep-alive connections are reused. Call from a running event loop.

    Args:
        base_url: the model's OpenAI-compatible base URL.
        api_key: its key (kept only in memory; the cache key holds its SHA-256).
        allowed_cidrs: RF_ALLOWED_INTERNAL_CIDRS.
        timeout: per-request timeout.

    Returns:
        A provider whose `aclose()` leaves the shared client open.
    """
    loop = asyncio.get_running_loop()
    cidrs = allowed_cidrs if isinstance(allowed_cidrs, str) or allowed_cidrs is None else tuple(allowed_cidrs)
    key = (base_url, hashlib.sha256((api_key or "").encode()).hexdigest(), cidrs, timeout)
    per_loop = _SHARED.setdefault(loop, {})
    provider = per_loop.get(key)
    if provider is None:
        if not base_url:
            raise BlockedURLError("The model has no base URL.")
        _split_url(base_url)  # refuse a malformed URL before a client exists that would need closing
        client = make_client(allowed_cidrs=allowed_cidrs, timeout=timeout)
        provider = per_loop[key] = OpenAICompatibleProvider(base_url, api_key, client=client)
    return provider
