"""Automation definition rules checked at create/update time; every error names its step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from resolutionflow_app.domain.errors import InvalidInput

INPUT_SOURCES = ("flow_input", "previous_step", "all_previous_steps", "http_get", "http_post")
INPUT_TYPES = ("text", "json", "image", "audio", "document", "file", "any")
OUTPUT_MODES = ("pass_through", "http_post")
OUTPUT_TYPES = ("text", "json", "pdf", "docx")
MCP_POLICIES = ("inherit", "restricted")
FORM_FIELD_TYPES = ("text", "number", "select", "image", "audio", "document", "file")
FILE_FIELD_TYPES = ("image", "audio", "document", "file")
MAX_STEPS = 50


def _label(step: Mapping[str, Any], index: int) -> str:
    order = step.get("step_order")
    return f"Step {order}" if isinstance(order, int) else f"Step #{index + 1}"


def step_level(step: Mapping[str, Any], model_levels: Mapping[str, int]) -> int:
    """The effective output classification of a step: its override, else its model's level."""
    override = step.get("output_classification_override")
    if override is not None:
        return int(override)
    return int(model_levels.get(str((step.get("assistant") or {}).get("model_id")), 0))


def model_level(step: Mapping[str, Any], model_levels: Mapping[str, int]) -> int:
    """The security level of the step's model (0 when unknown)."""
    return int(model_levels.get(str((step.get("assistant") or {}).get("model_id")), 0))


def structural_problems(steps: Sequence[Mapping[str, Any]]) -> list[str]:
    """Enum values, step order and input wiring problems (no model knowledge needed)."""
    problems: list[str] = []
    if len(steps) > MAX_STEPS:
        problems.append(f"An automation has at most {MAX_STEPS} steps.")
    orders = []
    for i, step in enumerate(steps):
        label = _label(step, i)
        order = step.get("step_order")
        if not isinstance(order, int) or isinstance(order, bool) or order < 1:
            problems.append(f"{label}: step_order must be a whole number from 1.")
        else:
            orders.append(order)
        for key, allowed in (
            ("input_source", INPUT_SOURCES),
            ("input_type", INPUT_TYPES),
            ("output_mode", OUTPUT_MODES),
            ("output_type", OUTPUT_TYPES),
            ("mcp_policy", MCP_POLICIES),
        ):
            value = step.get(key)
            if value is not None and value not in allowed:
                problems.append(f"{label}: {key} must be one of {', '.join(allowed)} (got {value!r}).")
        override = step.get("output_classification_override")
        if override is not None and (
            not isinstance(override, int) or isinstance(override, bool) or not 0 <= override <= 100
        ):
            problems.append(f"{label}: output_classification_override must be a whole number from 0 to 100.")
        if order == 1 and step.get("input_source") in ("previous_step", "all_previous_steps"):
            problems.append(f"{label}: the first step cannot read {step.get('input_source')}; use flow_input.")
        source = step.get("input_source")
        config = step.get("input_config") or {}
        if source in ("http_get", "http_post") and not (
            isinstance(config, Mapping) and str(config.get("url") or "").strip()
        ):
            problems.append(f"{label}: input_source {source} needs input_config.url.")
        if step.get("output_mode") == "http_post":
            out = step.get("output_config") or {}
            if not (isinstance(out, Mapping) and str(out.get("url") or "").strip()):
                problems.append(f"{label}: output_mode http_post needs output_config.url.")
        if step.get("mcp_policy") == "restricted" and step.get("mcp_tool_ids") is None:
            problems.append(f"{label}: a restricted MCP policy needs mcp_tool_ids (may be empty).")
    duplicates = sorted({o for o in orders if orders.count(o) > 1})
    if duplicates:
        problems.append(f"Step {duplicates[0]}: step_order is used more than once.")
    elif orders and sorted(orders) != list(range(1, len(orders) + 1)):
        missing = next(n for n in range(1, len(orders) + 1) if n not in orders)
        problems.append(f"Step {missing}: step orders must run 1, 2, 3 ... without gaps (step {missing} is missing).")
    return problems


def classification_findings(
    steps: Sequence[Mapping[str, Any]], model_levels: Mapping[str, int]
) -> list[tuple[int, str]]:
    """The seed's security classification rules, as `(step_order, message)` pairs.

    - a step's model level may not be below the data level coming out of the previous step;
    - a step that posts its output to a webhook may not carry an effective level above 1;
    - an `all_previous_steps` step's model must handle the highest level of every earlier step.
    """
    findings: list[tuple[int, str]] = []
    ordered = sorted((s for s in steps if isinstance(s.get("step_order"), int)), key=lambda s: s["step_order"])
    prev_level: int | None = None
    prev_order: int | None = None
    for step in ordered:
        order = step["step_order"]
        level = model_level(step, model_levels)
        if prev_level is not None and level < prev_level:
            findings.append(
                (
                    order,
                    f"Step {order}: its model is classified level {level}, below the level {prev_level} data coming "
                    f"from step {prev_order}.",
                )
            )
        effective = step_level(step, model_levels)
        if step.get("output_mode") == "http_post" and effective > 1:
            findings.append(
                (order, f"Step {order}: cannot post level {effective} data to an external webhook (at most level 1).")
            )
        if step.get("input_source") == "all_previous_steps":
            earlier = [step_level(s, model_levels) for s in ordered if s["step_order"] < order]
            if earlier and level < max(earlier):
                findings.append(
                    (
                        order,
                        f"Step {order}: reads all previous steps (up to level {max(earlier)}) but its model is only "
                        f"level {level}.",
                    )
                )
        prev_level, prev_order = effective, order
    return findings


