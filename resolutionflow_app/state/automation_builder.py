"""State of the automation builder: the typed definition being edited, autosave, publish, secrets shown once."""

from __future__ import annotations

import dataclasses
import json
import re

import reflex as rx

from resolutionflow_app.domain.automation_definition import (
    AutomationDefinition,
    FormField,
    StepDefinition,
    field_id_from_label,
    variables_for_step,
)
from resolutionflow_app.domain.automation_rules import FORM_FIELD_TYPES
from resolutionflow_app.services import automation_builder as builder_service
from resolutionflow_app.services import automations as automations_service
from resolutionflow_app.services.secrets_box import REDACTED_PREFIX
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.rows import Option

_STEP_REF = re.compile(r"^Step (\d+)\b")
MAX_HEADERS = 20


@dataclasses.dataclass
class VariableTag:
    """One entry of the "Insert variable" menu."""

    tag: str = ""
    description: str = ""


@dataclasses.dataclass
class HeaderRow:
    """One HTTP header of a step's URL call; stored values come back masked (``••••xy``)."""

    row: int = 0
    name: str = ""
    value: str = ""


@dataclasses.dataclass
class ToolCheck:
    """A tool of an MCP server, ticked when the step may use it."""

    id: str = ""
    name: str = ""
    description: str = ""
    checked: bool = False


@dataclasses.dataclass
class ServerCheck:
    """An MCP server the step's assistant may call, with its tools."""

    id: str = ""
    name: str = ""
    checked: bool = False
    tools: list[ToolCheck] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class StepCard:
    """A step as its card shows it (strings for the inputs)."""

    index: int = 0
    order: int = 0
    name: str = ""
    prompt: str = ""
    model_id: str = ""
    assistant_mode: str = "new"  # new | existing
    assistant_id: str = ""
    assistant_name: str = ""
    input_source: str = "flow_input"
    input_type: str = "any"
    output_mode: str = "pass_through"
    output_type: str = "text"
    http_url: str = ""
    http_body: str = ""
    http_headers: list[HeaderRow] = dataclasses.field(default_factory=list)
    webhook_url: str = ""
    webhook_headers: list[HeaderRow] = dataclasses.field(default_factory=list)
    classification: str = ""
    mcp_policy: str = "inherit"
    servers: list[ServerCheck] = dataclasses.field(default_factory=list)
    problem: str = ""
    warning: str = ""


@dataclasses.dataclass
class FieldRow:
    """A form field row of the form builder."""

    index: int = 0
    id: str = ""
    label: str = ""
    type: str = "text"
    required: bool = False
    options: str = ""


def _swap(items: list, index: int, delta: int) -> bool:
    """Move `items[index]` by `delta` places (reordering steps or fields); False when out of range."""
    target = index + delta
    if 0 <= index < len(items) and 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
        return True
    return False


