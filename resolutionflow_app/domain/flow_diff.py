"""What changed between two versions of a flow: steps added, removed, changed, or only moved on the canvas."""

from __future__ import annotations

from typing import Any

from resolutionflow_app.domain.session_rules import node_list

# Fields whose change is only a layout change, not a change of what the engineer sees.
_LAYOUT = ("position",)


def _content(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in _LAYOUT}


def diff_structures(tree_type: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per step of either version: `{id, title, status, fields}` in the new version's order, removed ones last.

    Args:
        tree_type: troubleshooting, procedural or maintenance.
        old: the earlier structure (None for a first version).
        new: the later structure.

    Returns:
        Rows with `status` "added", "removed", "changed", "moved" (position only) or "same", and
        `fields`: the names of the fields that differ (for "changed").
    """
    before = {str(n["id"]): n for n in node_list(tree_type, old or {})}
    after = node_list(tree_type, new or {})
    rows: list[dict[str, Any]] = []
    for node in after:
        nid = str(node["id"])
        prev = before.get(nid)
        title = str(node.get("title") or nid)
        if prev is None:
            rows.append({"id": nid, "title": title, "status": "added", "fields": []})
            continue
        fields = sorted(k for k in set(_content(prev)) | set(_content(node)) if prev.get(k) != node.get(k))
        status = "changed" if fields else ("moved" if prev.get("position") != node.get("position") else "same")
        rows.append({"id": nid, "title": title, "status": status, "fields": fields})
    ids = {r["id"] for r in rows}
    rows += [
        {"id": nid, "title": str(n.get("title") or nid), "status": "removed", "fields": []}
        for nid, n in before.items()
        if nid not in ids
    ]
    if (
        (old or {}).get("start_node_id") != (new or {}).get("start_node_id")
        and tree_type == "troubleshooting"
        and old is not None
    ):
        rows.append({"id": "", "title": "Start step", "status": "changed", "fields": ["start_node_id"]})
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Counts per kind of change: `{added, removed, changed, moved}`."""
    return {k: sum(1 for r in rows if r["status"] == k) for k in ("added", "removed", "changed", "moved")}


def describe(summary: dict[str, int] | None) -> str:
    """A short sentence for the history list ("2 added, 1 changed"; "Layout only"; "No changes")."""
    if not summary:
        return ""
    parts = [f"{summary[k]} {k}" for k in ("added", "removed", "changed") if summary.get(k)]
    if parts:
        return ", ".join(parts)
    return "Layout only" if summary.get("moved") else "No changes"
