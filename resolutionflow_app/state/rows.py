"""Typed rows the session, library, flow, automation, share and sync pages send to the browser (real bools)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class CommandLine:
    """A command with its label; `owner` is the procedure step it belongs to ("" for the current node)."""

    label: str = ""
    command: str = ""
    owner: str = ""


@dataclasses.dataclass
class Choice:
    """An `{id, name}` item of a select (categories, group labels, flows)."""

    id: str = ""
    name: str = ""


@dataclasses.dataclass
class Option:
    """An `{id, label}` item of a picker whose text is composed (link targets, automations, models, assistants)."""

    id: str = ""
    label: str = ""


@dataclasses.dataclass
class TextSegment:
    """A piece of a title; `hit` marks a matched search word."""

    text: str = ""
    hit: bool = False


@dataclasses.dataclass
class SessionRow:
    """A row of the sessions list."""

    id: str = ""
    tree_id: str = ""
    tree_name: str = ""
    tree_type: str = ""
    user_name: str = ""
    status: str = ""
    outcome: str = ""
    started_at: str = ""
    completed_at: str = ""


@dataclasses.dataclass
class SessionInfo(SessionRow):
    """The open session's header fields: its list row and what the runner needs besides."""

    summary: str = ""
    current_node_id: str = ""
    can_edit: bool = False


@dataclasses.dataclass
class NodeView:
    """The node being worked on."""

    id: str = ""
    type: str = ""
    title: str = ""
    description: str = ""
    help_text: str = ""
    expected_outcome: str = ""


@dataclasses.dataclass
class AnswerOption:
    """An answer of the current decision; `key` is its keyboard key ("1"–"9", "" past nine)."""

    label: str = ""
    key: str = ""


@dataclasses.dataclass
class PathStep:
    """A node of the path taken so far."""

    node_id: str = ""
    title: str = ""
    answer: str = ""
    notes: str = ""
    at: str = ""


@dataclasses.dataclass
class CustomStep:
    """A step inserted mid-session, ready for display."""

    type: str = "action"
    title: str = ""
    body: str = ""
    notes: str = ""
    source: str = "ad-hoc"
    source_available: bool = True
    after_title: str = ""
    at: str = ""
    run_status: str = ""


@dataclasses.dataclass
class ProcStep:
    """A procedure checklist row."""

    id: str = ""
    type: str = "procedure_step"
    title: str = ""
    description: str = ""
    expected_outcome: str = ""
    done: bool = False


@dataclasses.dataclass
class LibraryHit:
    """A library step in the session's insert dialog."""

    id: str = ""
    title: str = ""
    step_type: str = ""
    instructions: str = ""
    source: str = ""


@dataclasses.dataclass
class LinkedAutomation:
    """The current step's linked automation; `id` is "" when there is none."""

    id: str = ""
    name: str = ""
    available: bool = False
    reason: str = ""


@dataclasses.dataclass
class LibraryStep:
    """A library step for the list, the detail panel and the editor (counts and rating as display text)."""

    id: str = ""
    title: str = ""
    step_type: str = "action"
    visibility: str = "team"
    instructions: str = ""
    help_text: str = ""
    group_label: str = ""
    category_id: str = ""
    category_name: str = ""
    synced: bool = False
    source_tree_id: str = ""
    source_tree_name: str = ""
    usage_count: int = 0
    rating_avg: str = "0"
    rating_count: str = "0"
    my_rating: int = 0
    created_by_name: str = ""
    can_edit: bool = False
    used_in_flows: int = 1
    commands_text: str = ""


@dataclasses.dataclass
class SharedPathStep:
    """A numbered step of a shared session's path (`answer` is "" for a plain "done")."""

    n: int = 0
    title: str = ""
    type: str = "step"
    answer: str = ""
    notes: str = ""
    at: str = ""


@dataclasses.dataclass
class SharedCustomStep:
    """A step inserted into a shared session; `source` is its display label, `after` the node it followed."""

    type: str = ""
    content: str = ""
    notes: str = ""
    source: str = ""
    after: str = ""


@dataclasses.dataclass
class ChecklistRow:
    """A procedure step of a shared session and whether it was ticked."""

    title: str = ""
    type: str = ""
    done: bool = False


@dataclasses.dataclass
class ConflictRow:
    """A sync conflict or refusal as the sync page lists it (`versions`, `changes`, `differences` as sentences)."""

    id: str = ""
    item_id: str = ""
    kind: str = ""
    reason: str = ""
    title: str = ""
    message: str = ""
    versions: str = ""
    changes: str = ""
    differences: str = ""
