"""Automation builder: step cards, form builder, variable picker, autosave with a visible status, publish."""

from __future__ import annotations

import dataclasses
import json
import re

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.confirm import confirm_action
from resolutionflow_app.components.forms import char_counter
from resolutionflow_app.components.layout import app_layout
from resolutionflow_app.domain.automation_definition import AutomationDefinition, FormField, StepDefinition, field_id_from_label, variables_for_step
from resolutionflow_app.domain.automation_rules import FORM_FIELD_TYPES, INPUT_SOURCES, INPUT_TYPES, OUTPUT_MODES, OUTPUT_TYPES
from resolutionflow_app.services import automation_builder as builder_service
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.state.auth import AuthState

SOURCE_LABELS = {"flow_input": "Run input (form + text)", "previous_step": "Previous step's output", "all_previous_steps": "All previous steps (aggregated)",
                 "http_get": "HTTP GET (fetch a URL)", "http_post": "HTTP POST (call a URL)"}
MODE_LABELS = {"pass_through": "Pass to the next step", "http_post": "Send to a webhook"}
_STEP_REF = re.compile(r"^Step (\d+)\b")
_SELECT_STYLE = {"width": "100%", "padding": "6px", "border_radius": "6px", "border": "1px solid var(--gray-6)", "background": "var(--color-panel-solid)", "font_size": "14px"}


@dataclasses.dataclass
class VariableTag:
    """One entry of the "Insert variable" menu."""

    tag: str = ""
    description: str = ""


@dataclasses.dataclass
class StepCard:
    """A step as its card shows it (strings for the inputs)."""

    index: int = 0
    order: int = 0
    name: str = ""
    prompt: str = ""
    model_id: str = ""
    input_source: str = "flow_input"
    input_type: str = "any"
    output_mode: str = "pass_through"
    output_type: str = "text"
    http_url: str = ""
    webhook_url: str = ""
    classification: str = ""
    problem: str = ""
    warning: str = ""
    variables: list[VariableTag] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class FieldRow:
    """A form field row of the form builder."""

    index: int = 0
    id: str = ""
    label: str = ""
    type: str = "text"
    required: bool = False
    options: str = ""


@dataclasses.dataclass
class ModelOption:
    """A model in the step's picker, with its security level."""

    id: str = ""
    label: str = ""


def _swap(items: list, index: int, delta: int) -> bool:
    """Move `items[index]` by `delta` places (reordering steps or fields); False when out of range."""
    target = index + delta
    if 0 <= index < len(items) and 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
        return True
    return False


