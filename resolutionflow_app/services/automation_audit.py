"""The compliance audit report of an automation (seed: "Compliance Audit Report"), as a printable PDF.

Gathers what an auditor needs (who made it and when, the diagram, the form, every step's prompt,
model and classification, and optionally one run's record) and hands it, formatted and without
secrets, to `integrations.audit_pdf`. Header values, API keys and the webhook secret are never read
into the report: only header *names* are listed, and URL query values are masked.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from sqlmodel import Session, col, select

from resolutionflow_app.db.models import (
    AutomationRun,
    AutomationStepResult,
    CompletionModel,
    MCPServer,
    MCPServerTool,
    User,
)
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.domain.automation_definition import DefinitionSnapshot, SnapshotStep
from resolutionflow_app.domain.errors import NotFound, Unavailable
from resolutionflow_app.domain.run_status import TERMINAL
from resolutionflow_app.integrations import audit_pdf
from resolutionflow_app.services import automations as automations_service

SOURCE_LABELS = {
    "flow_input": "the form input",
    "previous_step": "the previous step",
    "all_previous_steps": "all previous steps (aggregated)",
    "http_get": "an HTTP GET request",
    "http_post": "an HTTP POST request",
}
STATUS_LABELS = {"completed": "passed"}


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ms(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    return max(0, int((end - start).total_seconds() * 1000))


def _tokens(value: int | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", " ")


def safe_url(url: Any) -> str:
    """A URL fit for the report: query values and any user info masked (they may carry keys)."""
    if not isinstance(url, str) or not url.strip():
        return "—"
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "(unreadable URL)"
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "") if parts.hostname else parts.netloc.rsplit("@", 1)[-1]
    query = "&".join(f"{k}=•••" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def safe_filename(name: str) -> str:
    """`Namn på brukare!` -> `Namn-pa-brukare`: ASCII letters, digits, `-`, `_` (at most 80)."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9_]+", "-", ascii_name).strip("-_")[:80].strip("-_")
    return slug or "automation"


def _header_names(cfg: dict[str, Any]) -> str:
    names = cfg.get("header_names") or []
    return ", ".join(str(n) for n in names) + " (values withheld)" if names else "none"


def _step_rows(
    session: Session, step: SnapshotStep, models: dict[str, CompletionModel], *, last: bool
) -> list[tuple[str, str]]:
    assistant = step.assistant
    model = models.get(assistant.model_id or "")
    rows: list[tuple[str, str]] = []
    rows.append(
        (
            "Model",
            f"{model.name} ({model.provider} · {model.model}; token limit {model.token_limit or 'none'})"
            if model
            else "unknown (model deleted)",
        )
    )
    if not assistant.hidden and assistant.name:
        rows.append(("Assistant", f"{assistant.name} (shared assistant)"))
    override = step.output_classification_override
    if override is not None:
        rows.append(
            (
                "Classification",
                f"K{override}: set on this step (overrides the model's "
                f"level{f' K{model.security_level}' if model else ''})",
            )
        )
    elif model is not None:
        rows.append(("Classification", f"K{model.security_level}: the model's security level"))
    else:
        rows.append(("Classification", "not known"))
    source = step.input_source or ""
    rows.append(("Input", f"{step.input_type or 'any'}, from {SOURCE_LABELS.get(source, source)}"))
    if source in ("http_get", "http_post"):
        cfg = step.input_config or {}
        rows.append(("HTTP input", f"{'POST' if source == 'http_post' else 'GET'} {safe_url(cfg.get('url'))}"))
        rows.append(("HTTP input headers", _header_names(cfg)))
        if source == "http_post" and cfg.get("body"):
            rows.append(("HTTP input body template", str(cfg["body"])))
    webhook = step.output_mode == "http_post"
    if webhook:
        destination = "posted to a webhook" + (" and returned as the run's result" if last else "")
    else:
        destination = "returned as the run's result" if last else "passed on to the next step"
    rows.append(("Output", f"{step.output_type}, {destination}"))
    if webhook:
        cfg = step.output_config or {}
        rows.append(("Webhook", f"POST {safe_url(cfg.get('url'))} (signed, Standard Webhooks)"))
        rows.append(("Webhook headers", _header_names(cfg)))
    rows.append(("MCP policy", _mcp_text(session, step)))
    return rows


