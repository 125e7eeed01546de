"""Read models of the run pages: run form, "Reuse last test data", paged/filtered history, live progress, downloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from resolutionflow_app.db.models import AutomationRun, StoredFile
from resolutionflow_app.domain.errors import InvalidInput, NotFound
from resolutionflow_app.integrations.llm import Completion
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services import files as files_service
from tests.automation_helpers import (
    ScriptedProvider,
    deps_for,
    inline,
    make_automation,
    make_model,
    make_team,
    run_now,
)
from tests.factories import make_user

FORM = [
    {"id": "requester", "label": "Requester", "type": "text", "required": True},
    {"id": "priority", "label": "Priority", "type": "select", "options": ["low", "high"]},
    {"id": "drawing", "label": "Drawing", "type": "image"},
]


def _auto(session, team, **kw):
    model = make_model(session, team.account_id)
    return make_automation(
        session,
        team.author,
        [
            {
                "step_order": 1,
                "user_description": "Extract",
                "assistant": inline(model, "Extract {{flow_input.requester}}"),
                "output_type": "json",
            },
            {"step_order": 2, "user_description": "", "assistant": inline(model, "Reply")},
        ],
        form_schema=FORM,
        **kw,
    )


def _start(session, actor, auto, **kw):
    run = runs_service.start_run(session=session, actor=actor, automation_id=auto.id, **kw)
    session.commit()
    return run


def test_run_form_shows_the_draft_to_authors_and_blocks_engineers_until_published(session) -> None:
    team = make_team(session)
    auto = _auto(session, team, name="Triage <b>ärende</b>")
    form = runs_service.run_form(session=session, actor=team.author, automation_id=auto.id)
    assert form.can_run
    assert form.name == "Triage <b>ärende</b>"
    assert [f["id"] for f in form.form_schema] == ["requester", "priority", "drawing"]
    assert [(s["step_order"], s["name"]) for s in form.steps] == [(1, "Extract"), (2, "Step 2")]
    blocked = runs_service.run_form(session=session, actor=team.engineer, automation_id=auto.id)
    assert not blocked.can_run
    assert "not published" in blocked.blocked_reason
    assert blocked.form_schema == []
    automations_service.publish_automation(session=session, actor=team.author, automation_id=auto.id)
    assert runs_service.run_form(session=session, actor=team.engineer, automation_id=auto.id).can_run
    with pytest.raises(NotFound):
        runs_service.run_form(session=session, actor=make_user(session), automation_id=auto.id)
    with pytest.raises(NotFound):
        runs_service.run_form(session=session, actor=team.author, automation_id="not-a-uuid")


def test_last_inputs_are_my_latest_run_with_its_files_and_name_deleted_files(session) -> None:
    team = make_team(session)
    auto = _auto(session, team)
    assert runs_service.last_inputs(session=session, actor=team.author, automation_id=auto.id) is None
    pic = files_service.upload(
        session=session, actor=team.author, name="ritning.png", content_type="image/png", data=b"\x89PNG...."
    )
    _start(session, team.author, auto, text="old", form_data={"requester": "Old"})
    _start(
        session,
        team.author,
        auto,
        text="Skrivaren är trasig",
        form_data={"requester": "Åsa", "priority": "high", "drawing": str(pic.id)},
    )
    # Someone else's later run is not "my" test data.
    _start(session, team.owner, auto, text="owner's", form_data={"requester": "Owner"})
    last = runs_service.last_inputs(session=session, actor=team.author, automation_id=auto.id)
    assert last.text == "Skrivaren är trasig"
    assert last.form_data == {"requester": "Åsa", "priority": "high"}
    assert last.files["drawing"].name == "ritning.png"
    assert last.files["drawing"].id == str(pic.id)
    assert last.missing_files == []
    session.delete(session.get(StoredFile, pic.id))
    session.commit()
    again = runs_service.last_inputs(session=session, actor=team.author, automation_id=auto.id)
    assert again.files == {}
    assert again.missing_files == ["drawing"]


def test_history_pages_500_runs_and_filters_by_status_and_day(session) -> None:
    team = make_team(session)
    auto = _auto(session, team)
    base = datetime(2026, 3, 10, 12, tzinfo=UTC)
    statuses = ["completed", "failed", "cancelled", "queued", "running"]
    session.add_all(
        [
            AutomationRun(
                automation_id=auto.id,
                account_id=team.account_id,
                user_id=team.author.id,
                status=statuses[i % 5],
                created_at=base - timedelta(hours=i),
                started_at=base - timedelta(hours=i),
                finished_at=base - timedelta(hours=i) + timedelta(seconds=3),
                input_payload_json={"text": str(i)},
                definition={},
            )
            for i in range(500)
        ]
    )
    session.commit()
    page, total = runs_service.run_history(
        session=session, actor=team.engineer, automation_id=auto.id, page_size=20, offset=40
    )
    assert total == 500
    assert len(page) == 20
    assert page[0].created_at > page[-1].created_at
    assert page[0].duration_ms == 3000
    assert page[0].user_name == team.author.name
    failed, n_failed = runs_service.run_history(
        session=session, actor=team.author, automation_id=auto.id, status="failed", page_size=100
    )
    assert n_failed == 100
    assert {r.status for r in failed} == {"failed"}
    # 2026-03-10 holds the runs 0..12 (12:00 back to 00:00); the 'to' day is inclusive.
    _, n_day = runs_service.run_history(
        session=session, actor=team.author, automation_id=auto.id, date_from="2026-03-10", date_to="2026-03-10"
    )
    assert n_day == 13
    _, n_before = runs_service.run_history(
        session=session, actor=team.author, automation_id=auto.id, date_to="2026-03-09"
    )
    assert n_before == 500 - 13
    assert (
        runs_service.run_history(session=session, actor=team.author, automation_id=auto.id, page_size=10_000)[
            0
        ].__len__()
        == 100
    )
    with pytest.raises(InvalidInput, match="Status must be one of"):
        runs_service.run_history(session=session, actor=team.author, automation_id=auto.id, status="done")
    with pytest.raises(InvalidInput, match="2026-01-31"):
        runs_service.run_history(session=session, actor=team.author, automation_id=auto.id, date_from="10/03/2026")
    with pytest.raises(InvalidInput, match="before"):
        runs_service.run_history(
            session=session, actor=team.author, automation_id=auto.id, date_from="2026-03-10", date_to="2026-03-01"
        )
    with pytest.raises(NotFound):
        runs_service.run_history(session=session, actor=make_user(session), automation_id=auto.id)


def test_progress_lists_pending_steps_then_results_with_tokens_times_and_pretty_json(session) -> None:
    team = make_team(session)
    auto = _auto(session, team)
    run = _start(session, team.author, auto, text="</pre><script>alert(1)</script>", form_data={"requester": "Åsa"})
    before = runs_service.run_progress(session=session, actor=team.engineer, run_id=run.id)
    assert before.status == "queued"
    assert before.total_steps == 2
    assert before.completed_steps == 0
    assert [(s.name, s.status) for s in before.steps] == [("Extract", "pending"), ("Step 2", "pending")]
    assert {"label": "Requester", "value": "Åsa"} in before.input_fields

    def answer(call):
        if call["system_prompt"].startswith("Extract"):
            return Completion(text='{"town": "Lund", "items": [1, 2]}', prompt_tokens=11, completion_tokens=7)
        return "x" * (runs_service.SHOWN_TEXT + 50)

    assert run_now(run.id, deps_for(ScriptedProvider(answer=answer))) == "completed"
    session.expire_all()
    done = runs_service.run_progress(session=session, actor=team.author, run_id=run.id)
    assert done.status == "completed"
    assert done.completed_steps == 2
    first, second = done.steps
    assert (first.tokens_input, first.tokens_output) == (11, 7)
    assert first.duration_ms is not None
    assert first.started_at
    assert first.finished_at
    assert json.loads(first.output_json) == {"town": "Lund", "items": [1, 2]}
    assert "\n  " in first.output_json
    assert first.input_text == "</pre><script>alert(1)</script>"
    assert second.output_truncated
    assert len(second.output_text) == runs_service.SHOWN_TEXT
    assert len(done.output_text) == runs_service.SHOWN_TEXT
    with pytest.raises(NotFound):
        runs_service.run_progress(session=session, actor=make_user(session), run_id=run.id)


def test_progress_shows_a_failed_step_with_its_error_and_resume_can_follow(session) -> None:
    team = make_team(session)
    auto = _auto(session, team)
    run = _start(session, team.author, auto, form_data={"requester": "A"})

    def answer(call):
        if call["system_prompt"] == "Reply":
            raise RuntimeError("model exploded")
        return '{"ok": true}'

    assert run_now(run.id, deps_for(ScriptedProvider(answer=answer))) == "failed"
    session.expire_all()
    view = runs_service.run_progress(session=session, actor=team.author, run_id=run.id)
    assert view.status == "failed"
    assert [s.status for s in view.steps] == ["completed", "failed"]
    assert "model exploded" in view.steps[1].error
    runs_service.resume_run(session=session, actor=team.author, run_id=run.id)
    session.commit()
    assert run_now(run.id, deps_for(ScriptedProvider(answer='{"ok": true}'))) == "completed"
    session.expire_all()
    assert runs_service.run_progress(session=session, actor=team.author, run_id=run.id).completed_steps == 2


def test_generated_documents_are_listed_and_download_only_in_the_account(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(
        session,
        team.author,
        [{"step_order": 1, "user_description": "Note", "assistant": inline(model), "output_type": "pdf"}],
    )
    run = _start(session, team.author, auto, text="hello")
    assert run_now(run.id, deps_for(ScriptedProvider(answer="# Note\nDone."))) == "completed"
    session.expire_all()
    view = runs_service.run_progress(session=session, actor=team.engineer, run_id=run.id)
    assert len(view.files) == 1
    assert view.files[0].name.endswith(".pdf")
    got = runs_service.file_download(session=session, actor=team.engineer, file_id=view.files[0].id)
    assert got.data.startswith(b"%PDF-")
    assert got.content_type == "application/pdf"
    with pytest.raises(NotFound):
        runs_service.file_download(session=session, actor=make_user(session), file_id=view.files[0].id)
    with pytest.raises(NotFound):
        runs_service.file_download(session=session, actor=team.engineer, file_id="nope")
