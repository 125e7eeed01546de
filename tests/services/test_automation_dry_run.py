"""The automation dry run ("Test automation"): a checklist of what a run would do, checked against
real loopback servers; no model is ever called and nothing is written."""

from __future__ import annotations

import socket
import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from resolutionflow_app.db.models import AutomationStep, CompletionModel
from resolutionflow_app.domain.errors import InvalidInput, NotFound
from resolutionflow_app.integrations import http_guard
from resolutionflow_app.services import automation_dry_run, secrets_box
from resolutionflow_app.services.automation_dry_run import dry_run, sample_form_data
from resolutionflow_app.settings import get_settings
from tests.automation_helpers import inline, make_automation, make_model, make_team
from tests.fakes._server import LoopbackServer
from tests.fakes.fake_llm import fake_llm_server
from tests.fakes.webhook_receiver import webhook_receiver

FORM = [
    {"id": "Name", "label": "Customer name", "type": "text", "required": True},
    {"id": "age", "label": "Age", "type": "number"},
    {"id": "kind", "label": "Kind", "type": "select", "options": ["printer", "network"]},
    {"id": "photo", "label": "Photo", "type": "image"},
]


@pytest.fixture
def loopback(monkeypatch):
    monkeypatch.setenv("RF_ALLOWED_INTERNAL_CIDRS", "127.0.0.0/8")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _remote_model(
    session, account_id, base_url: str, *, key: str | None = "sk-test", level: int = 0, token_limit: int | None = None
) -> CompletionModel:
    row = CompletionModel(
        account_id=account_id,
        name="Remote model",
        provider="openai_compatible",
        base_url=base_url,
        model="fake-model",
        api_key_encrypted=secrets_box.encrypt_str(key) if key else None,
        security_level=level,
        token_limit=token_limit,
    )
    session.add(row)
    session.flush()
    return row


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _row_counts(session: Session) -> dict[str, int]:
    return {
        t.name: session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
        for t in SQLModel.metadata.sorted_tables
    }


def _lines(report, *, step: int | None = None, check: str | None = None):
    return [
        ln for ln in report.lines if (step is None or ln.step_order == step) and (check is None or ln.check == check)
    ]


def _one(report, step: int | None, check: str):
    found = _lines(report, step=step, check=check)
    assert len(found) == 1, (check, [ln.model_dump() for ln in report.lines])
    return found[0]


def test_reachable_model_is_green_variables_resolve_and_nothing_is_called_or_written(session, loopback) -> None:
    team = make_team(session)
    with fake_llm_server() as llm:
        model = _remote_model(session, team.account_id, llm.base_url)
        auto = make_automation(
            session,
            team.author,
            [
                {
                    "step_order": 1,
                    "assistant": inline(
                        model, "Help {{flow_input.Name}} ({{age}}, {{flow_input.kind}}) with {{flow_input.text}}"
                    ),
                    "output_type": "json",
                },
                {
                    "step_order": 2,
                    "assistant": inline(
                        model, "Town {{step_1.output.town}}, typo {{flow_input.nope}}, later {{step_3.output}}"
                    ),
                },
                {"step_order": 3, "assistant": inline(model, "Merge"), "input_source": "all_previous_steps"},
            ],
            form_schema=FORM,
        )
        session.commit()
        before = _row_counts(session)

        report = dry_run(session=session, actor=team.author, automation_id=auto.id)

        assert llm.call_count == 0  # the fake saw no chat completion at all
    assert not session.new
    assert not session.dirty
    assert not session.deleted
    session.commit()
    assert _row_counts(session) == before

    assert report.automation_id == auto.id
    assert report.automation_name == "Test automation"
    assert report.sample == {
        "text": "Sample text",
        "form_data": {"Name": "Sample Customer name", "age": 42, "kind": "printer", "photo": "(file)"},
    }
    endpoint = _one(report, 1, "model_endpoint")
    assert endpoint.status == "green"
    assert "offers the model “fake-model”" in endpoint.message
    model_line = _one(report, 1, "model")
    assert model_line.status == "green"
    assert "Remote model" in model_line.message
    assert "security level 0" in model_line.message
    assert _one(report, 1, "api_key").status == "green"

    variables = {ln.message: ln.status for ln in _lines(report, step=1, check="variable")}
    assert variables == {
        "In the prompt, {{flow_input.Name}} becomes “Sample Customer name” with the sample input.": "green",
        "In the prompt, {{age}} becomes “42” with the sample input.": "green",
        "In the prompt, {{flow_input.kind}} becomes “printer” with the sample input.": "green",
        "In the prompt, {{flow_input.text}} becomes “Sample text” with the sample input.": "green",
    }
    step2 = {ln.message.split(" ", 4)[3]: ln for ln in _lines(report, step=2, check="variable")}
    assert step2["{{step_1.output.town}}"].status == "green"
    assert "JSON output" in step2["{{step_1.output.town}}"].message
    assert step2["{{flow_input.nope}}"].status == "red"
    assert "does not match" in step2["{{flow_input.nope}}"].message
    assert step2["{{step_3.output}}"].status == "red"
    assert "runs after this step" in step2["{{step_3.output}}"].message

    assert "Reads the run's input" in _one(report, 1, "input").message
    assert _one(report, 2, "input").message == "Reads the previous step's output (step 1)."
    assert _one(report, 3, "input").message == "Aggregates the outputs of steps 1–2."
    assert _one(report, 3, "output").message == "Gives text as the run's result."
    assert all(_one(report, n, "classification").status == "green" for n in (1, 2, 3))
    assert report.status == "red"
    assert report.counts["red"] == 2
    assert report.counts["green"] + report.counts["amber"] + report.counts["red"] == len(report.lines)