def _mcp_text(session: Session, step: SnapshotStep) -> str:
    server_ids = [uuid.UUID(s) for s in step.mcp_server_ids or []]
    servers = (
        [s.name for s in session.exec(select(MCPServer).where(col(MCPServer.id).in_(server_ids))).all()]
        if server_ids
        else []
    )
    if step.mcp_policy == "restricted":
        tool_ids = [uuid.UUID(t) for t in step.mcp_tool_ids]
        tools = (
            sorted(t.name for t in session.exec(select(MCPServerTool).where(col(MCPServerTool.id).in_(tool_ids))).all())
            if tool_ids
            else []
        )
        return "restricted: " + (", ".join(tools) if tools else "no tools allowed")
    if not servers:
        return "inherit: the assistant has no MCP servers (no tools)"
    return "inherit: default tools of " + ", ".join(sorted(servers))


def _models(session: Session, definition: DefinitionSnapshot) -> dict[str, CompletionModel]:
    out: dict[str, CompletionModel] = {}
    for mid in definition.model_ids():
        row = session.get(CompletionModel, uuid.UUID(mid))
        if row is not None:
            out[mid] = row
    return out


def _user_name(session: Session, user_id: uuid.UUID | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.name if user is not None else "(deleted user)"


def _run_section(session: Session, run: AutomationRun, definition: DefinitionSnapshot) -> dict[str, Any]:
    results = {
        r.step_order: r
        for r in session.exec(
            select(AutomationStepResult).where(AutomationStepResult.automation_run_id == run.id)
        ).all()
    }
    ended = run.status in TERMINAL
    steps = []
    total_in = total_out = 0
    for step in definition.steps:
        order = step.step_order
        name = step.user_description or f"Step {order}"
        result = results.get(order)
        if result is None:
            steps.append(
                {
                    "order": order,
                    "name": name,
                    "status": "skipped" if ended else "pending",
                    "started": "—",
                    "duration": "—",
                    "tokens_in": "—",
                    "tokens_out": "—",
                    "error": None,
                }
            )
            continue
        total_in += result.num_tokens_input or 0
        total_out += result.num_tokens_output or 0
        steps.append(
            {
                "order": order,
                "name": name,
                "status": STATUS_LABELS.get(result.status, result.status),
                "started": _when(result.started_at).removesuffix(" UTC"),
                "duration": audit_pdf.format_duration(_ms(result.started_at, result.finished_at)),
                "tokens_in": _tokens(result.num_tokens_input),
                "tokens_out": _tokens(result.num_tokens_output),
                "error": result.error_message,
            }
        )
    meta = [
        ("Run id", str(run.id)),
        ("Status", STATUS_LABELS.get(run.status, run.status)),
        ("Started by", _user_name(session, run.user_id)),
        ("Queued", _when(run.created_at)),
        ("Started", _when(run.started_at)),
        ("Finished", _when(run.finished_at)),
        ("Duration", audit_pdf.format_duration(_ms(run.started_at, run.finished_at))),
        ("Total tokens", f"{_tokens(total_in + total_out)} ({_tokens(total_in)} in, {_tokens(total_out)} out)"),
        (
            "Definition",
            f"published version {run.definition_version}"
            if run.definition_version
            else "unpublished draft (as pinned when the run started)",
        ),
    ]
    if run.error_message:
        meta.append(("Error", run.error_message))
    return {"meta": meta, "steps": steps}


def _build(
    session: Session, actor: User, automation_id: uuid.UUID | str, run_id: uuid.UUID | str | None
) -> tuple[str, dict[str, Any]]:
    automation = automations_service.get_row(session=session, account_id=actor.account_id, automation_id=automation_id)
    run: AutomationRun | None = None
    if run_id is not None:
        try:
            rid = run_id if isinstance(run_id, uuid.UUID) else uuid.UUID(str(run_id))
        except ValueError:
            raise NotFound("Run not found.") from None
        run = session.get(AutomationRun, rid)
        if run is None or run.automation_id != automation.id or run.account_id != actor.account_id:
            raise NotFound("Run not found.")
    graph = automations_service.graph(
        session=session, actor=actor, automation_id=automation.id, run_id=run.id if run else None
    )
    draft = automations_service.current_definition(session, automation)
    definition = DefinitionSnapshot.parse(run.definition) if run is not None else draft
    models = _models(session, definition)
    form = definition.form_schema
    steps = definition.steps

    if automation.published:
        state = f"published, version {automation.published_version}"
    elif automation.published_version:
        state = f"unpublished (version {automation.published_version} kept)"
    else:
        state = "draft, never published"
    changes = automation.published_version and draft.checksum != automation.published_checksum
    meta = [
        ("Created by", _user_name(session, automation.user_id)),
        ("Created", _when(automation.created_at)),
        ("Last updated", _when(automation.updated_at)),
        ("Status", state + (" · the draft has unpublished changes" if changes else "")),
        ("Published version", str(automation.published_version) if automation.published_version else "none"),
        ("Published", _when(automation.published_at)),
        ("Steps", str(len(steps))),
        (
            "Data retention",
            f"{automation.data_retention_days} days" if automation.data_retention_days else "kept until deleted",
        ),
        ("Automation id", str(automation.id)),
    ]
    if run is not None:
        meta.append(
            (
                "This report covers",
                f"run {run.id} ({STATUS_LABELS.get(run.status, run.status)}), with the definition the run was pinned "
                "to",
            )
        )
    else:
        meta.append(("This report covers", "the current draft definition"))
    data = {
        "name": automation.name,
        "description": automation.description or "",
        "subtitle": (
            f"Generated {_when(utcnow())} by {actor.name}. Header values, API keys and the webhook secret are never "
            "included; URL query values are masked."
        ),
        "meta": meta,
        "graph": graph,
        "field_types": {f.get("id"): f.get("type") or "" for f in form},
        "form_fields": [
            {
                "id": str(f.get("id") or ""),
                "label": str(f.get("label") or ""),
                "type": str(f.get("type") or ""),
                "required": bool(f.get("required")),
                "options": [str(o) for o in f.get("options") or []],
            }
            for f in form
        ],
        "steps": [
            {
                "order": s.step_order,
                "name": s.user_description or f"Step {s.step_order}",
                "rows": _step_rows(session, s, models, last=s is steps[-1]),
                "prompt": s.assistant.prompt,
            }
            for s in steps
        ],
        "run": _run_section(session, run, definition) if run is not None else None,
    }
    return automation.name, data


def audit_report(
    *, session: Session, actor: User, automation_id: uuid.UUID | str, run_id: uuid.UUID | str | None = None
) -> bytes:
    """The audit report of an automation as an A4 PDF.

    Args:
        session: DB session.
        actor: any member of the automation's account (same access as reading the automation).
        automation_id: the automation.
        run_id: optionally one of its runs: the report then follows that run's pinned definition
            and adds its status, times, tokens and per-step results.

    Returns:
        The PDF bytes.

    Raises:
        NotFound: the automation is not in the actor's account, or the run is not one of its runs.
        Unavailable: the server lacks the PDF font (the message says which package to install).
    """
    return audit_report_download(session=session, actor=actor, automation_id=automation_id, run_id=run_id)[1]


def audit_report_download(
    *, session: Session, actor: User, automation_id: uuid.UUID | str, run_id: uuid.UUID | str | None = None
) -> tuple[str, bytes]:
    """`(filename, pdf)`: the report and a download name like `Triage-audit.pdf`."""
    name, data = _build(session, actor, automation_id, run_id)
    try:
        pdf = audit_pdf.render_audit_pdf(data)
    except audit_pdf.FontMissing as exc:
        raise Unavailable(str(exc)) from None
    return f"{safe_filename(name)}-audit.pdf", pdf
