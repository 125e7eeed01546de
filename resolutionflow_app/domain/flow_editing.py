"""Pure editing operations the flow editor applies to a `tree_structure` (each returns a new dict)."""

from __future__ import annotations

import copy
import re
from typing import Any

from resolutionflow_app.domain.tree_schema import normalize_commands

TS_KINDS = ("decision", "action", "solution")
PROC_KINDS = ("section_header", "procedure_step", "procedure_end")
VISIBILITY_CHOICES = ("inherit", "team", "public")
_ID_PREFIX = {
    "decision": "q",
    "action": "a",
    "solution": "s",
    "section_header": "sec",
    "procedure_step": "step",
    "procedure_end": "end",
}
_DEFAULT_TITLE = {
    "decision": "New question",
    "action": "New action",
    "solution": "New solution",
    "section_header": "New section",
    "procedure_step": "New step",
    "procedure_end": "Done",
}
TEXT_FIELDS = ("title", "description", "help_text", "expected_outcome")
COMMAND_FIELDS = ("label", "language", "code")


def _key(structure: dict[str, Any]) -> str:
    return "steps" if "steps" in structure else "nodes"


def items(structure: dict[str, Any]) -> list[dict[str, Any]]:
    """The node (troubleshooting) or step (procedure) dicts of `structure`, skipping junk entries."""
    value = (structure or {}).get(_key(structure or {}))
    return [n for n in value if isinstance(n, dict)] if isinstance(value, list) else []


def find(structure: dict[str, Any], node_id: str) -> dict[str, Any] | None:
    """The node or step with `node_id`, or None."""
    return next((n for n in items(structure) if n.get("id") == node_id), None)


