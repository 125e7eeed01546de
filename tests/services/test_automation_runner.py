"""The runner: data flow, tokens, hashes, output types, failures, idempotency, resume, cancel,
webhooks (real loopback receiver), HTTP inputs, MCP allowlists, transaction isolation."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from resolutionflow_app.db.engine import make_engine, session_scope_for
from resolutionflow_app.db.models import (
    AutomationRun,
    AutomationStepResult,
    MCPServer,
    MCPServerTool,
    StoredFile,
)
from resolutionflow_app.domain.errors import InvalidInput
from resolutionflow_app.domain.execution_hash import step_execution_hash
from resolutionflow_app.integrations.llm import Completion
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services.automation_runner import execute_run
from resolutionflow_app.settings import get_settings
from tests.automation_helpers import (
    ScriptedProvider,
    deps_for,
    inline,
    make_automation,
    make_model,
    make_team,
    run_now,
)
from tests.fakes.webhook_receiver import webhook_receiver


@pytest.fixture
def loopback(monkeypatch):
    monkeypatch.setenv("RF_ALLOWED_INTERNAL_CIDRS", "127.0.0.0/8")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _start(session, actor, auto, **kw):
    run = runs_service.start_run(session=session, actor=actor, automation_id=auto.id, **kw)
    session.commit()
    return run


def _results(session, run_id) -> list[AutomationStepResult]:
    session.expire_all()
    return list(
        session.exec(
            select(AutomationStepResult)
            .where(AutomationStepResult.automation_run_id == run_id)
            .order_by(AutomationStepResult.step_order)
        ).all()
    )


def _run(session, run_id) -> AutomationRun:
    session.expire_all()
    return session.get(AutomationRun, run_id)


def test_three_steps_flow_data_resolve_variables_and_record_tokens_and_hashes(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session,
        team.author,
        [
            {"step_order": 1, "assistant": inline(model, "Extract for {{flow_input.namn}}"), "output_type": "json"},
            {"step_order": 2, "assistant": inline(model, "Town is {{step_1.output.town}}")},
            {"step_order": 3, "assistant": inline(model, "Merge"), "input_source": "all_previous_steps"},
        ],
        form_schema=[{"id": "namn", "label": "Namn", "type": "text"}],
    )
    run = _start(session, team.author, auto, text="input text", form_data={"namn": "Anna"})

    def answer(call):
        if call["system_prompt"].startswith("Extract"):
            return Completion(text='```json\n{"town": "Lund"}\n```', prompt_tokens=11, completion_tokens=7)
        return f"[{call['user_input']}]"

    provider = ScriptedProvider(answer=answer)
    assert run_now(run.id, deps_for(provider)) == "completed"
    prompts = [c["system_prompt"] for c in provider.calls]
    assert prompts == ["Extract for Anna", "Town is Lund", "Merge"]
    inputs = [c["user_input"] for c in provider.calls]
    assert inputs[0] == "input text"
    assert inputs[1] == '{"town": "Lund"}'
    assert "<step_1_output>" in inputs[2]
    assert "<step_2_output>" in inputs[2]
    results = _results(session, run.id)
    assert [r.status for r in results] == ["completed"] * 3
    assert (results[0].num_tokens_input, results[0].num_tokens_output) == (11, 7)
    defn = _run(session, run.id).definition
    assert [r.execution_hash for r in results] == [step_execution_hash(s) for s in defn["steps"]]
    final = _run(session, run.id)
    assert final.status == "completed"
    assert final.output_payload_json["text"] == results[2].output_payload_json["text"]
    assert final.started_at
    assert final.finished_at
    assert all(r.started_at and r.finished_at for r in results)


def test_invalid_json_output_fails_the_step_with_a_clear_error(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session,
        team.author,
        [
            {"step_order": 1, "assistant": inline(model), "output_type": "json"},
            {"step_order": 2, "assistant": inline(model)},
        ],
    )
    run = _start(session, team.author, auto, text="x")
    provider = ScriptedProvider(answer="Sure! Here you go: {broken")
    assert run_now(run.id, deps_for(provider)) == "failed"
    final = _run(session, run.id)
    assert final.error_message.startswith("Step 1:")
    assert "not valid JSON" in final.error_message
    results = _results(session, run.id)
    assert [r.status for r in results] == ["failed"]
    assert len(provider.calls) == 1


@pytest.mark.parametrize("kind, magic", [("pdf", b"%PDF"), ("docx", b"PK")])
def test_document_outputs_are_stored_files(session, kind, magic) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(session, team.author, [{"step_order": 1, "assistant": inline(model), "output_type": kind}])
    run = _start(session, team.author, auto, text="x")
    assert run_now(run.id, deps_for(ScriptedProvider(answer="# Report\n\n- one\n- **two**"))) == "completed"
    out = _results(session, run.id)[0].output_payload_json
    assert len(out["generated_file_ids"]) == 1
    assert out["file_ids"] == out["generated_file_ids"]
    stored = session.get(StoredFile, uuid.UUID(out["file_ids"][0]))
    assert stored.data.startswith(magic)
    assert stored.automation_run_id == run.id
    assert stored.name.endswith("." + kind)


def test_token_limit_pre_check_fails_before_calling_the_model(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id, token_limit=5)
    auto = make_automation(session, team.author, [{"step_order": 1, "assistant": inline(model)}])
    run = _start(session, team.author, auto, text="word " * 50)
    provider = ScriptedProvider()
    assert run_now(run.id, deps_for(provider)) == "failed"
    assert provider.calls == []
    assert "limit of 5" in _run(session, run.id).error_message


def test_completed_steps_are_not_executed_again(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session, team.author, [{"step_order": i, "assistant": inline(model, f"p{i}")} for i in (1, 2, 3)]
    )
    run = _start(session, team.author, auto, text="x")
    defn = _run(session, run.id).definition
    # A previous worker finished step 1 and died during step 2.
    session.add(
        AutomationStepResult(
            automation_run_id=run.id,
            step_order=1,
            status="completed",
            execution_hash=step_execution_hash(defn["steps"][0]),
            output_payload_json={"text": "from before", "file_ids": []},
        )
    )
    session.add(
        AutomationStepResult(
            automation_run_id=run.id,
            step_order=2,
            status="running",
            execution_hash=step_execution_hash(defn["steps"][1]),
        )
    )
    session.commit()
    provider = ScriptedProvider()
    assert run_now(run.id, deps_for(provider)) == "completed"
    assert [c["system_prompt"] for c in provider.calls] == ["p2", "p3"]
    assert provider.calls[0]["user_input"] == "from before"
    assert len(_results(session, run.id)) == 3
    assert run_now(run.id, deps_for(provider)) == ""
    assert len(provider.calls) == 2


def test_resume_from_failed_step_when_upstream_unchanged_else_from_step_one(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session, team.author, [{"step_order": i, "assistant": inline(model, f"p{i}")} for i in (1, 2, 3)]
    )
    run = _start(session, team.author, auto, text="x")
    fail_once = {"p2": 1}

    def answer(call):
        if fail_once.get(call["system_prompt"]):
            fail_once[call["system_prompt"]] -= 1
            raise RuntimeError("model unavailable")
        return "ok"

    provider = ScriptedProvider(answer=answer)
    assert run_now(run.id, deps_for(provider)) == "failed"
    assert _run(session, run.id).error_message == "Step 2: model unavailable"
    # Cosmetic edit only: resume from step 2.
    current = automations_service.get_automation(session=session, actor=team.author, automation_id=auto.id)
    steps = [
        {"step_order": s.step_order, "assistant_id": str(s.assistant_id), "user_description": f"renamed {s.step_order}"}
        for s in current.steps
    ]
    automations_service.update_automation(
        session=session, actor=team.author, automation_id=auto.id, data={"steps": steps}
    )
    resumed = runs_service.resume_run(session=session, actor=team.author, run_id=run.id)
    session.commit()
    assert resumed.status == "queued"
    assert [r.step_order for r in resumed.step_results] == [1]
    provider.calls.clear()
    assert run_now(run.id, deps_for(provider)) == "completed"
    assert [c["system_prompt"] for c in provider.calls] == ["p2", "p3"]
    # Fail step 3 next time, after changing step 1's prompt: everything reruns.
    with Session(session.get_bind()) as s2:
        s2.execute(sa.update(AutomationRun).where(AutomationRun.id == run.id).values(status="failed"))
        s2.commit()
    steps[0] = {"step_order": 1, "assistant_id": steps[0]["assistant_id"], "assistant": inline(model, "p1 changed")}
    automations_service.update_automation(
        session=session, actor=team.author, automation_id=auto.id, data={"steps": steps}
    )
    resumed = runs_service.resume_run(session=session, actor=team.author, run_id=run.id)
    session.commit()
    assert resumed.step_results == []
    provider.calls.clear()
    assert run_now(run.id, deps_for(provider)) == "completed"
    assert [c["system_prompt"] for c in provider.calls] == ["p1 changed", "p2", "p3"]


def test_resume_and_cancel_refuse_wrong_states(session) -> None:
    from resolutionflow_app.domain.errors import Conflict

    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(session, team.author, [{"step_order": 1, "assistant": inline(model)}])
    run = _start(session, team.author, auto, text="x")
    with pytest.raises(Conflict):
        runs_service.resume_run(session=session, actor=team.author, run_id=run.id)
    cancelled = runs_service.cancel_run(session=session, actor=team.author, run_id=run.id)
    assert cancelled.status == "cancelled"
    session.commit()
    provider = ScriptedProvider()
    assert run_now(run.id, deps_for(provider)) == ""
    assert provider.calls == []


def test_cancel_aborts_the_in_flight_call_and_stops_the_run(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session,
        team.author,
        [{"step_order": 1, "assistant": inline(model)}, {"step_order": 2, "assistant": inline(model)}],
    )
    run = _start(session, team.author, auto, text="x")
    provider = ScriptedProvider(delay=30)
    engine = session.get_bind()

    async def scenario():
        task = asyncio.create_task(execute_run(run.id, deps=deps_for(provider)))
        while not provider.calls:
            await asyncio.sleep(0.02)
        with Session(engine) as s2:
            actor = s2.get(type(team.author), team.author.id)
            runs_service.cancel_run(session=s2, actor=actor, run_id=run.id)
            s2.commit()
        return await asyncio.wait_for(task, timeout=10)

    assert asyncio.run(scenario()) == "cancelled"
    assert provider.cancelled == 1
    assert len(provider.calls) == 1
    assert _run(session, run.id).status == "cancelled"
    assert [r.status for r in _results(session, run.id)] == ["cancelled"]


def test_webhook_output_is_signed_idempotent_and_retried_after_failure(session, loopback) -> None:
    from resolutionflow_app.integrations.webhooks import verify

    team = make_team(session)
    model = make_model(session, team.account_id, level=1)
    with webhook_receiver() as hook:
        auto = make_automation(
            session,
            team.author,
            [
                {
                    "step_order": 1,
                    "assistant": inline(model),
                    "output_mode": "http_post",
                    "output_config": {"url": hook.url, "headers": {"X-Tenant": "acme"}},
                },
                {"step_order": 2, "assistant": inline(model)},
            ],
        )
        secret = automations_service.webhook_secret(session=session, actor=team.author, automation_id=auto.id)
        run = _start(session, team.author, auto, text="x")
        hook.fail_first(10)
        provider = ScriptedProvider(answer='He said "hi"')
        assert run_now(run.id, deps_for(provider)) == "failed"
        assert "webhook delivery failed" in _run(session, run.id).error_message
        step1 = _results(session, run.id)[0]
        assert step1.status == "completed"
        assert step1.output_payload_json["webhook_delivered"] is False
        expected_key = hashlib.sha256(f"{run.id}1".encode()).hexdigest()
        assert set(hook.keys) == {expected_key}
        assert len(hook.keys) == 4
        hook._fail.clear()
        runs_service.resume_run(session=session, actor=team.author, run_id=run.id)
        session.commit()
        provider.calls.clear()
        assert run_now(run.id, deps_for(provider)) == "completed"
        assert [c["system_prompt"] for c in provider.calls] == ["Be helpful."]  # only step 2 ran
        assert hook.unique_keys == [expected_key]
        assert hook.bodies == ['He said "hi"']
        delivered = hook.delivered[0]
        verify(secret, delivered.headers, delivered.text)
        assert delivered.headers["x-tenant"] == "acme"
        assert delivered.headers["webhook-id"] == expected_key
        assert _results(session, run.id)[0].output_payload_json["webhook_delivered"] is True


def test_http_inputs_fetch_text_and_post_json_safe_bodies(session, loopback) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    with webhook_receiver(path="/api") as api:
        auto = make_automation(
            session,
            team.author,
            [
                {
                    "step_order": 1,
                    "assistant": inline(model),
                    "input_source": "http_get",
                    "input_config": {
                        "url": api.origin + "/api?q={{flow_input.q}}",
                        "headers": {"Authorization": "Bearer t0ken"},
                    },
                },
                {
                    "step_order": 2,
                    "assistant": inline(model),
                    "input_source": "http_post",
                    "input_config": {
                        "url": api.url,
                        "body": '{"prev": "{{step_1.output}}", "who": "{{flow_input.text}}"}',
                    },
                },
            ],
        )
        run = _start(session, team.author, auto, text='quote"and\nnewline', form_data={"q": "abc"})
        provider = ScriptedProvider(answer=lambda call: 'got "' + call["user_input"] + '"\n\x01')
        assert run_now(run.id, deps_for(provider)) == "completed", _run(session, run.id).error_message
        get_req, post_req = api.requests
        assert get_req.method == "GET"
        assert get_req.path.endswith("?q=abc")
        assert get_req.headers["authorization"] == "Bearer t0ken"
        assert json.loads(provider.calls[0]["user_input"]) == {"status": "accepted"}
        body = json.loads(post_req.text)
        assert body["who"] == 'quote"and\nnewline'
        assert body["prev"].startswith('got "')


def test_http_input_to_a_private_address_is_blocked(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    # A literal private URL is refused when saved; one that arrives through a variable is stopped by the run-time guard.
    auto = make_automation(
        session,
        team.author,
        [
            {
                "step_order": 1,
                "assistant": inline(model),
                "input_source": "http_get",
                "input_config": {"url": "{{flow_input.text}}"},
            }
        ],
    )
    run = _start(session, team.author, auto, text="http://169.254.169.254/latest/meta-data")
    provider = ScriptedProvider()
    assert run_now(run.id, deps_for(provider)) == "failed"
    assert provider.calls == []
    assert _run(session, run.id).error_message.startswith("Step 1:")


def test_restricted_mcp_policy_exposes_only_allowed_tools(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    server = MCPServer(account_id=team.account_id, name="srv", url="https://93.184.216.34/mcp")
    session.add(server)
    session.flush()
    tools = {n: MCPServerTool(mcp_server_id=server.id, name=n) for n in ("lookup", "delete_all")}
    session.add_all(tools.values())
    session.flush()
    from resolutionflow_app.services import assistants as assistants_service

    helper = assistants_service.create_assistant(
        session=session,
        actor=team.author,
        data={"name": "Helper", "prompt": "Use tools", "model_id": model.id, "mcp_server_ids": [server.id]},
    )
    auto = make_automation(
        session,
        team.author,
        [
            {
                "step_order": 1,
                "assistant_id": str(helper.id),
                "mcp_policy": "restricted",
                "mcp_tool_ids": [str(tools["lookup"].id)],
            },
            {"step_order": 2, "assistant_id": str(helper.id)},
        ],
    )
    run = _start(session, team.author, auto, text="x")
    mcp_calls = []

    async def call_tool(url, headers, name, args):
        mcp_calls.append((url, name, args))
        return f"{name} result"

    async def answer(call):
        results = [await t.call({"q": 1}) for t in call["tools"]]
        return Completion(
            text=",".join(results),
            tool_calls=[
                {"name": t.name, "arguments": {"q": 1}, "result": r}
                for t, r in zip(call["tools"], results, strict=True)
            ],
        )

    provider = ScriptedProvider(answer=answer)
    assert run_now(run.id, deps_for(provider, call_mcp_tool=call_tool)) == "completed"
    assert [t.name for t in provider.calls[0]["tools"]] == ["lookup"]
    assert sorted(t.name for t in provider.calls[1]["tools"]) == ["delete_all", "lookup"]
    results = _results(session, run.id)
    assert results[0].tool_calls_metadata == [{"name": "lookup", "arguments": {"q": 1}, "result": "lookup result"}]
    assert ("https://93.184.216.34/mcp", "lookup", {"q": 1}) in mcp_calls
    session.expire_all()
    assert all(session.get(MCPServerTool, t.id).is_enabled_by_default for t in tools.values())  # never mutated


def test_no_connection_is_held_during_model_calls_and_concurrent_runs_share_a_tiny_pool(session, database_url) -> None:
    """Three runs on a one-connection pool meet inside their model calls at once (impossible if any
    held the connection meanwhile), and no connection is ever checked out on the event loop's thread."""
    import threading

    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(session, team.author, [{"step_order": i, "assistant": inline(model)} for i in (1, 2, 3)])
    runs = [_start(session, team.author, auto, text=f"r{i}") for i in range(3)]
    engine = (
        make_engine(database_url, pool_size=1)
        if not database_url.startswith("sqlite")
        else sa.create_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=5)
    )
    engine.pool._max_overflow = 0  # one connection for everything
    checkout_threads: list[int] = []
    sa.event.listen(engine, "checkout", lambda *_a: checkout_threads.append(threading.get_ident()))
    loop_thread: list[int] = []
    met = {"in_call": 0, "max": 0}

    def factory():
        return session_scope_for(engine)

    async def answer(call):
        met["in_call"] += 1
        met["max"] = max(met["max"], met["in_call"])
        try:
            for _ in range(200):  # first steps wait (up to 10 s) for the other runs to join them
                if met["max"] >= 3 or call["user_input"] not in ("r0", "r1", "r2"):
                    break
                await asyncio.sleep(0.05)
        finally:
            met["in_call"] -= 1
        return "ok"

    provider = ScriptedProvider(answer=answer)

    async def all_runs():
        loop_thread.append(threading.get_ident())
        return await asyncio.gather(
            *(execute_run(r.id, deps=deps_for(provider), session_factory=factory) for r in runs)
        )

    assert asyncio.run(all_runs()) == ["completed"] * 3
    assert len(provider.calls) == 9
    assert met["max"] == 3
    assert checkout_threads
    assert loop_thread[0] not in checkout_threads
    engine.dispose()


