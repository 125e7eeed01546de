"""The builder's state as a browser drives it: autosave adopts stored ids, secrets never stay in the page, problems land
on cards."""

from __future__ import annotations

from sqlmodel import Session, func, select

from resolutionflow_app.db.models import Assistant
from resolutionflow_app.state.automation_builder import BuilderState
from tests.factories import register
from tests.state.helpers import make_state

B = "/api/v1"


def _setup(api) -> tuple[dict, str, BuilderState]:
    owner = register(api)
    model = api.post(
        f"{B}/models",
        headers=owner["headers"],
        json={"name": "Offline", "provider": "offline", "model": "offline", "security_level": 1},
    ).json()
    auto = api.post(
        f"{B}/automations",
        headers=owner["headers"],
        json={
            "name": "Triage",
            "steps": [
                {
                    "step_order": 1,
                    "assistant": {"prompt": "Summarise", "model_id": model["id"]},
                    "input_source": "flow_input",
                }
            ],
        },
    ).json()
    state = make_state(BuilderState, path=f"/automations/{auto['id']}", token=owner["access_token"])
    state.load()
    assert state.load_error == ""
    assert state.can_edit
    assert [s.prompt for s in state.steps] == ["Summarise"]
    return owner, auto["id"], state


def _hidden_assistants(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Assistant).where(Assistant.hidden.is_(True))).one()


def test_edits_autosave_and_a_new_step_keeps_one_assistant(api, engine) -> None:
    owner, auto_id, state = _setup(api)
    state.set_step_text(0, "name", "Summarise the ticket")
    assert state.save_status == "saved"
    assert state.steps[0].name == "Summarise the ticket"
    state.add_step()
    assert state.save_status == "saved"
    assert len(state.steps) == 2
    assert state.steps[1].assistant_id
    before = _hidden_assistants(engine)
    for text in ("Reply", "Reply politely", "Reply politely in Swedish"):
        state.set_step_text(1, "prompt", text)
    assert _hidden_assistants(engine) == before  # the stored id was adopted: no assistant per keystroke
    stored = api.get(f"{B}/automations/{auto_id}", headers=owner["headers"]).json()
    assert [s["user_description"] for s in stored["steps"]] == ["Summarise the ticket", "Step 2"]
    assert stored["steps"][1]["assistant"]["prompt"] == "Reply politely in Swedish"


def test_header_values_come_back_masked_and_the_secret_is_not_in_the_state(api) -> None:
    _, _, state = _setup(api)
    state.set_step_text(0, "input_source", "http_get")
    assert state.save_status == "error"
    assert "needs input_config.url" in state.steps[0].problem
    state.set_step_text(0, "http_url", "https://93.184.216.34/tickets/{{flow_input.text}}")
    assert state.save_status == "saved"
    assert state.steps[0].problem == ""
    state.add_header(0, "input")
    assert [h.name for h in state.steps[0].http_headers] == ["Authorization"]
    state.set_header(0, "input", 0, "value", "Bearer very-secret-token-42")
    assert state.save_status == "saved"
    assert state.steps[0].http_headers[0].value.startswith("••••")
    assert "very-secret-token" not in repr(state.steps)
    assert "very-secret-token" not in state._definition
    state.set_header(0, "input", 0, "name", "X-Api-Key")  # a renamed masked header must be typed again
    assert [(h.name, h.value) for h in state.steps[0].http_headers] == [("X-Api-Key", "")]


def test_a_refused_url_keeps_the_edit_and_names_the_step(api) -> None:
    _, _, state = _setup(api)
    state.add_step()
    state.set_step_text(1, "output_mode", "http_post")
    state.set_step_text(1, "webhook_url", "http://169.254.169.254/latest")
    assert state.save_status == "error"
    assert state.save_error.startswith("Step 2")
    assert state.steps[1].problem.startswith("Step 2")
    assert state.steps[0].problem == ""
    assert state.steps[1].webhook_url == "http://169.254.169.254/latest"
    assert state.has_webhook


def test_variables_load_when_the_menu_opens(api) -> None:
    _, _, state = _setup(api)
    state.add_form_field()
    state.set_field(0, "label", "Namn på brukare")
    state.add_step()
    state.load_variables(1, True)
    tags = [v.tag for v in state.menu_variables]
    assert "{{flow_input.Namn på brukare}}" in tags
    assert "{{step_1.output}}" in tags
    state.load_variables(0, True)
    assert "{{step_1.output}}" not in [v.tag for v in state.menu_variables]


def test_webhook_secret_is_shown_once_then_forgotten(api) -> None:
    owner, auto_id, state = _setup(api)
    state.new_webhook_secret()
    secret = state.shown_secret
    assert secret
    assert (
        api.get(f"{B}/automations/{auto_id}/webhook-secret", headers=owner["headers"]).json()["webhook_secret"]
        == secret
    )
    state.close_secret(False)
    assert state.shown_secret == ""


def test_share_an_assistant_use_it_elsewhere_and_unpublish(api) -> None:
    owner, auto_id, state = _setup(api)
    state.open_share_assistant(0)
    state.share_assistant({"name": "Summariser"})
    assert state.share_step == 0
    assert [a.label for a in state.assistants] == ["Summariser · Offline"]
    assert state.steps[0].assistant_mode == "existing"
    state.add_step()
    state.set_assistant_mode(1, "existing")
    assert state.save_status == "saved"
    assert state.steps[1].assistant_id == state.steps[0].assistant_id
    assert state.steps[1].prompt == "Summarise"
    state.set_assistant_mode(1, "new")
    assert state.save_status == "saved"
    assert state.steps[1].assistant_id != state.steps[0].assistant_id
    assert state.steps[1].prompt == "Summarise"
    state.publish()
    assert state.published
    state.unpublish()
    assert not state.published
    assert api.get(f"{B}/automations/{auto_id}", headers=owner["headers"]).json()["published"] is False
