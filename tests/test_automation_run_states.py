"""Run-page state classes: the live watcher follows a run executed by a separate `resolutionflow worker`
process (progress read from the run tables), and the run form's start / reuse / history handlers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from types import MethodType

import pytest

from resolutionflow_app.pages.automation_run import RunFormState, _number
from resolutionflow_app.services import auth as auth_service
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import completion_models
from resolutionflow_app.state.automation_run_progress import RunProgressState, format_ms
from tests.automation_helpers import make_automation, make_team

FORM = [
    {"id": "requester", "label": "Requester", "type": "text", "required": True},
    {"id": "seats", "label": "Seats", "type": "number"},
]


class _Proxy:
    """Stands in for `self` of a background task: forwards to the state, records every status shown."""

    def __init__(self, state):
        object.__setattr__(self, "_state", state)
        object.__setattr__(self, "seen", [])

    def __getattr__(self, name):
        value = getattr(self._state, name)
        if isinstance(value, MethodType) and value.__self__ is self._state:
            return MethodType(value.__func__, self)  # like Reflex's StateProxy: methods run against the proxy
        return value

    def __setattr__(self, name, value):
        setattr(self._state, name, value)

    def _apply_run(self, run):
        self.seen.append(run.status)
        self._state._apply_run(run)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


def _root_substate(cls):
    """A state of `cls` inside a full state tree (so inherited vars like `token` resolve)."""
    import reflex as rx

    root = rx.State(_reflex_internal_init=True)
    return root.get_substate(cls.get_full_name().split(".")[1:])


@pytest.fixture
def team_setup(session):
    team = make_team(session)
    model_id = str(completion_models.ensure_offline_model(session=session, account_id=team.account_id).id)
    auto = make_automation(
        session,
        team.author,
        [
            {
                "step_order": 1,
                "user_description": "Greet",
                "assistant": {"prompt": "Hello {{flow_input.requester}}", "model_id": model_id},
            },
            {
                "step_order": 2,
                "user_description": "Reply",
                "input_source": "previous_step",
                "assistant": {"prompt": "Reply politely", "model_id": model_id},
            },
        ],
        form_schema=FORM,
        name="Two steps",
    )
    token = auth_service.issue_token(session=session, user=team.author, ttl_hours=1)
    session.commit()
    return team, auto, token


def test_watcher_shows_progress_made_by_a_separate_worker_process(session, team_setup, database_url) -> None:
    team, auto, token = team_setup
    run = runs_service.start_run(
        session=session, actor=team.author, automation_id=auto.id, text="hi", form_data={"requester": "Åsa"}
    )
    session.commit()  # RF_WORKER_MODE=external in tests: nothing in this process runs it
    state = _root_substate(RunProgressState)
    state.token = token
    follow_up = state.show_run(str(run.id))
    assert follow_up is not None  # unfinished: the watcher is asked for
    assert state.run_status == "queued"
    assert [s.status for s in state.run_steps] == ["pending", "pending"]
    assert [s.name for s in state.run_steps] == ["Greet", "Reply"]
    env = dict(os.environ, RF_DATABASE_URL=database_url, RF_SCHEDULER_ENABLED="false")
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "resolutionflow"), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        proxy = _Proxy(state)
        asyncio.run(asyncio.wait_for(RunProgressState.watch.fn(proxy), timeout=120))
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert state.run_status == "completed"
    assert proxy.seen[-1] == "completed"
    assert state.completed_steps == 2
    assert state.progress_percent == 100
    assert not state.watching
    assert all(
        s.status == "completed" and s.timing.startswith("took") and "tokens in" in s.tokens for s in state.run_steps
    )
    assert "[offline model]" in state.run_steps[0].output_text


def test_watcher_stops_with_a_visible_message_when_the_login_ends(session, team_setup) -> None:
    team, auto, token = team_setup
    run = runs_service.start_run(
        session=session, actor=team.author, automation_id=auto.id, form_data={"requester": "A"}
    )
    session.commit()
    state = _root_substate(RunProgressState)
    state.token = token
    state.show_run(str(run.id))
    auth_service.logout(session=session, token=token)
    session.commit()
    asyncio.run(asyncio.wait_for(RunProgressState.watch.fn(_Proxy(state)), timeout=30))
    assert state.watch_problem.startswith("Live updates stopped:")
    assert not state.watching


def test_run_form_start_reuse_and_history(session, team_setup) -> None:
    team, auto, token = team_setup
    form = _root_substate(RunFormState)
    form.token, form.form_automation_id = token, str(auto.id)
    from resolutionflow_app.pages.automation_run import FieldView

    form.fields = [
        FieldView(id="requester", label="Requester", type="text", required=True),
        FieldView(id="seats", label="Seats", type="number"),
    ]
    form.values = {"requester": "", "seats": ""}
    list(form.start())
    assert form.form_error == "Requester is required."
    assert not form.starting
    form.values = {"requester": "Namn på brukare", "seats": "12"}
    form.run_text = "free text"
    assert [e for e in form.start() if e]
    assert form.form_error == ""
    session.expire_all()
    runs, total = runs_service.run_history(session=session, actor=team.author, automation_id=auto.id)
    assert total == 1
    assert runs[0].status == "queued"
    assert runs_service.get_run(session=session, actor=team.author, run_id=runs[0].id).input_payload_json[
        "form_data"
    ] == {"requester": "Namn på brukare", "seats": 12}
    form.fetch()
    assert form.history_total == 1
    assert form.history[0].status == "queued"
    assert form.page_label == "1–1 of 1"
    form.values, form.run_text = {"requester": "", "seats": ""}, ""
    form.reuse_last()
    assert form.values == {"requester": "Namn på brukare", "seats": "12"}
    assert form.run_text == "free text"
    form.date_from = "31/12/2026"
    form.fetch()
    assert "2026-01-31" in form.history_error


def test_small_formatters() -> None:
    assert [_number("12"), _number("2.5"), _number("1e3"), _number("twelve")] == [12, 2.5, 1000.0, "twelve"]
    assert [format_ms(None), format_ms(850), format_ms(3200), format_ms(125_000)] == [
        "",
        "850 ms",
        "3.2 s",
        "2 min 05 s",
    ]


def test_an_unchanged_run_is_not_sent_to_the_browser_again(session, team_setup) -> None:
    team, auto, token = team_setup
    run = runs_service.start_run(
        session=session, actor=team.author, automation_id=auto.id, form_data={"requester": "A"}
    )
    session.commit()
    state = _root_substate(RunProgressState)
    state.token = token
    state.show_run(str(run.id))
    view = runs_service.run_progress(session=session, actor=team.author, run_id=run.id)
    state.dirty_vars.clear()
    state._apply_run(view)
    assert not {"run_steps", "run_status", "run_input_fields"} & state.dirty_vars
    runs_service.cancel_run(session=session, actor=team.author, run_id=run.id)
    session.commit()
    state._apply_run(runs_service.run_progress(session=session, actor=team.author, run_id=run.id))
    assert "run_status" in state.dirty_vars
    assert state.run_status == "cancelled"
    assert state.can_resume
    assert "run_steps" not in state.dirty_vars  # no step changed


def test_cancel_and_resume_from_the_page_state(session, team_setup) -> None:
    team, auto, token = team_setup
    run = runs_service.start_run(
        session=session, actor=team.author, automation_id=auto.id, form_data={"requester": "A"}
    )
    session.commit()
    state = _root_substate(RunProgressState)
    state.token = token
    state.show_run(str(run.id))
    assert state.run_active
    assert not state.can_resume
    state.cancel_run()
    state.show_run(str(run.id))
    assert state.run_status == "cancelled"
    assert state.cancel_requested
    assert state.can_resume
    state.resume_run()
    state.show_run(str(run.id))
    assert state.run_status == "queued"
    assert state.run_active
    # Resuming a run that is not failed/cancelled is refused with the service's sentence (a toast), nothing changes.
    state.resume_run()
    state.show_run(str(run.id))
    assert state.run_status == "queued"
    state.show_run("00000000-0000-0000-0000-000000000000")
    assert state.run_not_found == "Run not found."
    assert state.watched_run_id == ""


def test_watcher_picks_up_a_run_started_while_it_was_finishing(session, team_setup) -> None:
    team, auto, token = team_setup
    done = runs_service.start_run(
        session=session, actor=team.author, automation_id=auto.id, form_data={"requester": "A"}
    )
    runs_service.cancel_run(session=session, actor=team.author, run_id=done.id)
    fresh = runs_service.start_run(
        session=session, actor=team.author, automation_id=auto.id, form_data={"requester": "B"}
    )
    session.commit()
    state = _root_substate(RunProgressState)
    state.token = token
    state.show_run(str(done.id))

    class Switching(_Proxy):
        """After the loop saw the finished run, a new run is shown (as `start` would) before the loop's cleanup."""

        async def __aenter__(self):
            if self._state.watched_run_id == str(done.id) and self.seen == [] and getattr(self, "entered", 0) == 2:
                self._state.show_run(str(fresh.id))
            object.__setattr__(self, "entered", getattr(self, "entered", 0) + 1)
            return self

    again = asyncio.run(RunProgressState.watch.fn(Switching(state)))
    assert state.watched_run_id == str(fresh.id)
    assert again is not None
    assert not state.watching
    state.show_run(str(done.id))
    assert asyncio.run(RunProgressState.watch.fn(_Proxy(state))) is None
