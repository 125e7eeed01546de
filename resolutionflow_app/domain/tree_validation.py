"""Problems an author can act on in a flow's structure (graph checks with networkx)."""

from __future__ import annotations

from typing import Any

import networkx as nx
from pydantic import BaseModel

from resolutionflow_app.domain.tree_schema import (
    PROCEDURE_NODE_TYPES,
    TROUBLESHOOTING_NODE_TYPES,
)


class Problem(BaseModel):
    """One problem; `node_id` names the node it concerns (None for the flow as a whole)."""

    node_id: str | None = None
    message: str


def _label(node: dict[str, Any], index: int) -> str:
    title = node.get("title")
    if isinstance(title, str) and title.strip():
        return f"'{title.strip()[:60]}'"
    node_id = node.get("id")
    return f"'{node_id}'" if isinstance(node_id, str) and node_id else f"#{index + 1}"


def _ids(items: list[Any], problems: list[Problem], kind: str) -> dict[str, dict[str, Any]]:
    """Index nodes by id, reporting missing and duplicate ids."""
    by_id: dict[str, dict[str, Any]] = {}
    for index, node in enumerate(items):
        if not isinstance(node, dict):
            problems.append(Problem(node_id=None, message=f"{kind} #{index + 1} is not an object."))
            continue
        node_id = node.get("id")
        if not isinstance(node_id, str) or not node_id.strip():
            problems.append(Problem(node_id=None, message=f"{kind} #{index + 1} ({_label(node, index)}) has no id."))
            continue
        if node_id in by_id:
            problems.append(
                Problem(node_id=node_id, message=f"The id '{node_id}' is used by more than one {kind.lower()}.")
            )
            continue
        by_id[node_id] = node
    return by_id


def _title_ok(node: dict[str, Any]) -> bool:
    title = node.get("title")
    return isinstance(title, str) and bool(title.strip())


def _validate_troubleshooting(structure: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    nodes = structure.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        return [Problem(node_id=None, message="The flow has no nodes; add a first question.")]
    by_id = _ids(nodes, problems, "Node")
    graph = nx.DiGraph()
    graph.add_nodes_from(by_id)
    for node_id, node in by_id.items():
        kind = node.get("type")
        if kind not in TROUBLESHOOTING_NODE_TYPES:
            problems.append(
                Problem(
                    node_id=node_id,
                    message=f"Node {_label(node, 0)} has unknown type '{kind}'; use decision, action or solution.",
                )
            )
            continue
        if not _title_ok(node):
            problems.append(Problem(node_id=node_id, message=f"Node '{node_id}' needs a title."))
        if kind == "decision":
            options = node.get("options") or []
            if not options:
                problems.append(Problem(node_id=node_id, message=f"Decision {_label(node, 0)} has no answer options."))
            for pos, option in enumerate(options):
                if not isinstance(option, dict):
                    continue
                label = option.get("label")
                if not isinstance(label, str) or not label.strip():
                    problems.append(
                        Problem(
                            node_id=node_id, message=f"Answer {pos + 1} of decision {_label(node, 0)} needs a label."
                        )
                    )
                target = option.get("next")
                if not target:
                    problems.append(
                        Problem(
                            node_id=node_id,
                            message=(
                                f"Answer {pos + 1} of decision {_label(node, 0)} does not lead to a node; every path "
                                "must end in a solution."
                            ),
                        )
                    )
                elif target not in by_id:
                    problems.append(
                        Problem(
                            node_id=node_id,
                            message=f"Answer {pos + 1} of decision {_label(node, 0)} leads to unknown node '{target}'.",
                        )
                    )
                else:
                    graph.add_edge(node_id, target)
        elif kind == "action":
            target = node.get("next")
            if not target:
                problems.append(
                    Problem(
                        node_id=node_id,
                        message=f"Action {_label(node, 0)} does not lead anywhere; every path must end in a solution.",
                    )
                )
            elif target not in by_id:
                problems.append(
                    Problem(node_id=node_id, message=f"Action {_label(node, 0)} leads to unknown node '{target}'.")
                )
            else:
                graph.add_edge(node_id, target)
    start = structure.get("start_node_id")
    if not start:
        problems.append(Problem(node_id=None, message="The flow has no start node (start_node_id)."))
    elif start not in by_id:
        problems.append(Problem(node_id=None, message=f"The start node '{start}' does not exist."))
    else:
        reachable = nx.descendants(graph, start) | {start}
        for node_id in by_id:
            if node_id not in reachable:
                problems.append(
                    Problem(
                        node_id=node_id,
                        message=f"Node {_label(by_id[node_id], 0)} cannot be reached from the start node.",
                    )
                )
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1 or any(graph.has_edge(n, n) for n in component):
            for node_id in sorted(component):
                problems.append(
                    Problem(
                        node_id=node_id,
                        message=(
                            f"Node {_label(by_id[node_id], 0)} is part of a loop; a troubleshooting tree may not cycle "
                            "back."
                        ),
                    )
                )
    return problems


def _validate_procedure(structure: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    steps = structure.get("steps")
    if not isinstance(steps, list) or not steps:
        return [Problem(node_id=None, message="The procedure has no steps; add at least one step.")]
    by_id = _ids(steps, problems, "Step")
    ends = []
    for index, node in enumerate(steps):
        if not isinstance(node, dict):
            continue
        node_id = node.get("id") if isinstance(node.get("id"), str) else None
        kind = node.get("type")
        if kind not in PROCEDURE_NODE_TYPES:
            problems.append(
                Problem(
                    node_id=node_id,
                    message=(
                        f"Step {_label(node, index)} has unknown type '{kind}'; use section_header, procedure_step or "
                        "procedure_end."
                    ),
                )
            )
            continue
        if kind != "procedure_end" and not _title_ok(node):
            problems.append(Problem(node_id=node_id, message=f"Step #{index + 1} needs a title."))
        if kind == "procedure_end":
            ends.append((index, node_id))
        lv = node.get("library_visibility")
        if lv is not None and lv not in ("team", "public"):
            problems.append(
                Problem(
                    node_id=node_id,
                    message=f"Step {_label(node, index)} has library visibility '{lv}'; use team or public.",
                )
            )
    if not any(isinstance(n, dict) and n.get("type") == "procedure_step" for n in steps):
        problems.append(Problem(node_id=None, message="The procedure has no steps to carry out."))
    if not ends:
        problems.append(Problem(node_id=None, message="The procedure needs an end step (procedure_end)."))
    for _, node_id in ends[1:]:
        problems.append(Problem(node_id=node_id, message="The procedure has more than one end step; keep exactly one."))
    if ends and ends[0][0] != len(steps) - 1 and len(ends) == 1:
        problems.append(Problem(node_id=ends[0][1], message="The end step must be the last step of the procedure."))
    del by_id
    return problems


def validate_structure(tree_type: str, structure: Any) -> list[Problem]:
    """Every problem that blocks publishing a flow (drafts may be saved with them).

    Args:
        tree_type: troubleshooting, procedural or maintenance.
        structure: the flow's `tree_structure`.

    Returns:
        The problems, each naming its node where there is one; empty when the flow can be published.
    """
    if not isinstance(structure, dict):
        return [Problem(node_id=None, message="The flow structure must be a JSON object.")]
    if tree_type == "troubleshooting":
        return _validate_troubleshooting(structure)
    return _validate_procedure(structure)