class BuilderState(AuthState):
    """The automation being built; every edit saves the whole definition (the engine validates it)."""

    automation_id: str = ""
    name: str = ""
    description: str = ""
    published: bool = False
    published_version: int = 0
    has_unpublished_changes: bool = False
    can_edit: bool = False
    steps: list[StepCard] = []
    fields: list[FieldRow] = []
    models: list[ModelOption] = []
    save_status: str = "saved"  # saved | saving | error
    save_error: str = ""
    load_error: str = ""
    # The definition as last edited (JSON), the source of truth between saves.
    _definition: str = ""
    _model_caps: dict[str, dict] = {}
    _samples: dict[int, dict] = {}

    # ------------------------------------------------------------ loading and rendering

    @rx.event
    def load(self):
        """on_load: the automation, its models and the last run's outputs."""
        self.automation_id = self.router.url.path.rstrip("/").split("/")[-1]
        out = self.try_call(builder_service.load_builder, automation_id=self.automation_id)
        if out.error:
            self.load_error = out.error
            return
        view = out.value
        self.load_error, self.save_status, self.save_error = "", "saved", ""
        self.published, self.published_version, self.has_unpublished_changes, self.can_edit = view.published, view.published_version, view.has_unpublished_changes, view.can_edit
        self.models = [ModelOption(id=m.id, label=f"{m.name} · security level {m.security_level}") for m in view.models]
        self._model_caps = {m.id: {"vision": m.supports_vision, "audio": m.supports_audio, "name": m.name} for m in view.models}
        self._samples = view.sample_outputs
        self._show(view.definition, problem="")

    def _doc(self) -> AutomationDefinition:
        return AutomationDefinition.model_validate_json(self._definition)

    def _show(self, definition: AutomationDefinition, problem: str) -> None:
        self._definition = definition.model_dump_json()
        self.name, self.description = definition.name, definition.description
        problem_step = int(m.group(1)) if (m := _STEP_REF.match(problem or "")) else 0
        cards = []
        for i, s in enumerate(definition.steps):
            cfg_in, cfg_out = s.input_config or {}, s.output_config or {}
            cards.append(StepCard(
                index=i, order=i + 1, name=s.user_description, prompt=s.prompt, model_id=s.model_id or "",
                input_source=s.input_source, input_type=s.input_type, output_mode=s.output_mode, output_type=s.output_type,
                http_url=str(cfg_in.get("url") or ""), webhook_url=str(cfg_out.get("url") or ""),
                classification="" if s.output_classification_override is None else str(s.output_classification_override),
                problem=problem if problem_step == i + 1 else "", warning=self._capability_warning(definition, i),
                variables=[VariableTag(tag=t, description=d) for t, d in variables_for_step(definition, i, self._samples)],
            ))
        self.steps = cards
        self.fields = [FieldRow(index=i, id=f.id, label=f.label, type=f.type, required=f.required, options=", ".join(f.options)) for i, f in enumerate(definition.form_schema)]

    def _capability_warning(self, definition: AutomationDefinition, index: int) -> str:
        step = definition.steps[index]
        caps = self._model_caps.get(step.model_id or "", {})
        produced = definition.steps[index - 1].output_type if index > 0 and step.input_source == "previous_step" else ""
        wants_image = step.input_type == "image" or (step.input_source == "flow_input" and any(f.type == "image" for f in definition.form_schema))
        wants_audio = step.input_type == "audio" or (step.input_source == "flow_input" and any(f.type == "audio" for f in definition.form_schema))
        if (wants_image or produced == "image") and caps and not caps.get("vision"):
            return f"This step receives images, but “{caps['name']}” cannot see images. Pick a model with vision."
        if wants_audio and caps and not caps.get("audio"):
            return f"This step receives audio, but “{caps['name']}” does not support audio."
        if produced in ("pdf", "docx") and step.input_type not in ("document", "file", "any"):
            return f"The previous step produces a {produced.upper()} file, but this step expects {step.input_type}."
        return ""

    # ------------------------------------------------------------ saving

    def _save(self, definition: AutomationDefinition):
        """Show the edit at once, then store it; a refusal keeps the edit and says why on its card."""
        self._show(definition, problem="")
        if not self.can_edit:
            return None
        self.save_status, self.save_error = "saving", ""
        out = self.try_call(builder_service.save_builder, automation_id=self.automation_id, definition=definition)
        if out.error:
            self.save_status, self.save_error = "error", out.error
            self._show(definition, problem=out.error)
            return None
        self.save_status = "saved"
        self.published, self.has_unpublished_changes = out.value.published, out.value.has_unpublished_changes
        return None

    @rx.event
    def retry_save(self):
        """Store the current edits again (after "Not saved")."""
        return self._save(self._doc())

    def _edit_step(self, index: int, **changes):
        doc = self._doc()
        if not 0 <= index < len(doc.steps):
            return None
        doc.steps[index] = doc.steps[index].model_copy(update=changes)
        return self._save(doc)

    @rx.event
    def set_name(self, value: str):
        """Rename the automation."""
        doc = self._doc()
        return self._save(doc.model_copy(update={"name": value}))

    @rx.event
    def set_description(self, value: str):
        """Change the description."""
        return self._save(self._doc().model_copy(update={"description": value}))

    @rx.event
    def set_step_text(self, index: int, key: str, value: str):
        """A text property of a step: name, prompt, model, sources, types, URLs, classification."""
        if key == "name":
            return self._edit_step(index, user_description=value)
        if key in ("prompt", "model_id", "input_source", "input_type", "output_mode", "output_type"):
            return self._edit_step(index, **{key: value})
        doc = self._doc()
        step = doc.steps[index] if 0 <= index < len(doc.steps) else None
        if step is None:
            return None
        if key == "http_url":
            return self._edit_step(index, input_config={**(step.input_config or {}), "url": value})
        if key == "webhook_url":
            return self._edit_step(index, output_config={**(step.output_config or {}), "url": value})
        if key == "classification":
            return self._edit_step(index, output_classification_override=int(value) if value.strip().isdigit() else None)
        return None

    @rx.event
    def add_step(self):
        """Append a step reading the previous step's output, on the last step's model."""
        doc = self._doc()
        model = doc.steps[-1].model_id if doc.steps else (self.models[0].id if self.models else None)
        doc.steps.append(StepDefinition(step_order=len(doc.steps) + 1, user_description=f"Step {len(doc.steps) + 1}", prompt="", model_id=model,
                                        input_source="previous_step" if doc.steps else "flow_input"))
        return self._save(doc)

    @rx.event
    def move_step(self, index: int, delta: int):
        """Move a step up (-1) or down (+1)."""
        doc = self._doc()
        return self._save(doc) if _swap(doc.steps, index, delta) else None

    @rx.event
    def delete_step(self, index: int):
        """Remove a step (the last one cannot go: an automation needs one)."""
        doc = self._doc()
        if len(doc.steps) <= 1:
            return rx.toast.error("An automation needs at least one step.")
        if 0 <= index < len(doc.steps):
            del doc.steps[index]
            return self._save(doc)
        return None

    @rx.event
    def insert_variable(self, index: int, tag: str):
        """Insert `tag` at the cursor of step `index`'s prompt (the browser edits it, then saves as typed)."""
        element = json.dumps(f"prompt-{index}")
        text = json.dumps(tag)
        return rx.call_script(
            f"(function(){{const el=document.getElementById({element}); if(!el) return;"
            f"const s=el.selectionStart ?? el.value.length, e=el.selectionEnd ?? s; const v=el.value.slice(0,s)+{text}+el.value.slice(e);"
            "const set=Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype,'value').set; set.call(el,v);"
            f"el.dispatchEvent(new Event('input',{{bubbles:true}})); el.focus(); el.selectionStart=el.selectionEnd=s+{text}.length;}})()"
        )

    # ------------------------------------------------------------ form builder

    @rx.event
    def add_form_field(self):
        """A new text field with an id taken from its label."""
        doc = self._doc()
        fid = field_id_from_label("New field", {f.id for f in doc.form_schema})
        doc.form_schema.append(FormField(id=fid, label=fid, type="text"))
        return self._save(doc)

    @rx.event
    def set_field(self, index: int, key: str, value: str):
        """Change a field's label (its id follows while they were equal), type, options."""
        doc = self._doc()
        if not 0 <= index < len(doc.form_schema):
            return None
        f = doc.form_schema[index]
        if key == "label":
            taken = {x.id for i, x in enumerate(doc.form_schema) if i != index}
            new_id = field_id_from_label(value, taken) if f.id == f.label or not f.label else f.id
            doc.form_schema[index] = f.model_copy(update={"label": value, "id": new_id})
        elif key == "id":
            doc.form_schema[index] = f.model_copy(update={"id": value})
        elif key == "type" and value in FORM_FIELD_TYPES:
            doc.form_schema[index] = f.model_copy(update={"type": value, "options": f.options or (["Option A", "Option B"] if value == "select" else [])})
        elif key == "options":
            doc.form_schema[index] = f.model_copy(update={"options": [o.strip() for o in value.split(",") if o.strip()]})
        return self._save(doc)

    @rx.event
    def toggle_required(self, index: int, value: bool):
        """Required or optional."""
        doc = self._doc()
        if 0 <= index < len(doc.form_schema):
            doc.form_schema[index] = doc.form_schema[index].model_copy(update={"required": bool(value)})
            return self._save(doc)
        return None

    @rx.event
    def move_field(self, index: int, delta: int):
        """Reorder the form."""
        doc = self._doc()
        return self._save(doc) if _swap(doc.form_schema, index, delta) else None

    @rx.event
    def delete_field(self, index: int):
        """Remove a field."""
        doc = self._doc()
        if 0 <= index < len(doc.form_schema):
            del doc.form_schema[index]
            return self._save(doc)
        return None

    # ------------------------------------------------------------ publish

    @rx.event
    def publish(self):
        """Publish the draft (the engine's rules decide); problems show on their card."""
        out = self.try_call(automations_service.publish_automation, automation_id=self.automation_id)
        if out.error:
            self._show(self._doc(), problem=out.error)
            return rx.toast.error(out.error)
        self.published, self.published_version, self.has_unpublished_changes = True, out.value.published_version, False
        return rx.toast.success(f"Published as version {out.value.published_version}.")


