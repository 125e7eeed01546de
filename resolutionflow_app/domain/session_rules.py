"""Pure rules of a live session: walking a tree, ticking procedures, custom steps, save-as-flow."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from resolutionflow_app.domain.errors import Conflict, InvalidInput

CUSTOM_STEP_TYPES = ("decision", "action", "solution")
CUSTOM_STEP_SOURCES = ("ad-hoc", "step-library", "forked-tree")
PROCEDURAL_TYPES = ("procedural", "maintenance")
TICKABLE = "procedure_step"


class CustomStepSchema(BaseModel):
    """One step inserted mid-session (seed Part 2); new fields default so old sessions load."""

    model_config = ConfigDict(extra="allow")

    type: str = "action"
    content: str = ""
    notes: str | None = None
    source: str = "ad-hoc"
    source_step_id: str | None = None
    inserted_at: str | None = None
    inserted_after_node_id: str | None = None

    @field_validator("content", mode="before")
    @classmethod
    def _content_text(cls, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):  # an old library copy stored the whole content object
            return str(value.get("instructions") or value.get("title") or "")
        return str(value)

    @field_validator("source_step_id", "inserted_at", "inserted_after_node_id", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)

    @field_validator("source", mode="before")
    @classmethod
    def _source(cls, value: Any) -> str:
        return str(value) if value else "ad-hoc"

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> str:
        return str(value) if value else "action"


def load_custom_steps(raw: Any) -> list[dict[str, Any]]:
    """Normalise stored custom steps (any age) to the enhanced structure.

    Args:
        raw: the JSON list from `sessions.custom_steps` (may be None, hold strings or old dicts).

    Returns:
        A list of dicts with every seed field present (defaults for old sessions).
    """
    steps: list[dict[str, Any]] = []
    for item in raw or []:
        if isinstance(item, str):
            item = {"content": item}
        if not isinstance(item, dict):
            continue
        steps.append(CustomStepSchema.model_validate(item).model_dump())
    return steps


def normalise_text(text: str) -> str:
    """Lower-case, single-spaced, trailing punctuation stripped (to group equal ad-hoc steps)."""
    value = re.sub(r"\s+", " ", (text or "").strip().lower())
    return value.rstrip(" .!;:,")


# --- tree walking -------------------------------------------------------------------------


def is_procedural(tree_type: str) -> bool:
    """True for checklist flows (procedural / maintenance)."""
    return tree_type in PROCEDURAL_TYPES


def node_list(tree_type: str, structure: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The nodes (troubleshooting) or steps (procedures) of a structure, dicts only."""
    structure = structure or {}
    items = structure.get("steps") if is_procedural(tree_type) else structure.get("nodes")
    return [n for n in (items or []) if isinstance(n, dict) and n.get("id")]