@pytest.mark.parametrize(
    "url", ["http://10.0.0.7/hook", "http://[::ffff:169.254.169.254]/", "http://100.64.0.1/", "http://0177.0.0.1/"]
)
def test_webhook_to_a_private_address_is_blocked(session, url) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    savepoint = session.begin_nested()
    with pytest.raises(InvalidInput, match="webhook URL is not allowed"):  # refused where it is saved ...
        make_automation(
            session,
            team.author,
            [{"step_order": 1, "assistant": inline(model), "output_mode": "http_post", "output_config": {"url": url}}],
        )
    savepoint.rollback()
    # ... and, arriving through a variable, refused by the run-time guard.
    auto = make_automation(
        session,
        team.author,
        [
            {
                "step_order": 1,
                "assistant": inline(model),
                "output_mode": "http_post",
                "output_config": {"url": "{{flow_input.hook}}"},
            }
        ],
    )
    run = _start(session, team.author, auto, text="x", form_data={"hook": url})
    assert run_now(run.id, deps_for(ScriptedProvider())) == "failed"
    final = _run(session, run.id)
    assert "webhook delivery failed" in final.error_message
    assert _results(session, run.id)[0].output_payload_json["webhook_delivered"] is False


def test_model_base_url_is_guarded_at_call_time(session) -> None:
    from resolutionflow_app.services.automation_runner import RunnerDeps

    team = make_team(session)
    model = make_model(
        session, team.account_id, provider="openai_compatible", base_url="http://127.0.0.1:9/v1"
    )  # bypasses the API check
    auto = make_automation(session, team.author, [{"step_order": 1, "assistant": inline(model)}])
    run = _start(session, team.author, auto, text="x")
    assert run_now(run.id, RunnerDeps(http_backoff=(0, 0, 0), cancel_poll_seconds=0.05)) == "failed"
    message = _run(session, run.id).error_message
    assert message.startswith("Step 1:") and "not allowed" in message.lower() or "blocked" in message.lower(), message
