"""Builders for library and session tests: flows (published), library steps, sample structures."""

from __future__ import annotations

import copy
import uuid

import sqlalchemy as sa
from sqlmodel import Session

from resolutionflow_app.db.models import LibraryStep, SupportSession, Tree, User
from tests.tree_helpers import TROUBLESHOOTING

TS_STRUCTURE = TROUBLESHOOTING  # the same small Wi-Fi tree the flows tests use

PROC_STRUCTURE = {
    "steps": [
        {"id": "sec_prep", "type": "section_header", "title": "Preparation"},
        {
            "id": "st_backup",
            "type": "procedure_step",
            "title": "Back up the config",
            "expected_outcome": "Backup file exists",
            "commands": "copy run tftp:",
        },
        {"id": "st_notify", "type": "procedure_step", "title": "Notify users"},
        {"id": "sec_do", "type": "section_header", "title": "Upgrade"},
        {"id": "st_upgrade", "type": "procedure_step", "title": "Install firmware"},
        {"id": "end", "type": "procedure_end", "title": "Done"},
    ]
}


def make_tree(
    session: Session,
    author: User,
    *,
    tree_type: str = "troubleshooting",
    structure: dict | None = None,
    status: str = "published",
    is_public: bool = False,
    name: str = "AP offline",
    is_active: bool = True,
) -> Tree:
    """A flow row (published by default) owned by `author`'s account."""
    if structure is None:
        structure = PROC_STRUCTURE if tree_type != "troubleshooting" else TS_STRUCTURE
    tree = Tree(
        account_id=author.account_id,
        author_id=author.id,
        name=name,
        tree_type=tree_type,
        tree_structure=copy.deepcopy(structure),
        status=status,
        is_public=is_public,
        is_active=is_active,
    )
    session.add(tree)
    session.flush()
    return tree


def make_step(
    session: Session,
    creator: User,
    *,
    title: str = "Check DNS",
    instructions: str = "Run nslookup against the DC",
    visibility: str = "team",
    step_type: str = "action",
    is_flow_synced: bool = False,
    source_tree: Tree | None = None,
    source_node_id: str | None = None,
    group_label: str | None = None,
    **extra,
) -> LibraryStep:
    """A library step row."""
    content = {"instructions": instructions, "help_text": None, "commands": [], "group_label": group_label}
    step = LibraryStep(
        account_id=creator.account_id,
        created_by=creator.id,
        title=title,
        step_type=step_type,
        content=content,
        visibility=visibility,
        is_flow_synced=is_flow_synced,
        source_tree_id=source_tree.id if source_tree else None,
        source_node_id=source_node_id,
        **extra,
    )
    session.add(step)
    session.flush()
    return step


def old_style_session(session: Session, user: User, tree: Tree, custom_steps: list) -> SupportSession:
    """A session stored the way old versions did (custom steps without the new fields)."""
    row = SupportSession(
        account_id=user.account_id,
        user_id=user.id,
        tree_id=tree.id,
        tree_name=tree.name,
        tree_type=tree.tree_type,
        tree_snapshot=copy.deepcopy(tree.tree_structure),
        current_node_id="q_power",
        history=[],
        custom_steps=custom_steps,
    )
    session.add(row)
    session.flush()
    return row


def new_id() -> str:
    """A random UUID string."""
    return str(uuid.uuid4())


# PostgreSQL: the prefix term rows the steps' current values give (migration 0015).
_TERMS_OF_STEPS = (
    "SELECT o.term, o.kind, o.scope, s.search_seq AS seq, s.is_flow_synced AS synced FROM step_library AS s, "
    "step_library_terms_of(s.search_tsv, s.visibility, s.account_id, s.created_by, s.is_active) AS o"
)
_TERMS_STORED = "SELECT term, kind, scope, seq, synced FROM step_library_terms"


def check_search_index(session: Session) -> None:
    """The search index holds exactly what the steps' rows give (raises / fails otherwise).

    SQLite: the library's FTS5 table reads an external content view; its triggers must hand it
    exactly the values it indexed, or a later delete leaves stale entries behind. 'integrity-check'
    with rank 1 compares the index with the view.
    PostgreSQL: the prefix term table, kept by triggers, equals what step_library_terms_of gives
    for every step (no stale rows, none missing).
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("INSERT INTO step_library_fts(step_library_fts, rank) VALUES ('integrity-check', 1)"))
        return
    stale = session.execute(sa.text(f"{_TERMS_STORED} EXCEPT ALL {_TERMS_OF_STEPS} LIMIT 5")).all()
    missing = session.execute(sa.text(f"{_TERMS_OF_STEPS} EXCEPT ALL {_TERMS_STORED} LIMIT 5")).all()
    assert (stale, missing) == ([], []), "step_library_terms differs from the steps"