def classification_problems(steps: Sequence[Mapping[str, Any]], model_levels: Mapping[str, int]) -> list[str]:
    """The messages of `classification_findings` (the seed's security classification rules)."""
    return [message for _order, message in classification_findings(steps, model_levels)]


FIELD_ID_MAX = 100


def form_field_id_problem(fid: str) -> str | None:
    """Why `fid` cannot be a form field id, or None.

    Any human label works ("Namn på brukare", "Personnummer"): it is used trimmed; only what would
    make `{{flow_input.<id>}}` ambiguous is refused: `.` (path separator), braces, and surrounding
    spaces. A field named like a reserved top-level name (`flow_input`, `step_2`) is still fine but
    is only reachable as `{{flow_input.<id>}}`.
    """
    if fid != fid.strip():
        return "the id must not start or end with spaces."
    if len(fid) > FIELD_ID_MAX:
        return f"the id must be at most {FIELD_ID_MAX} characters."
    if "." in fid:
        return "the id must not contain '.', which separates the parts of a {{variable}}."
    if "{" in fid or "}" in fid:
        return "the id must not contain '{' or '}'."
    if any(ord(ch) < 0x20 for ch in fid):
        return "the id must not contain control characters."
    return None


def form_schema_problems(form_schema: Any) -> list[str]:
    """Problems with a form schema: a list of `{id, label, type, required?, options?}` fields."""
    if form_schema is None:
        return []
    if not isinstance(form_schema, list):
        return ["form_schema must be a list of fields."]
    problems: list[str] = []
    seen: set[str] = set()
    for i, field in enumerate(form_schema):
        where = f"Form field {i + 1}"
        if not isinstance(field, Mapping):
            problems.append(f"{where}: must be an object.")
            continue
        fid = field.get("id")
        if not isinstance(fid, str) or not fid.strip():
            problems.append(f"{where}: id must be a non-empty name.")
        elif (problem := form_field_id_problem(fid)) is not None:
            problems.append(f"{where}: {problem}")
        elif fid in seen:
            problems.append(f"{where}: id {fid!r} is used twice.")
        else:
            seen.add(fid)
            where = f"Form field {fid!r}"
        if field.get("type") not in FORM_FIELD_TYPES:
            problems.append(f"{where}: type must be one of {', '.join(FORM_FIELD_TYPES)}.")
        if "label" in field and not isinstance(field.get("label"), str):
            problems.append(f"{where}: label must be text.")
        if "required" in field and not isinstance(field.get("required"), bool):
            problems.append(f"{where}: required must be true or false.")
        if field.get("type") == "select":
            options = field.get("options")
            if not isinstance(options, list) or not options or not all(isinstance(o, str) and o for o in options):
                problems.append(f"{where}: a select field needs a non-empty list of text options.")
    return problems


def validate_definition(
    *, steps: Sequence[Mapping[str, Any]], form_schema: Any, model_levels: Mapping[str, int]
) -> None:
    """Raise InvalidInput listing every problem (the message names the first one).

    Args:
        steps: step definitions (see `execution_hash.step_execution_hash` for keys).
        form_schema: the automation's form fields.
        model_levels: `{model_id: security_level}` for the models the steps use.

    Raises:
        InvalidInput: with `problems` = every message.
    """
    problems = form_schema_problems(form_schema) + structural_problems(steps)
    if not problems:
        problems += classification_problems(steps, model_levels)
    if problems:
        raise InvalidInput(
            problems[0] if len(problems) == 1 else f"{problems[0]} ({len(problems) - 1} more problem(s))",
            problems=problems,
        )


def form_data_problems(form_schema: Sequence[Mapping[str, Any]] | None, form_data: Mapping[str, Any]) -> list[str]:
    """Problems with the values a run was started with, against the form schema."""
    problems: list[str] = []
    for field in form_schema or []:
        fid, ftype = str(field.get("id")), field.get("type")
        value = form_data.get(fid)
        label = field.get("label") or fid
        if value in (None, ""):
            if field.get("required"):
                problems.append(f"{label} is required.")
            continue
        if ftype == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                problems.append(f"{label} must be a number.")
            else:
                try:
                    float(value)
                except ValueError:
                    problems.append(f"{label} must be a number.")
        elif ftype == "select" and value not in (field.get("options") or []):
            problems.append(f"{label} must be one of {', '.join(field.get('options') or [])}.")
        elif ftype == "text" and not isinstance(value, str):
            problems.append(f"{label} must be text.")
        elif ftype in FILE_FIELD_TYPES and not isinstance(value, str):
            problems.append(f"{label} must be the id of an uploaded file.")
    return problems