def test_closed_port_is_amber_and_a_model_without_key_is_amber(session, loopback) -> None:
    team = make_team(session)
    model = _remote_model(session, team.account_id, f"http://127.0.0.1:{_closed_port()}/v1", key=None)
    auto = make_automation(session, team.author, [{"step_order": 1, "assistant": inline(model, "Hi")}])

    report = dry_run(session=session, actor=team.engineer, automation_id=auto.id)

    endpoint = _one(report, 1, "model_endpoint")
    assert endpoint.status == "amber"
    assert endpoint.message.startswith("Could not reach the model endpoint http://127.0.0.1:")
    key = _one(report, 1, "api_key")
    assert key.status == "amber"
    assert "no API key" in key.message
    assert report.status == "amber"


def test_offline_model_is_green_without_any_outbound_request(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session, team.author, [{"step_order": 1, "assistant": inline(model, "Hi {{flow_input.text}}")}]
    )

    def no_network(*_a, **_k):
        raise AssertionError("an offline model needs no outbound check")

    report = dry_run(
        session=session, actor=team.owner, automation_id=auto.id, fetch=no_network, sample={"text": "printer jams"}
    )
    assert report.status == "green", [ln.model_dump() for ln in report.lines]
    assert "built-in offline model" in _one(report, 1, "model").message
    assert not _lines(report, check="model_endpoint")
    assert not _lines(report, check="api_key")
    assert (
        _one(report, 1, "variable").message
        == "In the prompt, {{flow_input.text}} becomes “printer jams” with the sample input."
    )


def test_http_input_to_the_metadata_address_is_red_naming_the_reason(session, loopback) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    with webhook_receiver() as hook:
        auto = make_automation(
            session,
            team.author,
            [
                {
                    "step_order": 1,
                    "assistant": inline(model),
                    "input_source": "http_get",
                    "input_config": {"url": hook.url},
                }
            ],
        )
    # Refused at save time, so write the stored definition directly (as an older row could hold it).
    row = session.exec(select(AutomationStep).where(AutomationStep.automation_id == auto.id)).one()
    row.input_config = {"url": "http://169.254.169.254/latest/meta-data/"}
    session.add(row)
    session.commit()

    report = dry_run(session=session, actor=team.author, automation_id=auto.id)

    line = _one(report, 1, "http_input")
    assert line.status == "red"
    assert "169.254.169.254" in line.message
    assert "private or reserved address (169.254.0.0/16)" in line.message
    assert "GET http://169.254.169.254/latest/meta-data/" in _one(report, 1, "input").message


