"""Typed shapes of `tree_structure` for each tree type, default skeletons and command normalisation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, ValidationError

TREE_TYPES = ("troubleshooting", "procedural", "maintenance")
PROCEDURE_TYPES = ("procedural", "maintenance")
TROUBLESHOOTING_NODE_TYPES = ("decision", "action", "solution")
PROCEDURE_NODE_TYPES = ("section_header", "procedure_step", "procedure_end")
MAX_NODES = 5000
MAX_DEPTH = 32
NODE_ID_MAX = 255  # step_library.source_node_id and the sessions API node_id are at most 255 characters


class StructureError(ValueError):
    """The structure is not the JSON shape its tree type requires (junk, not a fixable draft)."""


class _Loose(BaseModel):
    # Unknown keys are dropped (never stored): a structure keeps only what the product reads.
    model_config = ConfigDict(extra="ignore")


class CommandItem(_Loose):
    """One command as authors write it: `{language, code, label}`."""

    language: str | None = None
    code: str | None = None
    label: str | None = None
    command: str | None = None  # the library's spelling of `code`
    command_type: str | None = None  # the library's spelling of `language`


Commands = str | list[str | CommandItem] | None


class Position(_Loose):
    """Saved canvas position of a node."""

    x: float = 0
    y: float = 0


class Option(_Loose):
    """An answer of a decision node, leading to `next`."""

    label: str | None = None
    next: str | None = None


class _Node(_Loose):
    """What every node has: an id, a type, a title and maybe a linked automation."""

    id: str | None = Field(default=None, max_length=NODE_ID_MAX)
    type: str | None = None
    title: str | None = None
    automation_id: str | None = None

    def unset(self, field: str) -> None:
        """Drop `field` from the node: it is left out of `to_json()` as if it had never been sent."""
        setattr(self, field, None)
        self.model_fields_set.discard(field)


class TroubleshootingNode(_Node):
    """A node of a troubleshooting tree: decision, action or solution."""

    id: str | None = Field(default=None, max_length=NODE_ID_MAX)
    type: str | None = None
    title: str | None = None
    description: str | None = None
    help_text: str | None = None
    commands: Commands = None
    options: list[Option] | None = None
    next: str | None = None
    position: Position | None = None
    automation_id: str | None = None


class TroubleshootingStructure(_Loose):
    """`{start_node_id, nodes: [...]}`."""

    start_node_id: str | None = None
    nodes: list[TroubleshootingNode] = Field(default_factory=list, max_length=MAX_NODES)

    def all_nodes(self) -> list[_Node]:
        """The nodes, in order."""
        return list(self.nodes)

    def to_json(self) -> dict[str, Any]:
        """The JSON stored as `tree_structure`: only the keys that were sent (and are known)."""
        return self.model_dump(exclude_unset=True)


class ProcedureNode(_Node):
    """A node of a procedure: section_header, procedure_step or procedure_end."""

    id: str | None = Field(default=None, max_length=NODE_ID_MAX)
    type: str | None = None
    title: str | None = None
    description: str | None = None
    expected_outcome: str | None = None
    help_text: str | None = None
    commands: Commands = None
    library_visibility: Literal["team", "public"] | None = None
    automation_id: str | None = None


class ProcedureStructure(_Loose):
    """`{steps: [...]}`."""

    steps: list[ProcedureNode] = Field(default_factory=list, max_length=MAX_NODES)

    def all_nodes(self) -> list[_Node]:
        """The steps, in order."""
        return list(self.steps)

    def to_json(self) -> dict[str, Any]:
        """The JSON stored as `tree_structure`: only the keys that were sent (and are known)."""
        return self.model_dump(exclude_unset=True)


FlowStructure = TroubleshootingStructure | ProcedureStructure
"""A parsed `tree_structure`: the troubleshooting or the procedure shape."""


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.get("loc", ()))
        parts.append(f"tree_structure{loc}: {err.get('msg', 'invalid')}")
    return "The flow structure is malformed: " + "; ".join(parts) + "."


def _too_deep(value: Any, limit: int) -> bool:
    """True when JSON `value` nests objects/lists more than `limit` levels (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse_structure(tree_type: str, structure: Any) -> FlowStructure:
    """Parse `structure` into the typed shape of `tree_type` (drafts may still have problems).

    Args:
        tree_type: troubleshooting, procedural or maintenance.
        structure: the submitted `tree_structure`.

    Returns:
        The typed structure; its `to_json()` keeps the keys the product knows (unknown keys of the
        structure, its nodes, options, commands and positions are dropped, not stored).

    Raises:
        StructureError: unknown type, not an object, or fields of the wrong JSON type.
    """
    if tree_type not in TREE_TYPES:
        raise StructureError(f"Unknown flow type '{tree_type}'; use one of: {', '.join(TREE_TYPES)}.")
    if not isinstance(structure, dict):
        raise StructureError("The flow structure must be a JSON object.")
    if _too_deep(structure, MAX_DEPTH):
        raise StructureError(f"The flow structure is nested more than {MAX_DEPTH} levels deep.")
    model: type[TroubleshootingStructure] | type[ProcedureStructure] = (
        TroubleshootingStructure if tree_type == "troubleshooting" else ProcedureStructure
    )
    key = "nodes" if tree_type == "troubleshooting" else "steps"
    if key not in structure:
        raise StructureError(f"A {tree_type} flow structure needs a '{key}' list.")
    try:
        return model.model_validate(structure)
    except ValidationError as exc:
        raise StructureError(_describe(exc)) from None


def check_structure(tree_type: str, structure: Any) -> dict[str, Any]:
    """`parse_structure(tree_type, structure).to_json()`: the structure as it is stored.

    Args:
        tree_type: troubleshooting, procedural or maintenance.
        structure: the submitted `tree_structure`.

    Returns:
        The stored JSON form (unknown keys dropped).

    Raises:
        StructureError: unknown type, not an object, or fields of the wrong JSON type.
    """
    return parse_structure(tree_type, structure).to_json()


def default_structure(tree_type: str) -> dict[str, Any]:
    """A sensible starting skeleton for a new flow of `tree_type`."""
    if tree_type == "troubleshooting":
        return {
            "start_node_id": "start",
            "nodes": [
                {
                    "id": "start",
                    "type": "decision",
                    "title": "What is the problem?",
                    "options": [{"label": "Fixed", "next": "solved"}],
                },
                {"id": "solved", "type": "solution", "title": "Problem solved"},
            ],
        }
    return {
        "steps": [
            {"id": "step_1", "type": "procedure_step", "title": "First step"},
            {"id": "end", "type": "procedure_end", "title": "Done"},
        ]
    }


class NormalizedCommand(TypedDict):
    """A command in the one shape the library, the session runner and the editor read."""

    label: Any  # a string as authors write it (kept as sent when it is not one)
    command: str | None
    command_type: str | None


def normalize_commands(commands: Any, *, keep_empty: bool = False) -> list[NormalizedCommand]:
    """Normalise `commands`: a string, one `{language, code, label}` object, or a list of those / strings.

    The one place that reads every stored spelling of a node's or a library step's commands
    (`code`/`language` as flows write them, `command`/`command_type` as the library does).

    Args:
        commands: the node's or step's `commands` value, any of the accepted shapes or None.
        keep_empty: keep list entries without code (the editor edits empty rows; the library's
            validation rejects a missing command) instead of dropping them.

    Returns:
        A list of `{label, command, command_type}` (`label` "" when missing); entries that are
        neither strings nor objects are dropped.
    """
    if commands is None:
        return []
    if isinstance(commands, str):
        return [{"label": "", "command": commands, "command_type": None}] if commands.strip() else []
    items = [commands] if isinstance(commands, dict) else commands if isinstance(commands, list) else []
    out: list[NormalizedCommand] = []
    for item in items:
        if isinstance(item, str):
            if keep_empty or item.strip():
                out.append({"label": "", "command": item, "command_type": None})
        elif isinstance(item, dict):
            code = item.get("code", item.get("command"))
            if keep_empty or (isinstance(code, str) and code.strip()):
                out.append(
                    {
                        "label": item.get("label") or "",
                        "command": code,
                        "command_type": item.get("language", item.get("command_type")),
                    }
                )
    return out
