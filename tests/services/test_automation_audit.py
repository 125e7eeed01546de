"""The automation audit report (PDF): content, run record, no secrets, access, and how page 1 looks."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from resolutionflow_app.domain.errors import NotFound
from resolutionflow_app.services import automation_audit as audit
from resolutionflow_app.services import automation_runs as runs_service
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services import completion_models as models_service
from tests.automation_helpers import (
    ScriptedProvider,
    deps_for,
    inline,
    make_automation,
    make_model,
    make_team,
    run_now,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SECRET_HEADER = "Bearer sk-super-secret-header-7781"
SECRET_HOOK_HEADER = "hook-secret-value-99"
LONG_PROMPT = (
    "Du är en handläggare. Sammanfatta ärendet för {{flow_input.Namn på brukare}} på svenska, "
    "med fokus på Ω-värdet och åtgärder. "
) * 12


def pages_text(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def _automation(session, team, *, name="Åtgärdsplan för brukare – Ω-granskning"):
    low = make_model(session, team.account_id, level=1, name="Öppen modell K1")
    model = make_model(session, team.account_id, level=2, name="Lokal modell K2")
    high = make_model(session, team.account_id, level=3, name="Skyddad modell K3")
    return make_automation(
        session,
        team.author,
        [
            {
                "step_order": 1,
                "user_description": "Hämta ärende",
                "assistant": inline(low, "Extract the case for {{flow_input.Namn på brukare}}"),
                "input_source": "http_get",
                "input_config": {
                    "url": "https://example.com/case?token=abc123secret&id=7",
                    "headers": {"Authorization": SECRET_HEADER},
                },
                "output_type": "json",
                "output_mode": "http_post",
                "output_config": {"url": "https://example.com/hook", "headers": {"X-Api-Key": SECRET_HOOK_HEADER}},
            },
            {
                "step_order": 2,
                "user_description": "Sammanfatta",
                "assistant": inline(model, LONG_PROMPT),
                "input_source": "previous_step",
                "output_classification_override": 3,
            },
            {
                "step_order": 3,
                "user_description": "Sammanställ beslutsunderlag",
                "assistant": inline(high, "Merge everything into one JSON document."),
                "input_source": "all_previous_steps",
                "output_type": "pdf",
            },
        ],
        name=name,
        description=(
            "Granskas av dataskyddsombudet. Samlar in uppgifter om brukaren och skickar en sammanfattning vidare."
        ),
        form_schema=[
            {"id": "Namn på brukare", "label": "Namn på brukare", "type": "text", "required": True},
            {"id": "Ärendetyp", "label": "Ärendetyp", "type": "select", "options": ["Hemtjänst", "Särskilt boende"]},
            {"id": "Underlag", "label": "Underlag (PDF)", "type": "document"},
        ],
    )


def test_report_has_name_swedish_labels_diagram_steps_and_no_secrets(session) -> None:
    team = make_team(session)
    auto = _automation(session, team)
    automations_service.publish_automation(session=session, actor=team.author, automation_id=auto.id)
    hook_secret = automations_service.webhook_secret(session=session, actor=team.author, automation_id=auto.id)
    pdf = audit.audit_report(session=session, actor=team.engineer, automation_id=auto.id)
    assert pdf.startswith(b"%PDF")
    doc = pdfium.PdfDocument(pdf)
    width, height = doc[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 portrait in points
    doc.close()
    texts = pages_text(pdf)
    assert "Åtgärdsplan för brukare – Ω-granskning" in texts[0]
    assert "Namn på brukare" in texts[0]
    assert team.author.name in texts[0]
    everything = "\n".join(texts)
    for expected in (
        "Form schema",
        "Särskilt boende",
        "Hämta ärende",
        "Sammanfatta",
        "Sammanställ beslutsunderlag",
        "Lokal modell K2",
        "K3: set on this step",
        "all previous steps (aggregated)",
        "posted to a webhook",
        "Authorization (values withheld)",
        "X-Api-Key (values withheld)",
        "restricted" if False else "inherit",
        "published, version 1",
        f"Page 1 of {len(texts)}",
    ):
        assert expected in everything, expected
    flat = " ".join(everything.split())
    assert flat.count("Du är en handläggare.") == 12
    assert flat.count("Ω-värdet och åtgärder.") >= 11
    for secret in (SECRET_HEADER, "sk-super-secret", SECRET_HOOK_HEADER, hook_secret, "abc123secret"):
        assert secret not in everything
        assert secret.encode() not in pdf
    assert "token=•••" in everything


def test_model_api_key_never_appears(session) -> None:
    team = make_team(session)
    model = models_service.create_model(
        session=session,
        actor=team.owner,
        data={
            "name": "Moln",
            "provider": "openai_compatible",
            "base_url": "https://93.184.216.34/v1",
            "model": "gpt-x",
            "api_key": "sk-model-key-123456",
            "security_level": 1,
        },
    )
    auto = make_automation(
        session, team.author, [{"step_order": 1, "assistant": {"prompt": "p", "model_id": str(model.id)}}]
    )
    pdf = audit.audit_report(session=session, actor=team.author, automation_id=auto.id)
    text = "\n".join(pages_text(pdf))
    assert "Moln" in text
    assert "sk-model-key" not in text
    assert b"sk-model-key" not in pdf


def test_run_report_has_status_times_tokens_and_per_step_pass_fail_skipped(session) -> None:
    team = make_team(session)
    model = make_model(session, team.account_id, level=1)
    auto = make_automation(
        session,
        team.author,
        [
            {
                "step_order": 1,
                "user_description": "Läs in",
                "assistant": inline(model, "Read {{flow_input.Namn på brukare}}"),
            },
            {"step_order": 2, "user_description": "Bedöm", "assistant": inline(model, "BOOM")},
            {"step_order": 3, "user_description": "Avsluta", "assistant": inline(model, "Close")},
        ],
        name="Körning Ω",
        form_schema=[{"id": "Namn på brukare", "label": "Namn på brukare", "type": "text"}],
    )
    run = runs_service.start_run(
        session=session, actor=team.author, automation_id=auto.id, text="hej", form_data={"Namn på brukare": "Åsa"}
    )
    session.commit()

    def answer(call):
        if call["system_prompt"] == "BOOM":
            raise RuntimeError("model exploded")
        return "ok"

    assert run_now(run.id, deps_for(ScriptedProvider(answer=answer))) == "failed"
    session.expire_all()
    pdf = audit.audit_report(session=session, actor=team.engineer, automation_id=auto.id, run_id=run.id)
    text = " ".join("\n".join(pages_text(pdf)).split())
    assert str(run.id) in text
    assert "Total tokens" in text
    assert "Started by" in text
    for expected in (
        "✓ passed",
        "✗ failed",
        "– skipped",
        "Läs in",
        "Bedöm",
        "Avsluta",
        "Tokens in",
        "Duration",
        "Errors",
    ):
        assert expected in text, expected
    assert text.count("UTC") >= 3


def test_access_rules_other_account_and_foreign_run_are_not_found(session) -> None:
    team = make_team(session)
    other = make_team(session)
    model = make_model(session, team.account_id)
    auto = make_automation(session, team.author, [{"step_order": 1, "assistant": inline(model)}])
    second = make_automation(session, team.author, [{"step_order": 1, "assistant": inline(model)}], name="Other")
    run = runs_service.start_run(session=session, actor=team.author, automation_id=second.id, text="x")
    with pytest.raises(NotFound):
        audit.audit_report(session=session, actor=other.owner, automation_id=auto.id)
    with pytest.raises(NotFound):
        audit.audit_report(session=session, actor=team.author, automation_id=auto.id, run_id=run.id)
    with pytest.raises(NotFound):
        audit.audit_report(session=session, actor=team.author, automation_id=auto.id, run_id=uuid.uuid4())
    with pytest.raises(NotFound):
        audit.audit_report(session=session, actor=team.author, automation_id="not-a-uuid")


def test_safe_names_and_urls() -> None:
    assert audit.safe_filename("Namn på brukare / Ω!") == "Namn-pa-brukare"
    assert audit.safe_filename("ΩΩΩ") == "automation"
    assert (
        audit.safe_url("https://user:pw@example.com:8443/a?key=s3cret&x=") == "https://example.com:8443/a?key=•••&x=•••"
    )


def test_page_one_renders_and_is_not_blank(session) -> None:
    team = make_team(session)
    auto = _automation(session, team)
    pdf = audit.audit_report(session=session, actor=team.author, automation_id=auto.id)
    doc = pdfium.PdfDocument(pdf)
    try:
        image = doc[0].render(scale=150 / 72).to_pil().convert("RGB")
    finally:
        doc.close()
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "audit-page1.png")
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert len(colours) > 50
    assert (255, 224, 130) in {c for _, c in colours} or any(
        abs(c[0] - 255) < 3 and abs(c[1] - 204) < 3 and abs(c[2] - 128) < 3 for _, c in colours
    )
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    assert buf.tell() > 10_000
