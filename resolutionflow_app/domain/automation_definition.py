"""The typed automation definition the builder edits: form fields and steps, to and from the API's JSON."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from resolutionflow_app.domain.automation_variables import is_reserved_name
from resolutionflow_app.domain.execution_hash import definition_checksum, step_execution_hash


class FormField(BaseModel):
    """One field of the run form (`form_schema` item)."""

    id: str
    label: str = ""
    type: str = "text"
    required: bool = False
    options: list[str] = Field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        """The `form_schema` item as the API stores it."""
        out: dict[str, Any] = {
            "id": self.id,
            "label": self.label or self.id,
            "type": self.type,
            "required": self.required,
        }
        if self.type == "select":
            out["options"] = self.options
        return out


class StepDefinition(BaseModel):
    """One step of the pipeline, as the builder edits it."""

    step_order: int
    user_description: str = ""
    assistant_id: str | None = None
    prompt: str = ""
    model_id: str | None = None
    input_source: str = "flow_input"
    input_type: str = "any"
    output_mode: str = "pass_through"
    output_type: str = "text"
    input_config: dict[str, Any] | None = None
    output_config: dict[str, Any] | None = None
    output_classification_override: int | None = None
    mcp_policy: str = "inherit"
    mcp_tool_ids: list[str] = Field(default_factory=list)
    mcp_server_ids: list[str] = Field(default_factory=list)
    # True when the step uses a shared assistant from the Assistants page: its prompt and model are
    # read-only here (edited there), so the step sends only `assistant_id`.
    assistant_shared: bool = False
    assistant_name: str = ""

    def to_api(self) -> dict[str, Any]:
        """The step as `PUT /automations/{id}` takes it; an existing hidden assistant is updated in place."""
        out: dict[str, Any] = {
            "step_order": self.step_order,
            "user_description": self.user_description or None,
            "assistant": {"prompt": self.prompt, "model_id": self.model_id, "mcp_server_ids": self.mcp_server_ids},
            "input_source": self.input_source,
            "input_type": self.input_type,
            "output_mode": self.output_mode,
            "output_type": self.output_type,
            "input_config": self.input_config if self.input_source in ("http_get", "http_post") else None,
            "output_config": self.output_config if self.output_mode == "http_post" else None,
            "output_classification_override": self.output_classification_override,
            "mcp_policy": self.mcp_policy,
            "mcp_tool_ids": self.mcp_tool_ids if self.mcp_policy == "restricted" else [],
        }
        if self.assistant_id:
            out["assistant_id"] = self.assistant_id
            if self.assistant_shared:
                del out["assistant"]
        return out


class AutomationDefinition(BaseModel):
    """A whole automation definition: name, description, form and ordered steps."""

    name: str
    description: str = ""
    form_schema: list[FormField] = Field(default_factory=list)
    steps: list[StepDefinition] = Field(default_factory=list)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> AutomationDefinition:
        """Parse an automation as the API answers it (steps carry `assistant: {prompt, model_id}`)."""
        steps = []
        for raw in data.get("steps") or []:
            assistant = raw.get("assistant") or {}
            steps.append(
                StepDefinition(
                    step_order=int(raw["step_order"]),
                    user_description=raw.get("user_description") or "",
                    assistant_id=str(raw["assistant_id"]) if raw.get("assistant_id") else None,
                    prompt=assistant.get("prompt") or "",
                    model_id=str(assistant["model_id"]) if assistant.get("model_id") else None,
                    input_source=raw.get("input_source") or "flow_input",
                    input_type=raw.get("input_type") or "any",
                    output_mode=raw.get("output_mode") or "pass_through",
                    output_type=raw.get("output_type") or "text",
                    input_config=raw.get("input_config"),
                    output_config=raw.get("output_config"),
                    output_classification_override=raw.get("output_classification_override"),
                    mcp_policy=raw.get("mcp_policy") or "inherit",
                    mcp_tool_ids=[str(t) for t in raw.get("mcp_tool_ids") or []],
                    mcp_server_ids=[
                        str(t) for t in (raw.get("mcp_server_ids") or assistant.get("mcp_server_ids") or [])
                    ],
                    assistant_shared=bool(raw.get("assistant_id")) and assistant.get("hidden") is False,
                    assistant_name=str(assistant.get("name") or ""),
                )
            )
        fields = [
            FormField(
                id=str(f.get("id", "")),
                label=str(f.get("label") or f.get("id") or ""),
                type=str(f.get("type") or "text"),
                required=bool(f.get("required")),
                options=[str(o) for o in f.get("options") or []],
            )
            for f in data.get("form_schema") or []
            if isinstance(f, dict)
        ]
        return cls(
            name=data.get("name") or "",
            description=data.get("description") or "",
            form_schema=fields,
            steps=sorted(steps, key=lambda s: s.step_order),
        )

    def to_api(self) -> dict[str, Any]:
        """The body of `PUT /automations/{id}`; steps renumbered 1..n in their order."""
        steps = [s.model_copy(update={"step_order": i + 1}).to_api() for i, s in enumerate(self.steps)]
        return {
            "name": self.name,
            "description": self.description or None,
            "form_schema": [f.to_api() for f in self.form_schema],
            "steps": steps,
        }


class SnapshotAssistant(BaseModel):
    """The assistant part of a stored step: its prompt and model (name and flags kept as stored)."""

    model_config = ConfigDict(extra="allow")

    prompt: str = ""
    model_id: str | None = None
    name: str = ""
    hidden: bool = False

    @field_validator("prompt", "name", mode="before")
    @classmethod
    def _prompt(cls, value: Any) -> Any:
        return value or ""

    @field_validator("model_id", mode="before")
    @classmethod
    def _model_id(cls, value: Any) -> Any:
        return str(value) if value else None

    @field_validator("hidden", mode="before")
    @classmethod
    def _hidden(cls, value: Any) -> Any:
        return bool(value)


def _str_list(value: Any) -> Any:
    return [str(v) for v in value] if isinstance(value, list) else value


class SnapshotStep(BaseModel):
    """One step of a stored definition snapshot (`automation_runs.definition`), as the runner executes it."""

    model_config = ConfigDict(extra="allow")

    step_order: int
    user_description: str | None = None
    assistant_id: str | None = None
    assistant: SnapshotAssistant = Field(default_factory=SnapshotAssistant)
    input_source: str | None = None
    input_type: str | None = None
    input_config: dict[str, Any] | None = None
    output_mode: str = "pass_through"
    output_type: str = "text"
    output_config: dict[str, Any] | None = None
    output_classification_override: int | None = None
    mcp_policy: str = "inherit"
    mcp_tool_ids: list[str] = Field(default_factory=list)
    mcp_server_ids: list[str] | None = None  # None: read the assistant's servers (snapshots older than the field)
    _execution_hash: str = PrivateAttr(default="")

    @field_validator("assistant_id", mode="before")
    @classmethod
    def _assistant_id(cls, value: Any) -> Any:
        return str(value) if value else None

    @field_validator("assistant", mode="before")
    @classmethod
    def _assistant(cls, value: Any) -> Any:
        return value or {}

    @field_validator("output_mode", "output_type", "mcp_policy", mode="before")
    @classmethod
    def _defaults(cls, value: Any, info: Any) -> Any:
        return value or {"output_mode": "pass_through", "output_type": "text", "mcp_policy": "inherit"}[info.field_name]

    @field_validator("mcp_tool_ids", mode="before")
    @classmethod
    def _tool_ids(cls, value: Any) -> Any:
        return _str_list(value) if value else []

    @field_validator("mcp_server_ids", mode="before")
    @classmethod
    def _server_ids(cls, value: Any) -> Any:
        return _str_list(value)

    @property
    def execution_hash(self) -> str:
        """The step's execution hash (`domain.execution_hash.step_execution_hash` of the stored step)."""
        return self._execution_hash