S = BuilderState


def _select(value, items: list[tuple[str, str]], on_change, testid: str, label: str) -> rx.Component:
    return rx.el.label(
        rx.text(label, size="1", color_scheme="gray"),
        rx.el.select(*[rx.el.option(text, value=key) for key, text in items], value=value, on_change=on_change, disabled=~S.can_edit,
                     data_testid=testid, style=_SELECT_STYLE),
        style={"display": "flex", "flex_direction": "column", "gap": "2px", "flex": "1 1 180px", "min_width": "0"},
    )


def _status_line() -> rx.Component:
    return rx.match(
        S.save_status,
        ("saving", rx.hstack(rx.spinner(size="1"), rx.text("Saving…", size="2", color_scheme="gray"), align="center", data_testid="save-status")),
        ("error", rx.hstack(rx.icon("circle-alert", size=16, color=rx.color("red", 10)), rx.text("Not saved", size="2", color_scheme="red", weight="medium"),
                            rx.button("Retry", size="1", variant="soft", color_scheme="red", on_click=S.retry_save, data_testid="retry-save"), align="center", data_testid="save-status")),
        rx.hstack(rx.icon("check", size=16, color=rx.color("green", 10)), rx.text("Saved", size="2", color_scheme="gray"), align="center", data_testid="save-status"),
    )