def test_a_host_that_resolves_to_a_private_address_at_call_time_is_red(session, monkeypatch) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id, level=1)
    # Saved fine (no DNS at save time); at call time the name resolves to a private address.
    auto = make_automation(
        session,
        team.author,
        [
            {
                "step_order": 1,
                "assistant": inline(model),
                "output_mode": "http_post",
                "output_config": {"url": "http://intranet.example.test/hook"},
            }
        ],
    )
    monkeypatch.setattr(http_guard, "default_resolver", lambda host: ["10.1.2.3"])

    report = dry_run(session=session, actor=team.author, automation_id=auto.id)

    line = _one(report, 1, "webhook")
    assert line.status == "red"
    assert "intranet.example.test (10.1.2.3)" in line.message
    assert "10.0.0.0/8" in line.message


def test_webhook_and_http_input_are_checked_without_posting(session, loopback) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id, level=1)
    with webhook_receiver() as hook, webhook_receiver(path="/data") as source:
        auto = make_automation(
            session,
            team.author,
            [
                {
                    "step_order": 1,
                    "assistant": inline(model),
                    "input_source": "http_post",
                    "input_config": {
                        "url": source.url + "?who={{flow_input.Name}}",
                        "body": '{"name": "{{flow_input.Name}}"}',
                    },
                },
                {
                    "step_order": 2,
                    "assistant": inline(model),
                    "output_mode": "http_post",
                    "output_config": {"url": hook.url},
                },
            ],
            form_schema=FORM,
        )

        report = dry_run(
            session=session, actor=team.author, automation_id=auto.id, sample={"form_data": {"Name": "Anna Berg"}}
        )

        assert [r.method for r in hook.requests] == ["HEAD"]
        assert [r.method for r in source.requests] == ["HEAD"]
        assert source.requests[0].path == "/data?who=Anna%20Berg"
    webhook = _one(report, 2, "webhook")
    assert webhook.status == "green"
    assert "nothing was posted" in webhook.message
    assert _one(report, 1, "http_input").status == "green"
    body_vars = [
        ln for ln in _lines(report, step=1, check="variable") if ln.message.startswith("In the HTTP input body")
    ]
    assert body_vars
    assert "“Anna Berg”" in body_vars[0].message
    assert "posts it to the webhook" in _one(report, 2, "output").message
    assert report.sample["form_data"]["Name"] == "Anna Berg"


def test_a_url_whose_host_comes_from_a_sample_or_a_step_output_is_not_checked(session, loopback) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id, level=1)
    auto = make_automation(
        session,
        team.author,
        [
            {
                "step_order": 1,
                "assistant": inline(model),
                "input_source": "http_get",
                "input_config": {"url": "https://{{flow_input.Name}}/status"},
            },
            {
                "step_order": 2,
                "assistant": inline(model),
                "output_mode": "http_post",
                "output_config": {"url": "https://hooks.example.test/{{step_1.output}}"},
            },
        ],
        form_schema=FORM,
    )

    report = dry_run(session=session, actor=team.author, automation_id=auto.id, fetch=None)

    first, second = _one(report, 1, "http_input"), _one(report, 2, "webhook")
    assert first.status == "amber"
    assert "its host comes from {{flow_input.Name}}" in first.message
    assert second.status == "amber"
    assert "only known during the run" in second.message


def test_hanging_urls_are_checked_concurrently_and_time_out_red(session, loopback, monkeypatch) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id, level=1)
    barrier = threading.Barrier(2, timeout=10)
    release = threading.Event()

    def handler(req):
        if req.path.startswith("/hang"):
            release.wait(10)
            return 200, {}, b""
        barrier.wait()  # both checks must be in flight at the same time to pass
        return 200, {}, b"ok"

    monkeypatch.setattr(automation_dry_run, "PROBE_TIMEOUT_SECONDS", 1.0)
    with LoopbackServer(handler) as server:
        auto = make_automation(
            session,
            team.author,
            [
                {
                    "step_order": 1,
                    "assistant": inline(model),
                    "input_source": "http_get",
                    "input_config": {"url": f"{server.origin}/a"},
                },
                {
                    "step_order": 2,
                    "assistant": inline(model),
                    "output_mode": "http_post",
                    "output_config": {"url": f"{server.origin}/b"},
                },
                {
                    "step_order": 3,
                    "assistant": inline(model),
                    "input_source": "http_get",
                    "input_config": {"url": f"{server.origin}/hang"},
                },
            ],
        )
        report = dry_run(session=session, actor=team.author, automation_id=auto.id)
        release.set()
    assert _one(report, 1, "http_input").status == "green"
    assert _one(report, 2, "webhook").status == "green"
    hang = _one(report, 3, "http_input")
    assert hang.status == "red"
    assert "Could not reach" in hang.message
    assert "within 1 second" in hang.message  # the run would fail there


