"""LLM providers: OpenAI-compatible provider against the loopback fake, tool-call loop, offline provider."""

from __future__ import annotations

import json

import pytest

from resolutionflow_app.integrations import llm
from resolutionflow_app.integrations.http_guard import BlockedURLError, make_client
from tests.fakes.fake_llm import FakeLLM

LOOPBACK = ["127.0.0.0/8"]


def provider(server: FakeLLM, **kwargs) -> llm.OpenAICompatibleProvider:
    return llm.OpenAICompatibleProvider(server.base_url, "sk-test", allowed_cidrs=LOOPBACK, **kwargs)


async def test_completion_with_usage_tokens(fake_llm: FakeLLM) -> None:
    fake_llm.script({"content": "The answer.", "usage": {"prompt_tokens": 42, "completion_tokens": 7}})
    async with provider(fake_llm) as p:
        result = await p.complete(
            system_prompt="Be brief.",
            user_input="Question?",
            model="fake-model",
            file_texts=["file one text", "file two text"],
        )
    assert result.text == "The answer."
    assert (result.prompt_tokens, result.completion_tokens, result.total_tokens) == (42, 7, 49)
    assert result.tool_calls == []
    [body] = fake_llm.requests
    assert body["model"] == "fake-model"
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    user = body["messages"][1]["content"]
    assert user.startswith("Question?")
    assert "file one text" in user
    assert "file two text" in user
    assert fake_llm.headers[0]["authorization"] == "Bearer sk-test"