def _variable_menu(card: StepCard) -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(rx.button(rx.icon("braces", size=14), "Insert variable", size="1", variant="soft", disabled=~S.can_edit, data_testid="insert-variable")),
        rx.menu.content(
            rx.foreach(card.variables, lambda v: rx.menu.item(
                rx.vstack(rx.code(v.tag, size="1"), rx.text(v.description, size="1", color_scheme="gray"), spacing="0"),
                on_select=S.insert_variable(card.index, v.tag), data_testid="variable-option",
            )),
            max_height="320px", overflow_y="auto",
        ),
    )


def _step_card(card: StepCard) -> rx.Component:
    sources = [(k, SOURCE_LABELS[k]) for k in INPUT_SOURCES]
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge("Step " + card.order.to_string(), color_scheme="orange", size="2"),
                rx.input(value=card.name, on_change=lambda v: S.set_step_text(card.index, "name", v), debounce_timeout=600, placeholder="Name this step",
                         font_weight="bold", variant="soft", max_length=200, disabled=~S.can_edit, flex="1", min_width="0", aria_label="Step name", data_testid="step-name"),
                rx.icon_button(rx.icon("arrow-up", size=14), size="1", variant="ghost", on_click=S.move_step(card.index, -1), disabled=~S.can_edit, aria_label="Move step up"),
                rx.icon_button(rx.icon("arrow-down", size=14), size="1", variant="ghost", on_click=S.move_step(card.index, 1), disabled=~S.can_edit, aria_label="Move step down"),
                confirm_action(
                    rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red", disabled=~S.can_edit, aria_label="Delete step", data_testid="delete-step"),
                    "Delete this step?", "Its prompt and settings are removed from the draft. Published versions are not affected.", "Delete step", S.delete_step(card.index),
                ),
                width="100%", align="center", spacing="2",
            ),
            rx.cond(card.problem != "", rx.callout(card.problem, icon="triangle-alert", color_scheme="red", size="1", width="100%", data_testid="step-problem"), rx.fragment()),
            rx.cond(card.warning != "", rx.callout(card.warning, icon="info", color_scheme="amber", size="1", width="100%", data_testid="step-warning"), rx.fragment()),
            rx.hstack(
                rx.el.label(
                    rx.text("Model", size="1", color_scheme="gray"),
                    rx.el.select(rx.foreach(S.models, lambda m: rx.el.option(m.label, value=m.id)), value=card.model_id,
                                 on_change=lambda v: S.set_step_text(card.index, "model_id", v), disabled=~S.can_edit, data_testid="step-model", style=_SELECT_STYLE),
                    style={"display": "flex", "flex_direction": "column", "gap": "2px", "flex": "1 1 220px", "min_width": "0"},
                ),
                _select(card.input_source, sources, lambda v: S.set_step_text(card.index, "input_source", v), "step-input-source", "Input from"),
                _select(card.input_type, [(t, t) for t in INPUT_TYPES], lambda v: S.set_step_text(card.index, "input_type", v), "step-input-type", "Input type"),
                width="100%", wrap="wrap", spacing="3",
            ),
            rx.cond(
                (card.input_source == "http_get") | (card.input_source == "http_post"),
                rx.el.label(rx.text("URL to call (variables allowed)", size="1", color_scheme="gray"),
                            rx.input(value=card.http_url, on_change=lambda v: S.set_step_text(card.index, "http_url", v), debounce_timeout=800, placeholder="https://tickets.example.com/api/{{flow_input.Ticket}}",
                                     disabled=~S.can_edit, width="100%", data_testid="step-http-url"), style={"width": "100%"}),
                rx.fragment(),
            ),
            rx.vstack(
                rx.hstack(rx.text("Prompt", size="2", weight="medium"), rx.spacer(), _variable_menu(card), width="100%", align="center"),
                rx.text_area(value=card.prompt, on_change=lambda v: S.set_step_text(card.index, "prompt", v), debounce_timeout=800, id="prompt-" + card.index.to_string(),
                             rows="5", width="100%", placeholder="What should the model do? Use Insert variable to refer to the form and earlier steps.",
                             disabled=~S.can_edit, aria_label="Prompt", data_testid="step-prompt"),
                width="100%", spacing="1",
            ),
            rx.hstack(
                _select(card.output_mode, [(k, MODE_LABELS[k]) for k in OUTPUT_MODES], lambda v: S.set_step_text(card.index, "output_mode", v), "step-output-mode", "Output goes to"),
                _select(card.output_type, [(t, t) for t in OUTPUT_TYPES], lambda v: S.set_step_text(card.index, "output_type", v), "step-output-type", "Output type"),
                rx.el.label(rx.text("Classification override", size="1", color_scheme="gray"),
                            rx.input(value=card.classification, on_change=lambda v: S.set_step_text(card.index, "classification", v), debounce_timeout=800, placeholder="none", type="number", min=0, max=5,
                                     disabled=~S.can_edit, width="100%", data_testid="step-classification"),
                            style={"display": "flex", "flex_direction": "column", "gap": "2px", "flex": "0 1 160px"}),
                width="100%", wrap="wrap", spacing="3",
            ),
            rx.cond(
                card.output_mode == "http_post",
                rx.el.label(rx.text("Webhook URL", size="1", color_scheme="gray"),
                            rx.input(value=card.webhook_url, on_change=lambda v: S.set_step_text(card.index, "webhook_url", v), debounce_timeout=800, placeholder="https://hooks.example.com/ticket",
                                     disabled=~S.can_edit, width="100%", data_testid="step-webhook-url"), style={"width": "100%"}),
                rx.fragment(),
            ),
            spacing="3", width="100%",
        ),
        width="100%", data_testid="step-card",
    )