def _copy(structure: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(structure or {})
    out.setdefault(_key(out), [])
    if not isinstance(out[_key(out)], list):
        out[_key(out)] = []
    return out


def new_id(structure: dict[str, Any], kind: str) -> str:
    """A fresh id like `q_3` for a node of `kind`, unique in `structure`."""
    prefix = _ID_PREFIX.get(kind, "n")
    taken = {str(n.get("id")) for n in items(structure)}
    numbers = [int(m.group(1)) for i in taken if (m := re.fullmatch(re.escape(prefix) + r"_(\d+)", i))]
    n = max(numbers, default=0) + 1
    while f"{prefix}_{n}" in taken:
        n += 1
    return f"{prefix}_{n}"


def _position(value: Any) -> dict[str, float] | None:
    if (
        isinstance(value, dict)
        and isinstance(value.get("x"), (int, float))
        and isinstance(value.get("y"), (int, float))
    ):
        return {"x": round(float(value["x"]), 1), "y": round(float(value["y"]), 1)}
    return None


# --- troubleshooting trees --------------------------------------------------------------------


def add_node(
    structure: dict[str, Any], kind: str, position: Any = None, positions: Any = None
) -> tuple[dict[str, Any], str]:
    """Add a decision/action/solution node; freeze `positions` of the nodes that were auto-placed.

    Args:
        structure: the troubleshooting structure.
        kind: decision, action or solution.
        position: `{x, y}` of the new node on the canvas.
        positions: current canvas positions `{id: {x, y}}` for nodes without a saved position.

    Returns:
        The new structure and the new node's id.
    """
    if kind not in TS_KINDS:
        raise ValueError(f"Unknown node kind '{kind}'.")
    out = move_nodes(structure, positions or {}, only_missing=True)
    node_id = new_id(out, kind)
    node: dict[str, Any] = {"id": node_id, "type": kind, "title": _DEFAULT_TITLE[kind]}
    if kind == "decision":
        node["options"] = []
    if (pos := _position(position)) is not None:
        node["position"] = pos
    out["nodes"].append(node)
    if not out.get("start_node_id") or find(out, out["start_node_id"]) is None:
        out["start_node_id"] = node_id
    return out, node_id


def move_nodes(structure: dict[str, Any], positions: Any, only_missing: bool = False) -> dict[str, Any]:
    """Save canvas positions `{id: {x, y}}` into the nodes (`only_missing`: keep saved ones)."""
    out = _copy(structure)
    if not isinstance(positions, dict):
        return out
    for node in items(out):
        pos = _position(positions.get(node.get("id")))
        if pos is not None and not (only_missing and _position(node.get("position")) is not None):
            node["position"] = pos
    return out


def connect(structure: dict[str, Any], source: str, handle: str, target: str) -> dict[str, Any]:
    """Point `source`'s handle at `target`: `opt-N` sets option N, `opt-new` adds an option, `next` sets an action's
    next."""
    out = _copy(structure)
    node = find(out, source)
    if node is None or find(out, target) is None or source == target:
        return out
    if node.get("type") == "decision":
        options = node.setdefault("options", [])
        index = _option_index(handle)
        if index is not None and index < len(options):
            options[index]["next"] = target
        else:
            options.append({"label": f"Option {len(options) + 1}", "next": target})
    elif node.get("type") == "action":
        node["next"] = target
    return out


def _option_index(handle: str) -> int | None:
    m = re.fullmatch(r"opt-(\d+)", handle or "")
    return int(m.group(1)) if m else None


def disconnect(structure: dict[str, Any], source: str, handle: str) -> dict[str, Any]:
    """Remove the edge leaving `source` by `handle` (the option stays, without a target)."""
    out = _copy(structure)
    node = find(out, source)
    if node is None:
        return out
    index = _option_index(handle)
    if node.get("type") == "decision" and index is not None and index < len(node.get("options") or []):
        node["options"][index].pop("next", None)
    elif node.get("type") == "action" and handle in ("next", ""):
        node.pop("next", None)
    return out


def delete_nodes(structure: dict[str, Any], node_ids: list[str]) -> dict[str, Any]:
    """Delete nodes/steps and every reference to them (options keep their label, lose the target)."""
    out = _copy(structure)
    gone = set(node_ids or [])
    key = _key(out)
    out[key] = [n for n in out[key] if not (isinstance(n, dict) and n.get("id") in gone)]
    for node in items(out):
        if node.get("next") in gone:
            node.pop("next", None)
        for option in node.get("options") or []:
            if isinstance(option, dict) and option.get("next") in gone:
                option.pop("next", None)
    if key == "nodes" and out.get("start_node_id") in gone:
        remaining = items(out)
        out["start_node_id"] = remaining[0]["id"] if remaining else ""
    return out


def set_field(structure: dict[str, Any], node_id: str, field: str, value: str) -> dict[str, Any]:
    """Set a text field (title, description, help_text, expected_outcome); empty optional fields are removed."""
    if field not in TEXT_FIELDS:
        raise ValueError(f"'{field}' is not an editable text field.")
    out = _copy(structure)
    node = find(out, node_id)
    if node is not None:
        if value or field == "title":
            node[field] = value
        else:
            node.pop(field, None)
    return out


def set_kind(structure: dict[str, Any], node_id: str, kind: str) -> dict[str, Any]:
    """Change a troubleshooting node's kind, dropping links the new kind cannot have."""
    if kind not in TS_KINDS:
        raise ValueError(f"Unknown node kind '{kind}'.")
    out = _copy(structure)
    node = find(out, node_id)
    if node is None:
        return out
    node["type"] = kind
    if kind != "decision":
        options = node.pop("options", None) or []
        first = next((o.get("next") for o in options if isinstance(o, dict) and o.get("next")), None)
        if kind == "action" and first and not node.get("next"):
            node["next"] = first
    else:
        node.setdefault("options", [{"label": "Yes", "next": node["next"]}] if node.get("next") else [])
    if kind != "action":
        node.pop("next", None)
    return out


def set_start(structure: dict[str, Any], node_id: str) -> dict[str, Any]:
    """Make `node_id` the start node."""
    out = _copy(structure)
    if find(out, node_id) is not None:
        out["start_node_id"] = node_id
    return out


def set_next(structure: dict[str, Any], node_id: str, target: str) -> dict[str, Any]:
    """Set (or clear, with "") an action's next node."""
    out = _copy(structure)
    node = find(out, node_id)
    if node is not None:
        if target and find(out, target) is not None and target != node_id:
            node["next"] = target
        else:
            node.pop("next", None)
    return out


def add_option(structure: dict[str, Any], node_id: str) -> dict[str, Any]:
    """Append an answer option to a decision."""
    out = _copy(structure)
    node = find(out, node_id)
    if node is not None:
        options = node.setdefault("options", [])
        options.append({"label": f"Option {len(options) + 1}"})
    return out


def set_option(
    structure: dict[str, Any], node_id: str, index: int, label: str | None = None, target: str | None = None
) -> dict[str, Any]:
    """Change an option's label and/or target ("" clears the target)."""
    out = _copy(structure)
    node = find(out, node_id)
    options = (node or {}).get("options") or []
    if 0 <= index < len(options):
        if label is not None:
            options[index]["label"] = label
        if target is not None:
            if target and find(out, target) is not None and target != node_id:
                options[index]["next"] = target
            else:
                options[index].pop("next", None)
    return out


def remove_option(structure: dict[str, Any], node_id: str, index: int) -> dict[str, Any]:
    """Delete an option of a decision."""
    out = _copy(structure)
    node = find(out, node_id)
    options = (node or {}).get("options") or []
    if 0 <= index < len(options):
        options.pop(index)
    return out


# --- commands (both kinds of flow) ------------------------------------------------------------


def command_list(node: dict[str, Any] | None) -> list[dict[str, str]]:
    """The node's commands as editable `{label, language, code}` rows (a plain string becomes one row)."""
    rows = normalize_commands((node or {}).get("commands"), keep_empty=True)
    return [
        {"label": str(c["label"] or ""), "language": str(c["command_type"] or ""), "code": str(c["command"] or "")}
        for c in rows
    ]


def _store_commands(node: dict[str, Any], rows: list[dict[str, str]]) -> None:
    cleaned = [{k: v for k, v in row.items() if v or k == "code"} for row in rows]
    if cleaned:
        node["commands"] = cleaned
    else:
        node.pop("commands", None)


def add_command(structure: dict[str, Any], node_id: str) -> dict[str, Any]:
    """Append an empty command row to a node (commands become the list form)."""
    out = _copy(structure)
    node = find(out, node_id)
    if node is not None:
        _store_commands(node, [*command_list(node), {"label": "", "language": "bash", "code": ""}])
    return out


def set_command(structure: dict[str, Any], node_id: str, index: int, field: str, value: str) -> dict[str, Any]:
    """Change label, language or code of command `index`."""
    if field not in COMMAND_FIELDS:
        raise ValueError(f"'{field}' is not a command field.")
    out = _copy(structure)
    node = find(out, node_id)
    rows = command_list(node)
    if node is not None and 0 <= index < len(rows):
        rows[index][field] = value
        _store_commands(node, rows)
    return out


def remove_command(structure: dict[str, Any], node_id: str, index: int) -> dict[str, Any]:
    """Delete command `index` of a node."""
    out = _copy(structure)
    node = find(out, node_id)
    rows = command_list(node)
    if node is not None and 0 <= index < len(rows):
        rows.pop(index)
        _store_commands(node, rows)
    return out


# --- procedures -------------------------------------------------------------------------------


def add_step(structure: dict[str, Any], kind: str, after_id: str = "") -> tuple[dict[str, Any], str]:
    """Insert a section header / step / end after `after_id` (or before a trailing end, or last)."""
    if kind not in PROC_KINDS:
        raise ValueError(f"Unknown step kind '{kind}'.")
    out = _copy(structure)
    steps = out["steps"]
    step_id = new_id(out, kind)
    step = {"id": step_id, "type": kind, "title": _DEFAULT_TITLE[kind]}
    index = next((i + 1 for i, s in enumerate(steps) if isinstance(s, dict) and s.get("id") == after_id), None)
    if index is None:
        ends_with_end = bool(steps) and isinstance(steps[-1], dict) and steps[-1].get("type") == "procedure_end"
        index = len(steps) - 1 if ends_with_end and kind != "procedure_end" else len(steps)
    steps.insert(index, step)
    return out, step_id


def move_step(structure: dict[str, Any], step_id: str, delta: int) -> dict[str, Any]:
    """Move a step up (-1) or down (+1); out-of-range moves change nothing."""
    out = _copy(structure)
    steps = out["steps"]
    index = next((i for i, s in enumerate(steps) if isinstance(s, dict) and s.get("id") == step_id), None)
    if index is not None and 0 <= index + delta < len(steps):
        steps[index], steps[index + delta] = steps[index + delta], steps[index]
    return out


def set_library_visibility(structure: dict[str, Any], step_id: str, value: str) -> dict[str, Any]:
    """ "team"/"public" writes `library_visibility`; "inherit" removes the key (flow-to-library-step-sync.md §3)."""
    if value not in VISIBILITY_CHOICES:
        raise ValueError(f"Unknown library visibility '{value}'.")
    out = _copy(structure)
    step = find(out, step_id)
    if step is not None and step.get("type") == "procedure_step":
        if value == "inherit":
            step.pop("library_visibility", None)
        else:
            step["library_visibility"] = value
    return out


def set_automation(structure: dict[str, Any], node_id: str, automation_id: str) -> dict[str, Any]:
    """Link an action node or procedure step to an automation ("" removes the link); other kinds are left alone."""
    out = _copy(structure)
    node = find(out, node_id)
    if node is not None and node.get("type") in ("action", "procedure_step"):
        if automation_id:
            node["automation_id"] = automation_id
        else:
            node.pop("automation_id", None)
    return out