async def test_tool_call_loop_records_calls(fake_llm: FakeLLM) -> None:
    calls: list[dict] = []

    async def lookup(args: dict) -> str:
        calls.append(args)
        return f"result for {args['q']}"

    async def broken(args: dict) -> str:
        raise RuntimeError("tool exploded")

    tools = [
        llm.ToolSpec(
            "lookup", "Look something up", {"type": "object", "properties": {"q": {"type": "string"}}}, lookup
        ),
        llm.ToolSpec("broken", "Always fails", {"type": "object", "properties": {}}, broken),
    ]
    fake_llm.script(
        {"tool_calls": [{"name": "lookup", "arguments": {"q": "alpha"}}, {"name": "broken", "arguments": {}}]},
        {"tool_calls": [{"name": "not_allowed", "arguments": {}}]},
        "final text",
    )
    async with provider(fake_llm) as p:
        result = await p.complete(system_prompt="s", user_input="u", model="m", tools=tools)
    assert result.text == "final text"
    assert calls == [{"q": "alpha"}]
    assert result.tool_calls == [
        {"name": "lookup", "arguments": {"q": "alpha"}, "result": "result for alpha"},
        {"name": "broken", "arguments": {}, "error": "tool exploded"},
        {"name": "not_allowed", "arguments": {}, "error": "Tool 'not_allowed' is not available to this step."},
    ]
    assert len(fake_llm.requests) == 3
    first = fake_llm.requests[0]
    assert [t["function"]["name"] for t in first["tools"]] == ["lookup", "broken"]
    tool_messages = [m for m in fake_llm.requests[1]["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in tool_messages] == ["result for alpha", "Error: tool exploded"]
    # usage summed over the three calls
    assert result.prompt_tokens > 0
    assert result.completion_tokens >= 3


async def test_tool_loop_stops_after_max_rounds(fake_llm: FakeLLM) -> None:
    async def echo(args: dict) -> str:
        return "again"

    forever = {"tool_calls": [{"name": "echo", "arguments": {}}]}
    fake_llm.script(*([forever] * (llm.MAX_TOOL_ROUNDS + 3)))
    async with provider(fake_llm) as p:
        result = await p.complete(
            system_prompt="s", user_input="u", model="m", tools=[llm.ToolSpec("echo", "", {"type": "object"}, echo)]
        )
    assert len(result.tool_calls) == llm.MAX_TOOL_ROUNDS
    assert len(fake_llm.requests) == llm.MAX_TOOL_ROUNDS + 1
    assert fake_llm.requests[-1]["tool_choice"] == "none"


async def test_http_errors_become_llm_errors(fake_llm: FakeLLM) -> None:
    fake_llm.script({"status": 401, "content": "invalid api key"})
    async with provider(fake_llm, max_retries=0) as p:
        with pytest.raises(llm.LLMError, match="401") as info:
            await p.complete(system_prompt="s", user_input="u", model="m")
    assert "invalid api key" in str(info.value)


async def test_server_errors_are_retried_by_the_sdk(fake_llm: FakeLLM) -> None:
    fake_llm.fail_next(1, status=500)
    async with provider(fake_llm, max_retries=2) as p:
        result = await p.complete(system_prompt="s", user_input="hello", model="m")
    assert result.text == "echo: hello"
    assert len(fake_llm.requests) == 2


async def test_shared_guarded_client_and_default_block(fake_llm: FakeLLM) -> None:
    async with make_client(allowed_cidrs=LOOPBACK) as client:
        p = llm.provider_for("openai_compatible", fake_llm.base_url, None, client=client)
        assert (await p.complete(system_prompt="", user_input="x", model="m")).text == "echo: x"
        assert not client.is_closed
    with pytest.raises(BlockedURLError):
        async with llm.OpenAICompatibleProvider(fake_llm.base_url, "k", max_retries=0) as blocked:
            await blocked.complete(system_prompt="s", user_input="u", model="m")
    assert len(fake_llm.requests) == 1


async def test_offline_provider_is_deterministic() -> None:
    offline = llm.provider_for("offline", None, None)
    kwargs = {
        "system_prompt": "Summarise the ticket.",
        "user_input": "Printer on floor 3 jams",
        "model": "offline",
        "file_texts": ["log line"],
    }
    a = await offline.complete(**kwargs)
    b = await offline.complete(**kwargs)
    assert a == b
    assert a.text.startswith("[offline model]")
    assert "Summarise the ticket." in a.text
    assert "Printer on floor 3 jams" in a.text
    assert "log line" in a.text
    assert a.prompt_tokens == len(["Summarise", "the", "ticket."]) + len(
        llm.build_user_message("Printer on floor 3 jams", ["log line"]).split()
    )
    assert a.completion_tokens == len(a.text.split())
    other = await offline.complete(**{**kwargs, "user_input": "Different"})
    assert other.text != a.text


def test_unknown_provider_is_rejected() -> None:
    with pytest.raises(ValueError, match="Unknown model provider"):
        llm.provider_for("magic", "http://x", None)


def test_tool_params_are_openai_functions() -> None:
    async def noop(args: dict) -> str:
        return ""

    spec = llm.ToolSpec("t", "d", {"type": "object", "properties": {"a": {"type": "integer"}}}, noop)
    param = llm._tool_param(spec)
    assert param == {"type": "function", "function": {"name": "t", "description": "d", "parameters": spec.input_schema}}
    json.dumps(param)


# ---------------------------------------------------------------- one client per endpoint and key per worker


def test_shared_provider_reuses_one_client_per_endpoint_key_and_loop(fake_llm: FakeLLM, monkeypatch) -> None:
    import asyncio

    made = []
    real = llm.make_client
    monkeypatch.setattr(llm, "make_client", lambda **kw: made.append(kw) or real(**kw))

    async def calls() -> tuple:
        a = llm.shared_provider(fake_llm.base_url, "sk-1", allowed_cidrs=LOOPBACK)
        b = llm.shared_provider(fake_llm.base_url, "sk-1", allowed_cidrs=LOOPBACK)
        other_key = llm.shared_provider(fake_llm.base_url, "sk-2", allowed_cidrs=LOOPBACK)
        for p in (a, b, a, other_key):
            await p.complete(system_prompt="s", user_input="hi", model="fake-model")
            await p.aclose()  # the runner closes its providers after each run: the shared client stays usable
        return a, b, other_key

    a, b, other_key = asyncio.run(calls())
    assert a is b
    assert other_key is not a
    assert len(made) == 2  # one guarded client per key, not one per call (4 calls)
    assert [h["authorization"] for h in fake_llm.headers] == [
        "Bearer sk-1",
        "Bearer sk-1",
        "Bearer sk-1",
        "Bearer sk-2",
    ]
    # A new event loop (a new worker process or test) gets its own client: connections belong to a loop.
    c, _, _ = asyncio.run(calls())
    assert c is not a
    assert len(made) == 4


def test_shared_provider_still_guards_every_call(fake_llm: FakeLLM) -> None:
    import asyncio

    async def call() -> None:
        await llm.shared_provider(fake_llm.base_url, "sk-1").complete(
            system_prompt="s", user_input="hi", model="fake-model"
        )

    with pytest.raises(BlockedURLError):  # loopback not allowed without RF_ALLOWED_INTERNAL_CIDRS
        asyncio.run(call())
    assert fake_llm.requests == []
    with pytest.raises(BlockedURLError):
        asyncio.run(llm_no_url())


async def llm_no_url() -> None:
    llm.shared_provider("", None)
