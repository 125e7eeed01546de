"""Typed rows the flow editor's states send to the browser (instead of dict[str, str] with "1"/"" flags)."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass
class FlowMeta:
    """The open flow's metadata as the header shows it."""

    id: str = ""
    name: str = ""
    description: str = ""
    tree_type: str = ""
    status: str = ""
    author_name: str = ""
    parent_tree_id: str = ""
    parent_name: str = ""
    fork_reason: str = ""
    account_id: str = ""
    updated_at: str = ""


@dataclasses.dataclass
class Problem:
    """One validation problem of the current structure; `title` names its node ("Flow" for flow-level ones)."""

    node_id: str = ""
    message: str = ""
    title: str = ""


@dataclasses.dataclass
class NodeForm:
    """The selected node's fields for the side panel."""

    id: str = ""
    type: str = ""
    title: str = ""
    description: str = ""
    help_text: str = ""
    expected_outcome: str = ""
    next: str = ""
    kind_label: str = ""
    library_visibility: str = "inherit"
    automation_id: str = ""
    is_start: bool = False


@dataclasses.dataclass
class OptionRow:
    """An answer of the selected decision; `next` is "__none__" when it leads nowhere yet."""

    index: int = 0
    label: str = ""
    next: str = ""


@dataclasses.dataclass
class CommandRow:
    """A command of the selected node."""

    index: int = 0
    label: str = ""
    language: str = ""
    code: str = ""


@dataclasses.dataclass
class StepRow:
    """A row of the procedure list."""

    id: str = ""
    type: str = ""
    title: str = ""
    number: str = ""
    visibility: str = ""
    bad: bool = False
    first: bool = False
    last: bool = False
    commands: int = 0


@dataclasses.dataclass
class VersionRow:
    """A row of the version history."""

    version: int = 0
    created_at: str = ""
    by: str = ""
    label: str = ""
    kind: str = ""
    summary: str = ""


@dataclasses.dataclass
class VersionView:
    """A saved version opened read-only."""

    version: int = 0
    name: str = ""
    created_at: str = ""
    structure: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class KindTitle:
    """A procedure row of a version being viewed."""

    type: str = ""
    title: str = ""


@dataclasses.dataclass
class ForkRow:
    """A fork of the open flow."""

    id: str = ""
    name: str = ""
    author_name: str = ""
    status: str = ""
    reason: str = ""
    created_at: str = ""


@dataclasses.dataclass
class DiffRow:
    """One step's difference between a version and now."""

    title: str = ""
    status: str = ""
    fields: str = ""