def _field_row(row: FieldRow) -> rx.Component:
    return rx.hstack(
        rx.input(value=row.label, on_change=lambda v: S.set_field(row.index, "label", v), debounce_timeout=600, placeholder="Label, e.g. Namn på brukare", disabled=~S.can_edit,
                 flex="2 1 200px", min_width="0", aria_label="Field label", data_testid="field-label"),
        rx.el.select(*[rx.el.option(t, value=t) for t in FORM_FIELD_TYPES], value=row.type, on_change=lambda v: S.set_field(row.index, "type", v), disabled=~S.can_edit,
                     aria_label="Field type", data_testid="field-type", style={"padding": "6px", "border_radius": "6px", "border": "1px solid var(--gray-6)", "background": "var(--color-panel-solid)"}),
        rx.cond(row.type == "select",
                rx.input(value=row.options, on_change=lambda v: S.set_field(row.index, "options", v), debounce_timeout=800, placeholder="Options, comma-separated", disabled=~S.can_edit,
                         flex="2 1 180px", min_width="0", aria_label="Options", data_testid="field-options"),
                rx.fragment()),
        rx.el.label(rx.checkbox(checked=row.required, on_change=lambda v: S.toggle_required(row.index, v), disabled=~S.can_edit, data_testid="field-required"),
                    rx.text("Required", size="2"), style={"display": "flex", "gap": "4px", "align_items": "center"}),
        rx.code("{{" + row.id + "}}", size="1", color_scheme="gray", max_width="220px", overflow="hidden", text_overflow="ellipsis", white_space="nowrap", title=row.id),
        rx.icon_button(rx.icon("arrow-up", size=14), size="1", variant="ghost", on_click=S.move_field(row.index, -1), disabled=~S.can_edit, aria_label="Move field up"),
        rx.icon_button(rx.icon("arrow-down", size=14), size="1", variant="ghost", on_click=S.move_field(row.index, 1), disabled=~S.can_edit, aria_label="Move field down"),
        rx.icon_button(rx.icon("x", size=14), size="1", variant="ghost", color_scheme="red", on_click=S.delete_field(row.index), disabled=~S.can_edit, aria_label="Remove field"),
        width="100%", wrap="wrap", align="center", spacing="2", data_testid="form-field",
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text("Automations", size="2"), spacing="1", align="center"), href=routes.AUTOMATIONS, underline="none"),
            rx.spacer(),
            rx.cond(S.can_edit, _status_line(), rx.badge("Read-only: engineers can run automations but not change them", color_scheme="gray")),
            width="100%", align="center",
        ),
        rx.hstack(
            rx.input(value=S.name, on_change=S.set_name, debounce_timeout=600, size="3", variant="soft", font_weight="bold", max_length=200, disabled=~S.can_edit,
                     flex="1", min_width="0", aria_label="Automation name", data_testid="automation-name-input"),
            rx.cond(S.can_edit, char_counter(S.name, 200), rx.fragment()),
            rx.cond(S.published, kind_badge("published"), kind_badge("draft")),
            rx.cond(S.published, rx.badge("Pinned: version " + S.published_version.to_string(), color_scheme="green", data_testid="pinned-version"), rx.fragment()),
            rx.cond(S.has_unpublished_changes & S.published, rx.badge("Unpublished changes", color_scheme="amber"), rx.fragment()),
            width="100%", align="center", wrap="wrap", spacing="2",
        ),
        rx.cond(S.save_error != "", rx.callout("Not saved — " + S.save_error, icon="triangle-alert", color_scheme="red", size="1", width="100%", data_testid="save-error"), rx.fragment()),
        rx.hstack(
            rx.link(rx.button(rx.icon("play", size=14), "Run", variant="soft"), href=routes.AUTOMATIONS + "/" + S.automation_id + "/run", data_testid="run-link"),
            rx.cond(S.can_edit, rx.button(rx.icon("rocket", size=14), rx.cond(S.published, "Publish changes", "Publish"), on_click=S.publish,
                                          disabled=S.save_status != "saved", data_testid="publish-automation"), rx.fragment()),
            spacing="2", justify="end", width="100%",
        ),
        width="100%", spacing="3",
    )