def _header_rows(config: dict | None) -> list[HeaderRow]:
    return [
        HeaderRow(row=i, name=str(k), value=str(v))
        for i, (k, v) in enumerate(((config or {}).get("headers") or {}).items())
    ]


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
    models: list[Option] = []
    assistants: list[Option] = []
    has_webhook: bool = False
    save_status: str = "saved"  # saved | saving | error
    save_error: str = ""
    load_error: str = ""
    # The open "Insert variable" menu's entries: built when a menu opens, not for every card on every edit.
    menu_variables: list[VariableTag] = []
    # A secret shown once (the webhook signing secret right after it was made); cleared when its dialog closes.
    shown_secret: str = ""
    share_step: int = 0
    # The definition as last edited (JSON), the source of truth between saves.
    _definition: str = ""
    _model_caps: dict[str, dict] = {}
    _samples: dict[int, dict] = {}
    _assistant_rows: dict[str, dict] = {}
    _servers: list[dict] = []

    # ------------------------------------------------------------ loading and rendering

    @rx.event
    def load(self):
        """on_load: the automation, its models, shared assistants, MCP servers and the last run's outputs."""
        self.automation_id = self._route_part()
        self.shown_secret, self.menu_variables = "", []
        out = self.try_call(builder_service.load_builder, automation_id=self.automation_id)
        if out.error:
            self.load_error = out.error
            return
        view = out.value
        self.load_error, self.save_status, self.save_error = "", "saved", ""
        self.published, self.published_version, self.has_unpublished_changes, self.can_edit = (
            view.published,
            view.published_version,
            view.has_unpublished_changes,
            view.can_edit,
        )
        self.models = [Option(id=m.id, label=f"{m.name} · security level {m.security_level}") for m in view.models]
        self._model_caps = {
            m.id: {"vision": m.supports_vision, "audio": m.supports_audio, "name": m.name} for m in view.models
        }
        self._assistant_rows = {a.id: a.model_dump() for a in view.assistants}
        self.assistants = [Option(id=a.id, label=f"{a.name} · {a.model_name or 'no model'}") for a in view.assistants]
        self._servers = [s.model_dump() for s in view.mcp_servers]
        self._samples = view.sample_outputs
        self._show(view.definition, problem="")

    def _doc(self) -> AutomationDefinition:
        return AutomationDefinition.model_validate_json(self._definition)

    def _show(self, definition: AutomationDefinition, problem: str) -> None:
        self._definition = definition.model_dump_json()
        self.name, self.description = definition.name, definition.description
        problem_step = int(m.group(1)) if (m := _STEP_REF.match(problem or "")) else 0
        self.steps = [
            self._card(definition, i, problem if problem_step == i + 1 else "") for i in range(len(definition.steps))
        ]
        self.fields = [
            FieldRow(index=i, id=f.id, label=f.label, type=f.type, required=f.required, options=", ".join(f.options))
            for i, f in enumerate(definition.form_schema)
        ]
        self.has_webhook = any(s.output_mode == "http_post" for s in definition.steps)

    def _card(self, definition: AutomationDefinition, i: int, problem: str) -> StepCard:
        s = definition.steps[i]
        cfg_in, cfg_out = s.input_config or {}, s.output_config or {}
        body = cfg_in.get("body")
        servers = [
            ServerCheck(
                id=srv["id"],
                name=srv["name"],
                checked=srv["id"] in s.mcp_server_ids,
                tools=[
                    ToolCheck(
                        id=t["id"], name=t["name"], description=t["description"], checked=t["id"] in s.mcp_tool_ids
                    )
                    for t in srv["tools"]
                ],
            )
            for srv in self._servers
        ]
        return StepCard(
            index=i,
            order=i + 1,
            name=s.user_description,
            prompt=s.prompt,
            model_id=s.model_id or "",
            assistant_mode="existing" if s.assistant_shared else "new",
            assistant_id=s.assistant_id or "",
            assistant_name=s.assistant_name,
            input_source=s.input_source,
            input_type=s.input_type,
            output_mode=s.output_mode,
            output_type=s.output_type,
            http_url=str(cfg_in.get("url") or ""),
            http_body=body if isinstance(body, str) else (json.dumps(body) if body is not None else ""),
            http_headers=_header_rows(cfg_in),
            webhook_url=str(cfg_out.get("url") or ""),
            webhook_headers=_header_rows(cfg_out),
            classification="" if s.output_classification_override is None else str(s.output_classification_override),
            mcp_policy=s.mcp_policy,
            servers=servers,
            problem=problem,
            warning=self._capability_warning(definition, i),
        )

    def _capability_warning(self, definition: AutomationDefinition, index: int) -> str:
        step = definition.steps[index]
        caps = self._model_caps.get(step.model_id or "", {})
        produced = definition.steps[index - 1].output_type if index > 0 and step.input_source == "previous_step" else ""
        wants_image = step.input_type == "image" or (
            step.input_source == "flow_input" and any(f.type == "image" for f in definition.form_schema)
        )
        wants_audio = step.input_type == "audio" or (
            step.input_source == "flow_input" and any(f.type == "audio" for f in definition.form_schema)
        )
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
        # Adopt what was stored: new steps get their assistant's id (so the next save updates it rather than
        # making another), and header values typed a moment ago come back masked, never kept in the page.
        self._show(AutomationDefinition.from_api(out.value.model_dump(mode="json")), problem="")
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

    def _step(self, index: int) -> StepDefinition | None:
        doc = self._doc()
        return doc.steps[index] if 0 <= index < len(doc.steps) else None

    @rx.event
    def set_name(self, value: str):
        """Rename the automation."""
        return self._save(self._doc().model_copy(update={"name": value}))

    @rx.event
    def set_description(self, value: str):
        """Change the description."""
        return self._save(self._doc().model_copy(update={"description": value}))

    @rx.event
    def set_step_text(self, index: int, key: str, value: str):
        """A text property of a step: name, prompt, model, sources, types, URLs, body, classification, MCP policy."""
        step = self._step(index)
        if step is None:
            return None
        if key == "name":
            return self._edit_step(index, user_description=value)
        if key in ("prompt", "model_id", "input_source", "input_type", "output_mode", "output_type", "mcp_policy"):
            return self._edit_step(index, **{key: value})
        if key == "http_url":
            return self._edit_step(index, input_config={**(step.input_config or {}), "url": value})
        if key == "http_body":
            return self._edit_step(index, input_config={**(step.input_config or {}), "body": value})
        if key == "webhook_url":
            return self._edit_step(index, output_config={**(step.output_config or {}), "url": value})
        if key == "classification":
            return self._edit_step(
                index, output_classification_override=int(value) if value.strip().isdigit() else None
            )
        return None

    # ------------------------------------------------------------ assistants and MCP tools

    @rx.event
    def set_assistant_mode(self, index: int, mode: str):
        """ "Create new" (the step's own prompt) or "Use existing assistant" (the first shared one, changeable)."""
        step = self._step(index)
        if step is None:
            return None
        if mode == "new":
            # Keep the shared assistant's prompt and model as a starting point for the step's own.
            return self._edit_step(index, assistant_id=None, assistant_shared=False, assistant_name="")
        if not self.assistants:
            return rx.toast.info("No shared assistants yet. Use “Share this assistant” on a step to make one.")
        return self.choose_assistant(index, self.assistants[0].id)

    @rx.event
    def choose_assistant(self, index: int, assistant_id: str):
        """Use the shared assistant `assistant_id` for step `index` (its prompt, model and MCP servers)."""
        row = self._assistant_rows.get(assistant_id)
        if row is None:
            return rx.toast.error("That assistant no longer exists; reload the page.")
        return self._edit_step(
            index,
            assistant_id=assistant_id,
            assistant_shared=True,
            assistant_name=row["name"],
            prompt=row["prompt"],
            model_id=row["model_id"] or None,
            mcp_server_ids=list(row["mcp_server_ids"]),
        )

    @rx.event
    def open_share_assistant(self, index: int):
        """Ask for a name before sharing step `index`'s assistant."""
        self.share_step = index + 1

    @rx.event
    def cancel_share_assistant(self):
        """Close the share dialog."""
        self.share_step = 0

    @rx.event
    def share_dialog_changed(self, is_open: bool):
        """Escape or a click outside closes the share dialog."""
        if not is_open:
            self.share_step = 0

    @rx.event
    def share_assistant(self, form: dict):
        """Make the step's own assistant a shared one under the given name."""
        order = self.share_step
        out = self.try_call(
            builder_service.share_step_assistant,
            automation_id=self.automation_id,
            step_order=order,
            name=str(form.get("name") or ""),
        )
        if out.error:
            return self.refused(out)
        self.share_step = 0
        row = out.value
        self._assistant_rows[row.id] = row.model_dump()
        self.assistants = [
            *[a for a in self.assistants if a.id != row.id],
            Option(id=row.id, label=f"{row.name} · {row.model_name or 'no model'}"),
        ]
        self._edit_step(order - 1, assistant_id=row.id, assistant_shared=True, assistant_name=row.name)
        return rx.toast.success(f"“{row.name}” is now a shared assistant; other steps can use it.")

    @rx.event
    def toggle_server(self, index: int, server_id: str, checked: bool):
        """Let the step's own assistant call MCP server `server_id` (or not)."""
        step = self._step(index)
        if step is None or step.assistant_shared:
            return None
        ids = [s for s in step.mcp_server_ids if s != server_id] + ([server_id] if checked else [])
        tools = {t["id"] for srv in self._servers if srv["id"] in ids for t in srv["tools"]}
        return self._edit_step(index, mcp_server_ids=ids, mcp_tool_ids=[t for t in step.mcp_tool_ids if t in tools])

    @rx.event
    def toggle_tool(self, index: int, tool_id: str, checked: bool):
        """Tick or untick one tool; ticking any tool makes the policy "only the ticked tools"."""
        step = self._step(index)
        if step is None:
            return None
        ids = [t for t in step.mcp_tool_ids if t != tool_id] + ([tool_id] if checked else [])
        return self._edit_step(index, mcp_tool_ids=ids, mcp_policy="restricted")

    # ------------------------------------------------------------ HTTP headers (values masked)

    def _headers(self, index: int, where: str) -> tuple[StepDefinition | None, str, list[list[str]]]:
        step = self._step(index)
        key = "input_config" if where == "input" else "output_config"
        cfg = (getattr(step, key) or {}) if step else {}
        return step, key, [[str(k), str(v)] for k, v in (cfg.get("headers") or {}).items()]

    def _store_headers(self, step: StepDefinition, index: int, key: str, pairs: list[list[str]]):
        cfg = dict(getattr(step, key) or {})
        cfg["headers"] = dict(pairs)
        return self._edit_step(index, **{key: cfg})

    @rx.event
    def add_header(self, index: int, where: str):
        """A new header row (`where`: input | output)."""
        step, key, pairs = self._headers(index, where)
        if step is None:
            return None
        if len(pairs) >= MAX_HEADERS:
            return rx.toast.error(f"A step can send at most {MAX_HEADERS} headers.")
        taken = {k.lower() for k, _ in pairs}
        name = next(
            n
            for n in ["Authorization", "X-Api-Key", *[f"X-Header-{i}" for i in range(2, MAX_HEADERS + 2)]]
            if n.lower() not in taken
        )
        return self._store_headers(step, index, key, [*pairs, [name, ""]])

    @rx.event
    def set_header(self, index: int, where: str, row: int, part: str, value: str):
        """Rename a header or set its value; a renamed header whose value was masked must be typed again."""
        step, key, pairs = self._headers(index, where)
        if step is None or not 0 <= row < len(pairs):
            return None
        if part == "name":
            clean = value.strip()
            if not clean:
                return rx.toast.error("A header needs a name.")
            if any(k.lower() == clean.lower() for i, (k, _) in enumerate(pairs) if i != row):
                return rx.toast.error(f"The header “{clean}” is already set on this step.")
            masked = pairs[row][1].startswith(REDACTED_PREFIX)
            pairs[row] = [clean, "" if masked else pairs[row][1]]
        else:
            pairs[row][1] = value
        return self._store_headers(step, index, key, pairs)

    @rx.event
    def remove_header(self, index: int, where: str, row: int):
        """Remove a header row."""
        step, key, pairs = self._headers(index, where)
        if step is None or not 0 <= row < len(pairs):
            return None
        del pairs[row]
        return self._store_headers(step, index, key, pairs)

    # ------------------------------------------------------------ steps

    @rx.event
    def add_step(self):
        """Append a step reading the previous step's output, on the last step's model."""
        doc = self._doc()
        model = doc.steps[-1].model_id if doc.steps else (self.models[0].id if self.models else None)
        doc.steps.append(
            StepDefinition(
                step_order=len(doc.steps) + 1,
                user_description=f"Step {len(doc.steps) + 1}",
                prompt="",
                model_id=model,
                input_source="previous_step" if doc.steps else "flow_input",
            )
        )
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
    def load_variables(self, index: int, is_open: bool):
        """Fill the "Insert variable" menu of step `index` as it opens (form fields, earlier outputs, JSON
        sub-fields)."""
        doc = self._doc()
        if is_open and 0 <= index < len(doc.steps):
            self.menu_variables = [
                VariableTag(tag=t, description=d) for t, d in variables_for_step(doc, index, self._samples)
            ]

    @rx.event
    def insert_variable(self, element_id: str, tag: str):
        """Insert `tag` at the cursor of the field `element_id` (the browser edits it; it then saves as typed)."""
        element = json.dumps(element_id)
        text = json.dumps(tag)
        return rx.call_script(
            f"(function(){{const el=document.getElementById({element}); if(!el) return;"
            "const s=el.selectionStart ?? el.value.length, e=el.selectionEnd ?? s; const "
            f"v=el.value.slice(0,s)+{text}+el.value.slice(e);"
            "const set=Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el),'value').set; set.call(el,v);"
            f"el.dispatchEvent(new Event('input',{{bubbles:true}})); el.focus(); "
            f"el.selectionStart=el.selectionEnd=s+{text}.length;}})()"
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
            doc.form_schema[index] = f.model_copy(
                update={"type": value, "options": f.options or (["Option A", "Option B"] if value == "select" else [])}
            )
        elif key == "options":
            doc.form_schema[index] = f.model_copy(
                update={"options": [o.strip() for o in value.split(",") if o.strip()]}
            )
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

    # ------------------------------------------------------------ publish and the webhook secret

    @rx.event
    def publish(self):
        """Publish the draft (the engine's rules decide); problems show on their card."""
        out = self.try_call(automations_service.publish_automation, automation_id=self.automation_id)
        if out.error:
            self._show(self._doc(), problem=out.error)
            return self.refused(out)
        self.published, self.published_version, self.has_unpublished_changes = True, out.value.published_version, False
        return rx.toast.success(f"Published as version {out.value.published_version}.")

    @rx.event
    def unpublish(self):
        """Take it off the published list: engineers can no longer start it (version kept)."""
        out = self.try_call(automations_service.unpublish_automation, automation_id=self.automation_id)
        if out.error:
            return self.refused(out)
        self.published = False
        return rx.toast.success("Unpublished: engineers can no longer run it. Publishing again restores it.")

    @rx.event
    def new_webhook_secret(self):
        """Make a new signing secret and show it once (receivers must switch to it)."""
        out = self.try_call(automations_service.rotate_webhook_secret, automation_id=self.automation_id)
        if out.error:
            return self.refused(out)
        self.shown_secret = out.value
        return None

    @rx.event
    def close_secret(self, is_open: bool = False):
        """Forget the shown secret when its dialog closes."""
        if not is_open:
            self.shown_secret = ""

    @rx.event
    def copy_secret(self):
        """Copy the shown secret to the clipboard."""
        return [rx.set_clipboard(self.shown_secret), rx.toast.success("Copied. It will not be shown again.")]