def nodes_by_id(tree_type: str, structure: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Map node id -> node."""
    return {str(n["id"]): n for n in node_list(tree_type, structure)}


def start_node_id(tree_type: str, structure: dict[str, Any] | None) -> str | None:
    """Where a new session starts: the start node, or the first unticked procedure step."""
    if is_procedural(tree_type):
        return first_unticked(structure, set())
    nodes = node_list(tree_type, structure)
    start = (structure or {}).get("start_node_id")
    if start and any(str(n["id"]) == str(start) for n in nodes):
        return str(start)
    return str(nodes[0]["id"]) if nodes else None


def tickable_steps(structure: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Procedure steps that can be ticked, in order."""
    return [n for n in node_list("procedural", structure) if n.get("type") == TICKABLE]


def ticked_ids(history: list[dict[str, Any]]) -> set[str]:
    """Step ids ticked according to the history."""
    return {str(h["node_id"]) for h in history if not h.get("pending")}


def first_unticked(structure: dict[str, Any] | None, ticked: set[str]) -> str | None:
    """The first procedure step not ticked yet, None when all are ticked."""
    for node in tickable_steps(structure):
        if str(node["id"]) not in ticked:
            return str(node["id"])
    return None


def _option_next(node: dict[str, Any], answer: str | None) -> tuple[str, str | None]:
    options = [o for o in (node.get("options") or []) if isinstance(o, dict)]
    if not answer or not str(answer).strip():
        raise InvalidInput("Choose one of the answers: " + ", ".join(str(o.get("label")) for o in options) + ".")
    wanted = str(answer).strip().casefold()
    for option in options:
        if str(option.get("label", "")).strip().casefold() == wanted:
            return str(option.get("label")), (str(option["next"]) if option.get("next") else None)
    raise InvalidInput(f"'{answer}' is not an answer of this step.")


def next_troubleshooting_node(
    structure: dict[str, Any], current_node_id: str | None, node_id: str, answer: str | None
) -> tuple[str | None, str | None]:
    """Where answering `node_id` leads.

    Args:
        structure: the session's tree snapshot.
        current_node_id: the node the session stands on.
        node_id: the node being answered (must be the current one).
        answer: an option label for decisions; ignored for actions.

    Returns:
        (the answer as recorded, the next node id or None).

    Raises:
        Conflict: `node_id` is not the current node, or it is a solution (complete the session instead).
        InvalidInput: unknown answer.
    """
    nodes = nodes_by_id("troubleshooting", structure)
    if current_node_id is None or str(node_id) != str(current_node_id):
        raise Conflict("That is not the current step of this session.")
    node = nodes.get(str(node_id))
    if node is None:
        raise InvalidInput("Unknown step.")
    kind = node.get("type")
    if kind == "decision":
        label, nxt = _option_next(node, answer)
    elif kind == "solution":
        raise Conflict("This is a solution: complete the session with an outcome.")
    else:
        label, nxt = (
            (str(answer).strip() if answer and str(answer).strip() else "done"),
            (str(node["next"]) if node.get("next") else None),
        )
    if nxt is not None and nxt not in nodes:
        raise InvalidInput("This answer leads to a step that does not exist in the flow.")
    return label, nxt


def history_entry(
    node: dict[str, Any] | None, node_id: str, answer: str | None, notes: str | None, at: datetime
) -> dict[str, Any]:
    """One history record: {node_id, title, answer, notes, at}."""
    return {
        "node_id": str(node_id),
        "title": (node or {}).get("title", ""),
        "answer": answer,
        "notes": notes or None,
        "at": at.isoformat(),
    }


def back_target(history: list[dict[str, Any]], to_node_id: str | None) -> tuple[list[dict[str, Any]], str]:
    """Step back one answer, or to an earlier node of the path.

    Returns:
        (the shortened history, the node to stand on).

    Raises:
        Conflict: nothing to go back to, or `to_node_id` is not on the path.
    """
    real = [h for h in history if not h.get("pending")]
    if not real:
        raise Conflict("There is no earlier step to go back to.")
    if to_node_id is None:
        return real[:-1], str(real[-1]["node_id"])
    for index in range(len(real) - 1, -1, -1):
        if str(real[index]["node_id"]) == str(to_node_id):
            return real[:index], str(to_node_id)
    raise Conflict("That step is not on the path taken.")


# --- save as flow -------------------------------------------------------------------------


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate)
    return candidate


def _custom_title(step: dict[str, Any]) -> str:
    title = str(step.get("title") or "").strip()
    if not title:
        first = (step.get("content") or "").strip().splitlines()
        title = first[0] if first else "Custom step"
    return title[:200]


def _custom_description(step: dict[str, Any]) -> str:
    parts = [str(step.get("content") or "").strip()]
    if step.get("notes"):
        parts.append(f"Notes: {step['notes']}")
    return "\n\n".join(p for p in parts if p)