class DefinitionSnapshot(BaseModel):
    """A stored, self-contained automation definition, parsed once at the service boundary.

    The draft (`services.automations.current_definition`), a published version
    (`automations.published_definition`) and a run's pinned `definition` all have this shape. The
    JSON it was parsed from is kept as is (`to_json`): it is what gets stored again, and the
    published checksum and the steps' execution hashes are of it, so they never change with parsing.
    `form_schema` stays the stored field list: the run-form rules report problems of that shape.
    """

    model_config = ConfigDict(extra="allow")

    name: str = ""
    description: str | None = None
    data_retention_days: int | None = None
    form_schema: list[dict[str, Any]] = Field(default_factory=list)
    steps: list[SnapshotStep] = Field(default_factory=list)
    _stored: dict[str, Any] = PrivateAttr(default_factory=dict)
    _checksum: str = PrivateAttr(default="")

    @classmethod
    def parse(cls, data: dict[str, Any] | None) -> DefinitionSnapshot:
        """Parse a stored definition; each step keeps the execution hash of its stored JSON.

        Args:
            data: the stored definition (None or {} for none).

        Returns:
            The typed snapshot, steps in `step_order`.
        """
        raw = dict(data or {})
        raw_steps = [s for s in raw.get("steps") or [] if isinstance(s, dict)]
        snapshot = cls.model_validate(
            {**raw, "name": raw.get("name") or "", "form_schema": raw.get("form_schema") or [], "steps": raw_steps}
        )
        for step, source in zip(snapshot.steps, raw_steps, strict=True):
            step._execution_hash = step_execution_hash(source)
        snapshot.steps.sort(key=lambda s: s.step_order)
        snapshot._stored = copy.deepcopy(dict(data or {}))
        snapshot._checksum = definition_checksum(snapshot._stored)
        return snapshot

    def to_json(self) -> dict[str, Any]:
        """The stored JSON this snapshot was parsed from (a copy): what a run pins and a publish freezes.

        Returns:
            The definition exactly as stored, extra keys included.
        """
        return copy.deepcopy(self._stored)

    @property
    def checksum(self) -> str:
        """`domain.execution_hash.definition_checksum` of the stored JSON (the published version's checksum)."""
        return self._checksum

    @property
    def hashes(self) -> dict[int, str]:
        """`{step_order: execution hash}` of every step."""
        return {s.step_order: s.execution_hash for s in self.steps}

    def model_ids(self) -> list[str]:
        """The completion models the steps use, each once, in step order.

        Returns:
            Model ids as strings.
        """
        return list(dict.fromkeys(s.assistant.model_id for s in self.steps if s.assistant.model_id))


