"""Load the demo account, users and flows once (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from resolutionflow_app.db.models import Account, Tree, TreeVersion, User
from resolutionflow_app.services.demo_content import DEMO_FLOWS
from resolutionflow_app.services.passwords import hash_password

DEMO_ACCOUNT = "Northwind IT Services"
DEMO_USERS = [
    ("owner@example.com", "Olivia Owner", "owner"),
    ("author@example.com", "Adam Author", "author"),
    ("engineer@example.com", "Erin Engineer", "engineer"),
]


@dataclass
class DemoResult:
    """What the demo loader did."""

    created: bool
    account_id: str
    emails: list[str]


def publish_hook(*, session: Session, tree: Tree, actor: User) -> None:
    """Publish a demo flow through the flows service (which syncs the step library too)."""
    from resolutionflow_app.services import trees as trees_service  # noqa: PLC0415 - trees imports demo content users

    trees_service.update_tree(session=session, actor=actor, tree_id=tree.id, changes={"status": "published"})


def load_demo_data(*, session: Session, password: str) -> DemoResult:
    """Create the demo account, its three users and four flows, unless they exist.

    Args:
        session: DB session.
        password: password given to every demo user.

    Returns:
        Whether anything was created, and the demo logins.
    """
    emails = [email for email, _, _ in DEMO_USERS]
    existing = session.exec(select(User).where(User.email == DEMO_USERS[0][0])).first()
    if existing is not None:
        return DemoResult(False, str(existing.account_id), emails)
    account = Account(name=DEMO_ACCOUNT)
    session.add(account)
    session.flush()
    users = {}
    for email, name, role in DEMO_USERS:
        user = User(account_id=account.id, email=email, name=name, role=role, password_hash=hash_password(password))
        session.add(user)
        users[role] = user
    session.flush()
    author = users["author"]
    for name, description, tree_type, structure, is_public in DEMO_FLOWS:
        tree = Tree(
            account_id=account.id,
            author_id=author.id,
            name=name,
            description=description,
            tree_type=tree_type,
            tree_structure=structure,
            is_public=is_public,
        )
        session.add(tree)
        session.flush()
        session.add(
            TreeVersion(
                tree_id=tree.id,
                version=1,
                name=name,
                description=description,
                tree_structure=structure,
                created_by=author.id,
            )
        )
        session.flush()
        publish_hook(session=session, tree=tree, actor=author)
    session.flush()
    load_demo_automation(session=session, author=author)
    return DemoResult(True, str(account.id), emails)


def load_demo_automation(*, session: Session, author: User) -> None:
    """One published demo automation on the account's built-in "Offline model" (no LLM server needed)."""
    from resolutionflow_app.services import automations, completion_models  # noqa: PLC0415

    model_id = str(completion_models.ensure_offline_model(session=session, account_id=author.account_id).id)
    automation = automations.create_automation(
        session=session,
        actor=author,
        data={
            "name": "Ticket triage",
            "description": (
                "Summarises a support ticket, drafts a reply and writes a PDF handover note (offline model)."
            ),
            "form_schema": [
                {"id": "requester", "label": "Requester", "type": "text", "required": True},
                {
                    "id": "priority",
                    "label": "Priority",
                    "type": "select",
                    "options": ["low", "normal", "high"],
                    "required": True,
                },
            ],
            "data_retention_days": 30,
            "steps": [
                {
                    "step_order": 1,
                    "user_description": "Summarise the ticket",
                    "input_source": "flow_input",
                    "assistant": {
                        "prompt": (
                            "Summarise this ticket from {{flow_input.requester}} (priority {{flow_input.priority}}) in "
                            "three bullet points."
                        ),
                        "model_id": model_id,
                    },
                },
                {
                    "step_order": 2,
                    "user_description": "Draft a reply",
                    "input_source": "previous_step",
                    "assistant": {
                        "prompt": "Draft a short, friendly reply to {{flow_input.requester}} based on this summary.",
                        "model_id": model_id,
                    },
                },
                {
                    "step_order": 3,
                    "user_description": "Handover note (PDF)",
                    "input_source": "all_previous_steps",
                    "output_type": "pdf",
                    "assistant": {
                        "prompt": "Write a handover note in Markdown with the summary and the drafted reply.",
                        "model_id": model_id,
                    },
                },
            ],
        },
    )
    automations.publish_automation(session=session, actor=author, automation_id=automation.id)