def build_flow_from_session(
    tree_type: str,
    snapshot: dict[str, Any],
    history: list[dict[str, Any]],
    current_node_id: str | None,
    custom_steps: list[dict[str, Any]],
) -> dict[str, Any]:
    """Reconstruct a flow from a completed session (seed "Save session as tree").

    Troubleshooting: the path taken (decisions keep only the chosen answer) ending at the node the
    session stopped on; each custom step becomes a node placed right after its
    `inserted_after_node_id` (in insertion order). Steps anchored on the final solution, or on a
    node not on the path, go just before the end. Procedures: every step of the snapshot, with
    custom steps inserted after their anchor.

    Returns:
        A `tree_structure` for the same tree type.
    """
    customs = load_custom_steps(custom_steps)
    for raw, norm in zip(custom_steps or [], customs, strict=False):
        if isinstance(raw, dict) and raw.get("title"):
            norm["title"] = raw["title"]
    if is_procedural(tree_type):
        return _procedure_from_session(snapshot, customs)
    nodes = nodes_by_id("troubleshooting", snapshot)
    real = [h for h in history if not h.get("pending")]
    path: list[tuple[str, str | None]] = [(str(h["node_id"]), h.get("answer")) for h in real]
    if current_node_id:
        path.append((str(current_node_id), None))
    taken: set[str] = set()
    out: list[dict[str, Any]] = []
    # Copy the path, giving repeated visits their own ids.
    for original_id, answer in path:
        src = dict(nodes.get(original_id) or {"id": original_id, "type": "action", "title": original_id})
        new_id = _unique(original_id, taken)
        node = {k: v for k, v in src.items() if k not in ("options", "next", "position")}
        node["id"] = new_id
        node["_orig"] = original_id
        node["_answer"] = answer
        out.append(node)
    if not out or out[-1].get("type") != "solution":
        out.append(
            {
                "id": _unique("s_end", taken),
                "type": "solution",
                "title": "End of session",
                "_orig": None,
                "_answer": None,
            }
        )
    # Insert custom nodes after their anchors.
    anchored: dict[str, list[dict[str, Any]]] = {}
    orphan: list[dict[str, Any]] = []
    on_path = {n["_orig"] for n in out[:-1] if n.get("_orig")}
    for step in customs:
        anchor = step.get("inserted_after_node_id")
        (anchored.setdefault(anchor, []) if isinstance(anchor, str) and anchor in on_path else orphan).append(step)
    final: list[dict[str, Any]] = []
    used_anchor: set[str] = set()
    for node in out[:-1]:
        final.append(node)
        anchor = node.get("_orig")
        if anchor in anchored and anchor not in used_anchor:
            used_anchor.add(anchor)
            final.extend(_custom_node(s, taken) for s in anchored[anchor])
    final.extend(_custom_node(s, taken) for s in orphan)
    final.append(out[-1])
    # Link the chain.
    result: list[dict[str, Any]] = []
    for index, node in enumerate(final):
        nxt = final[index + 1]["id"] if index + 1 < len(final) else None
        clean = {k: v for k, v in node.items() if not k.startswith("_")}
        if clean.get("type") == "decision":
            clean["options"] = [{"label": node.get("_answer") or "Continue", "next": nxt}]
        elif clean.get("type") != "solution":
            clean["next"] = nxt
        clean["position"] = {"x": 0, "y": index * 140}
        result.append(clean)
    return {"start_node_id": result[0]["id"], "nodes": result}


def _custom_node(step: dict[str, Any], taken: set[str], *, procedural: bool = False) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": _unique("custom", taken),
        "type": "procedure_step" if procedural else "action",
        "title": _custom_title(step),
        "description": _custom_description(step),
    }
    if step.get("commands"):
        node["commands"] = step["commands"]
    return node


def _procedure_from_session(snapshot: dict[str, Any], customs: list[dict[str, Any]]) -> dict[str, Any]:
    steps = [dict(s) for s in node_list("procedural", snapshot)]
    taken = {str(s["id"]) for s in steps}
    ids = [str(s["id"]) for s in steps]
    anchored: dict[str, list[dict[str, Any]]] = {}
    orphan: list[dict[str, Any]] = []
    for step in customs:
        anchor = step.get("inserted_after_node_id")
        (anchored.setdefault(anchor, []) if anchor in ids else orphan).append(step)
    result: list[dict[str, Any]] = []
    for step in steps:
        if step.get("type") == "procedure_end":
            result.extend(_custom_node(s, taken, procedural=True) for s in orphan)
            orphan = []
        result.append(step)
        result.extend(_custom_node(s, taken, procedural=True) for s in anchored.get(str(step["id"]), []))
    result.extend(_custom_node(s, taken, procedural=True) for s in orphan)
    return {"steps": result}