@rx.page(route=routes.AUTOMATIONS + "/[automation_id]", title="Automation builder · ResolutionFlow", on_load=[AuthState.check_login, BuilderState.load])
def automation_builder_page() -> rx.Component:
    """One automation: its run form, its ordered steps, publish."""
    return app_layout(
        rx.cond(
            S.load_error != "",
            rx.callout(S.load_error, icon="triangle-alert", color_scheme="red", width="100%"),
            rx.vstack(
                _header(),
                rx.card(
                    rx.vstack(
                        rx.hstack(rx.heading("Run form", size="4"), rx.spacer(),
                                  rx.button(rx.icon("plus", size=14), "Add field", size="1", variant="soft", on_click=S.add_form_field, disabled=~S.can_edit, data_testid="add-field"), width="100%", align="center"),
                        rx.text("What a person fills in to start a run. Field names can be any label; steps use them as variables.", size="2", color_scheme="gray"),
                        rx.cond(S.fields.length() > 0, rx.vstack(rx.foreach(S.fields, _field_row), width="100%", spacing="2"),
                                rx.text("No fields: runs take free text only.", size="2", color_scheme="gray")),
                        width="100%", spacing="2",
                    ),
                    width="100%",
                ),
                rx.foreach(S.steps, _step_card),
                rx.cond(S.can_edit, rx.button(rx.icon("plus", size=16), "Add step", variant="outline", on_click=S.add_step, width="100%", data_testid="add-step"), rx.fragment()),
                width="100%", spacing="4", max_width="960px",
            ),
        ),
    )
