"""Which nodes of a published flow become step-library entries, and with what content (sync seed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from resolutionflow_app.domain.tree_schema import normalize_commands

TITLE_MAX = 255


class ExtractedStep(BaseModel):
    """One library entry to upsert, keyed by `source_node_id` within its flow."""

    source_node_id: str
    title: str
    step_type: str
    content: dict[str, Any]
    visibility: str


def resolve_visibility(*, is_public: bool, account_id: str | None = None) -> str:
    """The flow's library visibility: public flows give 'public', every other flow 'team'."""
    del account_id  # With or without an account a private flow maps to 'team' (seed table).
    return "public" if is_public else "team"


def _title(node: dict[str, Any]) -> str:
    return str(node.get("title") or "").strip()[:TITLE_MAX]


def _automation_link(node: dict[str, Any]) -> dict[str, Any]:
    """`{"automation_id": …}` when the node runs an automation (the library carries the link), else nothing."""
    return {"automation_id": str(node["automation_id"])} if node.get("automation_id") else {}


def _procedure_steps(structure: dict[str, Any], flow_visibility: str) -> Iterator[ExtractedStep]:
    group_label: str | None = None
    for node in structure.get("steps") or []:
        if not isinstance(node, dict):
            continue
        if node.get("type") == "section_header":
            group_label = node.get("title") or None
            continue
        if node.get("type") != "procedure_step" or not isinstance(node.get("id"), str) or not node["id"]:
            continue
        override = node.get("library_visibility")
        yield ExtractedStep(
            source_node_id=node["id"],
            title=_title(node),
            step_type="action",
            content={
                "instructions": node.get("description") or node.get("title") or "",
                "help_text": node.get("expected_outcome"),
                "commands": normalize_commands(node.get("commands")),
                "group_label": group_label,
                **_automation_link(node),
            },
            visibility=override if override in ("team", "public") else flow_visibility,
        )


def _troubleshooting_steps(structure: dict[str, Any], flow_visibility: str) -> Iterator[ExtractedStep]:
    for node in structure.get("nodes") or []:
        if not isinstance(node, dict) or node.get("type") not in ("action", "solution"):
            continue
        if not isinstance(node.get("id"), str) or not node["id"]:
            continue
        yield ExtractedStep(
            source_node_id=node["id"],
            title=_title(node),
            step_type="action" if node["type"] == "action" else "solution",
            content={
                "instructions": node.get("description") or node.get("title") or "",
                "help_text": None,
                "commands": [],
                "group_label": None,
                **_automation_link(node),
            },
            visibility=flow_visibility,
        )


def extract_steps(
    *, tree_type: str, structure: dict[str, Any], is_public: bool, account_id: str | None = None
) -> list[ExtractedStep]:
    """The library entries a published flow yields, in flow order (first occurrence of an id wins).

    Args:
        tree_type: troubleshooting, procedural or maintenance.
        structure: the flow's `tree_structure`.
        is_public: the flow's `is_public` flag.
        account_id: the flow's account (does not change the result; kept for the seed's table).

    Returns:
        procedure_step nodes (procedures) or action/solution nodes (troubleshooting) as ExtractedStep.
    """
    flow_visibility = resolve_visibility(is_public=is_public, account_id=account_id)
    if not isinstance(structure, dict):
        return []
    gen = _troubleshooting_steps if tree_type == "troubleshooting" else _procedure_steps
    seen: set[str] = set()
    out = []
    for step in gen(structure, flow_visibility):
        if step.source_node_id not in seen:
            seen.add(step.source_node_id)
            out.append(step)
    return out


def _entry_inputs(tree_type: str, structure: Any) -> dict[str, Any]:
    """Per node id, everything its library entry is built from (the node, plus its section for procedures)."""
    if not isinstance(structure, dict):
        return {}
    out: dict[str, Any] = {}
    if tree_type == "troubleshooting":
        for node in structure.get("nodes") or []:
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                out.setdefault(node["id"], node)
        return out
    group_label = None
    for node in structure.get("steps") or []:
        if not isinstance(node, dict):
            continue
        if node.get("type") == "section_header":
            group_label = node.get("title") or None
        elif isinstance(node.get("id"), str):
            out.setdefault(node["id"], (group_label, node))
    return out


def changed_node_ids(*, tree_type: str, old: Any, new: Any) -> tuple[set[str], set[str]]:
    """Which nodes' library entries a structure edit can affect, without extracting the whole flow.

    Args:
        tree_type: the flow's type.
        old: the structure the library currently mirrors.
        new: the structure being saved.

    Returns:
        (ids added or changed in `new` — including steps whose section title changed —, ids removed).
    """
    before, after = _entry_inputs(tree_type, old), _entry_inputs(tree_type, new)
    changed = {node_id for node_id, inputs in after.items() if before.get(node_id) != inputs}
    return changed, set(before) - set(after)


def subset_structure(*, tree_type: str, structure: dict[str, Any], node_ids: set[str]) -> dict[str, Any]:
    """The part of `structure` that extraction needs for `node_ids` (section headers are kept for group labels)."""
    if tree_type == "troubleshooting":
        return {"nodes": [n for n in structure.get("nodes") or [] if isinstance(n, dict) and n.get("id") in node_ids]}
    return {
        "steps": [
            n
            for n in structure.get("steps") or []
            if isinstance(n, dict) and (n.get("type") == "section_header" or n.get("id") in node_ids)
        ]
    }