RECOVERY_KEY = "_recovery"


class RecoveryMark(BaseModel):
    """How often a run was taken over after its worker stopped, and when last.

    Run bookkeeping, not part of the definition: it rides in the run's `definition` column under
    `_recovery` (no extra column), and no checksum or execution hash reads it.
    """

    count: int = 0
    at: str | None = None

    @classmethod
    def of(cls, stored: Mapping[str, Any] | None) -> RecoveryMark:
        """The mark kept in a run's stored definition.

        Args:
            stored: the run's `definition` column (None for none).

        Returns:
            The mark, count 0 when the run was never taken over.
        """
        raw = (stored or {}).get(RECOVERY_KEY)
        return cls.model_validate(raw) if isinstance(raw, Mapping) else cls()

    def onto(self, stored: Mapping[str, Any] | None) -> dict[str, Any]:
        """The run's stored definition with this mark in it (the rest unchanged).

        Args:
            stored: the run's `definition` column.

        Returns:
            A new dict to write back to the column.
        """
        return {**dict(stored or {}), RECOVERY_KEY: self.model_dump()}


def field_id_from_label(label: str, taken: set[str]) -> str:
    """A form field id from its label: the label itself, trimmed, without `.` and braces, made unique.

    Args:
        label: what the author typed ("Namn på brukare").
        taken: ids already used in the form.

    Returns:
        A valid, unique id ("Namn på brukare", or "Namn på brukare 2").
    """
    base = re.sub(r"[.{}\x00-\x1f]", " ", label or "").strip()
    base = re.sub(r"\s+", " ", base)[:90] or "Field"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base} {n}", n + 1
    return candidate


def variables_for_step(
    definition: AutomationDefinition, index: int, sample_outputs: dict[int, Any] | None = None
) -> list[tuple[str, str]]:
    """The `{{…}}` tags a step at `index` may use, with a short description, for the variable picker.

    Args:
        definition: the automation.
        index: position of the step (0-based).
        sample_outputs: step order -> the last run's output (a dict offers its sub-fields).

    Returns:
        `(tag, description)` pairs: form fields, the free text, earlier steps' outputs and JSON sub-fields.
    """
    tags: list[tuple[str, str]] = [("{{flow_input.text}}", "The run's free text")]
    for f in definition.form_schema:
        tags.append((f"{{{{flow_input.{f.id}}}}}", f"Form field “{f.label or f.id}”"))
        if not is_reserved_name(f.id):
            tags.append((f"{{{{{f.id}}}}}", f"Form field “{f.label or f.id}” (short form)"))
    for i, step in enumerate(definition.steps[:index]):
        order = i + 1
        name = step.user_description or f"Step {order}"
        tags.append((f"{{{{step_{order}.output}}}}", f"Output of “{name}”"))
        sample = (sample_outputs or {}).get(order)
        if isinstance(sample, dict):
            for key in list(sample)[:20]:
                if "." not in str(key):
                    tags.append((f"{{{{step_{order}.output.{key}}}}}", f"Field “{key}” of “{name}”"))
    return tags