def test_token_limit_amber_above_80_percent_and_red_above_the_limit(session) -> None:
    team = make_team(session)
    tight = make_model(session, team.account_id, token_limit=100)
    auto = make_automation(
        session,
        team.author,
        [
            {"step_order": 1, "assistant": inline(tight, "x" * 360)},  # ~90 tokens of 100
            {"step_order": 2, "assistant": inline(tight, "x" * 800)},  # ~200 tokens of 100
            {"step_order": 3, "assistant": inline(tight, "Short.")},
        ],
    )
    report = dry_run(session=session, actor=team.author, automation_id=auto.id)
    assert [_one(report, n, "tokens").status for n in (1, 2, 3)] == ["amber", "red", "green"]
    assert "90%" in _one(report, 1, "tokens").message
    assert "limit of 100" in _one(report, 2, "tokens").message


def test_classification_that_would_be_refused_is_red(session) -> None:
    team = make_team(session)
    high = make_model(session, team.account_id, level=2, name="High")
    other = make_model(session, team.account_id, level=2, name="Other")
    auto = make_automation(
        session,
        team.author,
        [{"step_order": 1, "assistant": inline(high)}, {"step_order": 2, "assistant": inline(other)}],
    )
    other.security_level = 0  # the model was reclassified after the automation was saved
    session.add(other)
    session.flush()

    report = dry_run(session=session, actor=team.author, automation_id=auto.id)

    assert _one(report, 1, "classification").status == "green"
    red = _one(report, 2, "classification")
    assert red.status == "red"
    assert "below the level 2 data coming from step 1" in red.message
    assert "Publishing is refused" in red.message


def test_missing_model_sample_overrides_and_access(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session, team.author, [{"step_order": 1, "assistant": inline(model, "{{flow_input.age}}")}], form_schema=FORM
    )

    report = dry_run(
        session=session,
        actor=team.engineer,
        automation_id=auto.id,
        sample={"form_data": {"age": "many", "ghost": 1}, "text": ""},
    )
    sample_lines = {ln.message: ln.status for ln in _lines(report, check="sample")}
    assert sample_lines["The sample value for “ghost” was ignored: the form has no such field."] == "amber"
    assert sample_lines["A run with this input would be refused: Age must be a number."] == "red"
    assert report.sample["text"] == ""
    assert report.sample["form_data"]["age"] == "many"

    with pytest.raises(InvalidInput):
        dry_run(
            session=session, actor=team.author, automation_id=auto.id, sample={"form_data": ["not", "an", "object"]}
        )
    stranger = make_team(session)
    with pytest.raises(NotFound):
        dry_run(session=session, actor=stranger.owner, automation_id=auto.id)
    with pytest.raises(NotFound):
        dry_run(session=session, actor=team.author, automation_id=uuid.uuid4())

    session.delete(session.get(CompletionModel, model.id))  # gone (the database would null the assistant's model)
    session.flush()
    session.expire_all()
    report = dry_run(session=session, actor=team.author, automation_id=auto.id)
    assert _one(report, 1, "model").status == "red"
    assert report.status == "red"


def test_sample_values_for_a_select_without_options_and_a_file() -> None:
    assert sample_form_data(
        [{"id": "f", "type": "select", "options": []}, {"id": "d", "label": "Doc", "type": "document"}]
    ) == {"f": "", "d": "(file)"}


def test_no_steps_is_red(session) -> None:
    team = make_team(session)
    auto = make_automation(session, team.author, [])
    report = dry_run(session=session, actor=team.author, automation_id=auto.id)
    assert report.status == "red"
    assert _one(report, None, "definition").message.startswith("This automation has no steps yet")
