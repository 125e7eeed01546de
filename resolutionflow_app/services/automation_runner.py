"""The sequential automation runner: short DB sessions only, never a transaction during model/HTTP calls.

Each step's result is written in its own short transaction together with its execution hash, so a
killed worker resumes without redoing completed steps (idempotent per run + step). Cancellation is
checked at every step boundary and while a call is in flight (the call is aborted).

Fencing: a run is executed under a lease (`automation_runs.lease_token`, fresh per claim). Every
write starts with a conditional heartbeat `UPDATE ... WHERE lease_token = <ours> AND status =
'running'`; when another worker has taken the run over (ours stopped heartbeating) the update
matches nothing, the transaction rolls back and this runner stops without writing. Every database
call runs in a thread (`asyncio.to_thread`), never on the event loop, which in `inprocess` mode is
the Reflex backend's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from resolutionflow_app.db.engine import session_scope
from resolutionflow_app.db.models import (
    AssistantMCPServer,
    Automation,
    AutomationRun,
    AutomationStepResult,
    CompletionModel,
    MCPServer,
    MCPServerTool,
)
from resolutionflow_app.db.sql import rowcount, table_of
from resolutionflow_app.db.types import new_id, utcnow
from resolutionflow_app.domain.automation_definition import DefinitionSnapshot, SnapshotStep
from resolutionflow_app.domain.automation_variables import (
    build_context,
    count_tokens,
    interpolate,
    strip_code_fences,
)
from resolutionflow_app.domain.run_status import TERMINAL
from resolutionflow_app.services import files as files_service
from resolutionflow_app.services import secrets_box
from resolutionflow_app.settings import get_settings

log = logging.getLogger(__name__)

SessionFactory = Callable[[], AbstractContextManager[Session]]
FILE_INPUT_TYPES = ("image", "audio", "document", "file")
DOC_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class StepError(Exception):
    """A step failed; the message is shown to the user."""


class RunCancelled(Exception):
    """The run was cancelled by a user."""


class LeaseLost(Exception):
    """Another worker owns the run now (or it ended): this runner must not write to it again."""


# Lost connections (a database restart, a failover): the run is interrupted, not failed.
TRANSIENT_DB_ERRORS: tuple[type[Exception], ...] = (sa_exc.OperationalError, sa_exc.InterfaceError)

# What a step's or run's broad `except Exception` must let through: a cancel, a lost lease (another
# worker owns the run), and transient database errors (the run is handed back and retried).
_STOP_STEP: tuple[type[BaseException], ...] = (RunCancelled, LeaseLost, *TRANSIENT_DB_ERRORS)
_STOP_STEP_OR_CANCEL: tuple[type[BaseException], ...] = (*_STOP_STEP, asyncio.CancelledError)
_STOP_OR_HAND_BACK: tuple[type[BaseException], ...] = (asyncio.CancelledError, LeaseLost, *TRANSIENT_DB_ERRORS)


def new_lease() -> str:
    """A fresh fencing token for one claim of a run."""
    return uuid.uuid4().hex


def heartbeat_timeout_seconds() -> float:
    """How long a running run may go without a heartbeat before another worker takes it over.

    RF_RUN_HEARTBEAT_TIMEOUT_SECONDS, or RF_ZOMBIE_RUN_HOURS when that is shorter (older setting).
    """
    settings = get_settings()
    return min(settings.run_heartbeat_timeout_seconds, settings.zombie_run_hours * 3600)


@dataclass
class ModelConfig:
    """A model as the runner needs it (API key decrypted, in memory only)."""

    id: str
    name: str
    provider: str
    base_url: str | None
    model: str
    api_key: str | None
    token_limit: int | None


@dataclass
class RunnerDeps:
    """Outbound adapters (tests inject fakes); None means the real integration."""

    provider_factory: Callable[[ModelConfig], Any] | None = None
    fetch: Callable[..., Any] | None = None
    deliver: Callable[..., Any] | None = None
    call_mcp_tool: Callable[..., Awaitable[str]] | None = None
    render_document: Callable[[str, str, str | None], bytes] | None = None
    http_retries: int = 3
    http_backoff: tuple[float, ...] = (1, 2, 4)
    cancel_poll_seconds: float = 0.5
    heartbeat_seconds: float | None = None

    def provider(self, model: ModelConfig) -> Any:
        """The LLM provider for a model."""
        if self.provider_factory is not None:
            return self.provider_factory(model)
        from resolutionflow_app.integrations import llm  # noqa: PLC0415

        if model.provider in ("openai_compatible", "openai"):
            # One client per endpoint and key for the worker's lifetime (see llm.shared_provider).
            return llm.shared_provider(
                model.base_url or "", model.api_key, allowed_cidrs=get_settings().cidr_list() or None
            )
        return llm.provider_for(model.provider, model.base_url, model.api_key)

    async def http(self, method: str, url: str, **kwargs: Any) -> Any:
        """A guarded outbound request."""
        if self.fetch is not None:
            return await self.fetch(method, url, **kwargs)
        from resolutionflow_app.integrations import http_guard  # noqa: PLC0415

        return await http_guard.fetch(
            method,
            url,
            retries=self.http_retries,
            backoff=self.http_backoff,
            allowed_cidrs=get_settings().cidr_list() or None,
            **kwargs,
        )

    async def webhook(self, url: str, body: str, **kwargs: Any) -> Any:
        """Deliver a signed webhook."""
        if self.deliver is not None:
            return await self.deliver(url, body, **kwargs)
        from resolutionflow_app.integrations import webhooks  # noqa: PLC0415

        return await webhooks.deliver(
            url,
            body,
            retries=self.http_retries,
            backoff=self.http_backoff,
            allowed_cidrs=get_settings().cidr_list() or None,
            **kwargs,
        )

    async def mcp_call(self, url: str, headers: dict[str, str], name: str, arguments: dict[str, Any]) -> str:
        """Call one MCP tool."""
        if self.call_mcp_tool is not None:
            return await self.call_mcp_tool(url, headers, name, arguments)
        from resolutionflow_app.integrations import mcp_client  # noqa: PLC0415

        return await mcp_client.call_tool(url, headers, name, arguments)

    def document(self, kind: str, markdown: str, title: str | None) -> bytes:
        """Render markdown to a PDF or DOCX."""
        if self.render_document is not None:
            return self.render_document(kind, markdown, title)
        from resolutionflow_app.integrations import documents  # noqa: PLC0415

        return (
            documents.markdown_to_pdf(markdown, title) if kind == "pdf" else documents.markdown_to_docx(markdown, title)
        )


@dataclass
class _Prepared:
    run_id: uuid.UUID
    account_id: uuid.UUID
    automation_name: str
    definition: DefinitionSnapshot
    payload: dict[str, Any]
    webhook_secret: str
    models: dict[str, ModelConfig]
    tools: dict[int, list[dict[str, Any]]]
    results: dict[int, AutomationStepResult]
    cancel_requested: bool


_RESULTS = table_of(AutomationStepResult)


@dataclass
class _Done:
    step_order: int
    output_payload_json: dict[str, Any] = field(default_factory=dict)


class AutomationRunner:
    """Executes one run at a time (many runners may share an event loop)."""

    def __init__(
        self,
        *,
        session_factory: SessionFactory = session_scope,
        deps: RunnerDeps | None = None,
        worker_id: str | None = None,
        lease: str | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.deps = deps or RunnerDeps()
        self.worker_id = worker_id
        self.lease = lease
        self.run_id: uuid.UUID | None = None
        # Three beats fit in one timeout, so one slow beat never makes a live run look orphaned.
        self.heartbeat_seconds = self.deps.heartbeat_seconds or max(0.2, min(30.0, heartbeat_timeout_seconds() / 3))
        self._providers: dict[str, Any] = {}
        self._begun: set[int] = set()  # steps already marked running by the previous step's commit
        self._cancel_seen = False
        self._beat_at = 0.0  # monotonic time of the last heartbeat written by a step boundary
        self._known_results: set[int] = set()  # step orders that had a result row when the run was loaded

    # ------------------------------------------------------------ short DB sessions

    def _prepare(self, run_id: uuid.UUID) -> _Prepared | None:
        with self.session_factory() as session:
            run = session.get(AutomationRun, run_id)
            if run is None or run.status in TERMINAL:
                return None
            now = utcnow()
            if self.lease is None:
                # Called without a claim: take the run only if it is still queued (compare-and-set);
                # a running run belongs to its worker, or is taken over by the worker loop.
                lease = new_lease()
                claimed = rowcount(
                    session.execute(
                        update(AutomationRun)
                        .where(col(AutomationRun.id) == run_id, col(AutomationRun.status) == "queued")
                        .values(
                            status="running",
                            lease_token=lease,
                            worker_id=self.worker_id,
                            heartbeat_at=now,
                            updated_at=now,
                            started_at=func.coalesce(AutomationRun.started_at, now),
                        )
                    )
                )
                if not claimed:
                    return None
                self.lease = lease
            else:
                self._fence(session)
            automation = session.get(Automation, run.automation_id)
            secret = (
                secrets_box.decrypt_str(automation.webhook_secret_encrypted)
                if automation and automation.webhook_secret_encrypted
                else ""
            )
            definition = DefinitionSnapshot.parse(run.definition)  # parsed once; the runner reads typed steps
            models: dict[str, ModelConfig] = {}
            tools: dict[int, list[dict[str, Any]]] = {}
            for step in definition.steps:
                mid = step.assistant.model_id
                if mid and mid not in models:
                    row = session.get(CompletionModel, uuid.UUID(mid))
                    if row is not None and row.account_id == run.account_id:
                        key = secrets_box.decrypt_str(row.api_key_encrypted) if row.api_key_encrypted else None
                        models[mid] = ModelConfig(
                            mid, row.name, row.provider, row.base_url, row.model, key, row.token_limit
                        )
                tools[step.step_order] = self._load_tools(session, run.account_id, step)
            results = {
                r.step_order: r
                for r in session.exec(
                    select(AutomationStepResult).where(AutomationStepResult.automation_run_id == run.id)
                ).all()
            }
            self._known_results = set(results)
            for r in results.values():
                session.expunge(r)
            return _Prepared(
                run.id,
                run.account_id,
                automation.name if automation else "",
                definition,
                dict(run.input_payload_json or {}),
                secret,
                models,
                tools,
                results,
                run.cancel_requested,
            )

    @staticmethod
    def _load_tools(session: Session, account_id: uuid.UUID, step: SnapshotStep) -> list[dict[str, Any]]:
        server_ids = step.mcp_server_ids
        if server_ids is None and step.assistant_id:
            server_ids = [
                str(s)
                for s in session.exec(
                    select(AssistantMCPServer.mcp_server_id).where(
                        AssistantMCPServer.assistant_id == uuid.UUID(step.assistant_id)
                    )
                ).all()
            ]
        allowed = set(step.mcp_tool_ids)
        restricted = step.mcp_policy == "restricted"
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for sid in server_ids or []:
            server = session.get(MCPServer, uuid.UUID(sid))
            if server is None or server.account_id != account_id:
                continue
            headers = json.loads(secrets_box.decrypt_str(server.headers_encrypted)) if server.headers_encrypted else {}
            for tool in session.exec(
                select(MCPServerTool).where(MCPServerTool.mcp_server_id == server.id).order_by(MCPServerTool.name)
            ).all():
                enabled = str(tool.id) in allowed if restricted else tool.is_enabled_by_default
                if enabled and tool.name not in seen:
                    seen.add(tool.name)
                    out.append(
                        {
                            "id": str(tool.id),
                            "name": tool.name,
                            "description": tool.description or "",
                            "input_schema": tool.input_schema or {"type": "object"},
                            "url": server.url,
                            "headers": headers,
                        }
                    )
        return out

    def _fence(self, session: Session) -> None:
        """First statement of every runner write: heartbeat, but only while we still own the run.

        The UPDATE also takes the run's row lock (PostgreSQL) or the write lock (SQLite), so a
        takeover cannot slip in between this check and the rest of the transaction.

        Raises:
            LeaseLost: the run was taken over, or ended, meanwhile (the transaction rolls back).
        """
        now = utcnow()
        owned = rowcount(
            session.execute(
                update(AutomationRun)
                .where(
                    col(AutomationRun.id) == self.run_id,
                    col(AutomationRun.lease_token) == self.lease,
                    col(AutomationRun.status) == "running",
                )
                .values(heartbeat_at=now)
            )
        )
        if not owned:
            raise LeaseLost()
        self._beat_at = time.monotonic()

    def _poll(self, run_id: uuid.UUID, *, beat: bool) -> bool:
        """Heartbeat (when `beat`) and read the cancel flag; True when the run should stop as cancelled."""
        with self.session_factory() as session:
            if beat:
                self._fence(session)
            row = session.execute(
                select(AutomationRun.cancel_requested, AutomationRun.status, AutomationRun.lease_token).where(
                    AutomationRun.id == run_id
                )
            ).first()
            if row is None:
                raise LeaseLost()
            if row[1] == "cancelled" or row[0]:
                return True
            if row[1] != "running" or row[2] != self.lease:
                raise LeaseLost()
            return False

    def _status_now(self) -> str:
        with self.session_factory() as session:
            return session.execute(select(AutomationRun.status).where(AutomationRun.id == self.run_id)).scalar() or ""

    def _hand_back(self) -> None:
        """Stopped mid-run (shutdown, a queue abort): queue the run again at once (completed steps are
        kept) for another worker, or, when a user asked to cancel it, end it `cancelled`."""
        with self.session_factory() as session:
            now = utcnow()
            mine = (
                col(AutomationRun.id) == self.run_id,
                col(AutomationRun.lease_token) == self.lease,
                col(AutomationRun.status) == "running",
            )
            if rowcount(
                session.execute(
                    update(AutomationRun)
                    .where(*mine, col(AutomationRun.cancel_requested).is_(True))
                    .values(
                        status="cancelled",
                        lease_token=None,
                        finished_at=now,
                        updated_at=now,
                        error_message="Cancelled.",
                    )
                )
            ):
                session.execute(
                    update(AutomationStepResult)
                    .where(
                        col(AutomationStepResult.automation_run_id) == self.run_id,
                        col(AutomationStepResult.status) == "running",
                    )
                    .values(status="cancelled", error_message="Cancelled by a user.", finished_at=now, updated_at=now)
                )
                return
            session.execute(
                update(AutomationRun)
                .where(*mine)
                .values(status="queued", lease_token=None, worker_id=None, updated_at=now)
            )

    def _save_result(
        self,
        run_id: uuid.UUID,
        account_id: uuid.UUID,
        order: int,
        fields: dict[str, Any],
        documents: list[tuple[str, str, bytes]] | None = None,
        begin_next: tuple[int, dict[str, Any]] | None = None,
    ) -> dict[str, Any] | None:
        """Upsert one step result (+ generated files) in a single short transaction.

        With `begin_next`, the same transaction also checks the cancel flag and, unless cancelled,
        marks the next step running (one commit per step boundary instead of two).
        """
        with self.session_factory() as session:
            self._fence(session)
            payload = fields.get("output_payload_json")
            if documents:
                ids = [
                    str(
                        files_service.store_file(
                            session=session,
                            account_id=account_id,
                            name=name,
                            content_type=ctype,
                            data=data,
                            automation_run_id=run_id,
                        ).id
                    )
                    for name, ctype, data in documents
                ]
                payload = {**(payload or {}), "file_ids": ids, "generated_file_ids": ids}
                fields = {**fields, "output_payload_json": payload}
            if not self._upsert(session, run_id, order, fields, keep_cancelled=True):
                raise RunCancelled()  # a user cancelled this step meanwhile: never overwrite that
            conn = session.connection()  # Core from here: the per-step hot path
            if begin_next is not None:
                flags = conn.execute(
                    select(AutomationRun.cancel_requested, AutomationRun.status).where(AutomationRun.id == run_id)
                ).first()
                if flags is None or flags[0] or flags[1] != "running":
                    self._cancel_seen = True
                else:
                    self._upsert(
                        session, run_id, begin_next[0], begin_next[1], is_new=begin_next[0] not in self._known_results
                    )
                    self._begun.add(begin_next[0])
            return payload

    @staticmethod
    def _upsert(
        session: Session,
        run_id: uuid.UUID,
        order: int,
        fields: dict[str, Any],
        *,
        is_new: bool = False,
        keep_cancelled: bool = False,
    ) -> bool:
        """Write one step result row with Core statements: the runner's hot path skips the ORM unit of work.

        `is_new` (no row for this step when the run was loaded) goes straight to the INSERT. With
        `keep_cancelled`, a row a user marked `cancelled` is left alone and False is returned.
        """
        now = utcnow()
        values = {**fields, "updated_at": now}
        conn = session.connection()
        where = [_RESULTS.c.automation_run_id == run_id, _RESULTS.c.step_order == order]
        if is_new:
            conn.execute(
                _RESULTS.insert().values(
                    id=new_id(), automation_run_id=run_id, step_order=order, created_at=now, **values
                )
            )
            return True
        if keep_cancelled:
            where.append(_RESULTS.c.status != "cancelled")
        if conn.execute(_RESULTS.update().where(*where).values(**values)).rowcount:
            return True
        if (
            keep_cancelled
            and conn.execute(
                select(_RESULTS.c.id).where(_RESULTS.c.automation_run_id == run_id, _RESULTS.c.step_order == order)
            ).first()
            is not None
        ):
            return False
        conn.execute(
            _RESULTS.insert().values(id=new_id(), automation_run_id=run_id, step_order=order, created_at=now, **values)
        )
        return True

    @staticmethod
    def _running_fields(step: SnapshotStep) -> dict[str, Any]:
        return {
            "assistant_id": uuid.UUID(step.assistant_id) if step.assistant_id else None,
            "execution_hash": step.execution_hash,
            "status": "running",
            "started_at": utcnow(),
            "finished_at": None,
            "error_message": None,
            "output_payload_json": None,
            "input_payload_json": None,
            "num_tokens_input": None,
            "num_tokens_output": None,
            "tool_calls_metadata": None,
        }

    def _begin_step(self, prep: _Prepared, order: int, fields: dict[str, Any]) -> None:
        """Step boundary: check the cancel flag, heartbeat and mark the step running, in one transaction."""
        with self.session_factory() as session:
            self._fence(session)
            flags = session.execute(
                select(AutomationRun.cancel_requested, AutomationRun.status).where(AutomationRun.id == prep.run_id)
            ).first()
            if flags is None or flags[0] or flags[1] != "running":
                raise RunCancelled()
            self._upsert(session, prep.run_id, order, fields)
            session.execute(
                update(AutomationRun).where(col(AutomationRun.id) == prep.run_id).values(updated_at=utcnow())
            )

    def _finish(
        self, run_id: uuid.UUID, status: str, *, output: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        with self.session_factory() as session:
            now = utcnow()
            values: dict[str, Any] = {"status": status, "finished_at": now, "updated_at": now, "error_message": error}
            if output is not None:
                values["output_payload_json"] = output
            owned = rowcount(
                session.execute(
                    update(AutomationRun)
                    .where(
                        col(AutomationRun.id) == run_id,
                        col(AutomationRun.lease_token) == self.lease,
                        col(AutomationRun.status) == "running",
                    )
                    .values(**values)
                )
            )
            if not owned:
                raise LeaseLost()

    def _store_input_file(self, prep: _Prepared, name: str, ctype: str, data: bytes) -> str:
        with self.session_factory() as session:
            self._fence(session)
            return str(
                files_service.store_file(
                    session=session,
                    account_id=prep.account_id,
                    name=name,
                    content_type=ctype,
                    data=data,
                    automation_run_id=prep.run_id,
                ).id
            )

    def _file_texts(self, prep: _Prepared, file_ids: list[str]) -> list[str]:
        if not file_ids:
            return []
        with self.session_factory() as session:
            return files_service.file_texts(session=session, account_id=prep.account_id, file_ids=file_ids)

    # ------------------------------------------------------------ execution

    async def execute(self, run_id: uuid.UUID) -> str:
        """Run (or continue) a run until it ends; returns its final status ('' when left alone)."""
        try:
            return await self._execute(run_id)
        finally:
            await self._close_providers()

    async def _db(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a short synchronous DB call in a worker thread, never on the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def _execute(self, run_id: uuid.UUID) -> str:
        self.run_id = run_id
        try:
            prep = await self._db(self._prepare, run_id)
        except LeaseLost:
            return ""
        if prep is None:
            return ""
        try:
            return await self._execute_steps(run_id, prep)
        except LeaseLost:
            log.warning("automation run %s was taken over by another worker; this worker stops writing to it", run_id)
            return ""
        except asyncio.CancelledError:
            # The worker is shutting down (or the queue aborted the job): hand the run back at once
            # (completed steps are kept).
            with contextlib.suppress(Exception):
                self._hand_back()
            raise
        except TRANSIENT_DB_ERRORS:
            # The database went away (restart, failover): the run is not failed, only interrupted.
            # Hand it back if the database is already reachable again; otherwise its heartbeat stops and
            # it is taken over after the timeout. The queue retries the job with backoff.
            log.warning("automation run %s: database unavailable; the run is handed back", run_id)
            with contextlib.suppress(Exception):
                await self._db(self._hand_back)
            raise

    async def _execute_steps(self, run_id: uuid.UUID, prep: _Prepared) -> str:
        if prep.cancel_requested:
            await self._db(self._finish, run_id, "cancelled", error="Cancelled.")
            return "cancelled"
        steps = prep.definition.steps
        done: list[_Done] = []
        current = 0
        try:
            for index, step in enumerate(steps):
                order = current = step.step_order
                following = steps[index + 1] if index + 1 < len(steps) else None
                context = build_context(prep.payload.get("text"), prep.payload.get("form_data"), done)
                exec_hash = step.execution_hash
                existing = prep.results.get(order)
                if existing is not None and existing.status == "completed" and existing.execution_hash == exec_hash:
                    payload = dict(existing.output_payload_json or {})
                    if step.output_mode == "http_post" and not payload.get("webhook_delivered"):
                        if await self._db(self._poll, run_id, beat=True):
                            raise RunCancelled()
                        payload = await self._deliver(prep, step, context, payload)
                    done.append(_Done(order, payload))
                    continue
                nxt = prep.results.get(following.step_order) if following else None
                chain = (
                    following is not None
                    and step.output_mode != "http_post"
                    and not (
                        nxt is not None and nxt.status == "completed" and nxt.execution_hash == following.execution_hash
                    )
                )
                payload = await self._run_step(prep, step, exec_hash, context, done, following if chain else None)
                done.append(_Done(order, payload))
        except RunCancelled:
            try:
                await self._db(self._cancel_in_flight, prep)
                await self._db(self._finish, run_id, "cancelled", error="Cancelled.")
            except LeaseLost:
                # Cancelled by someone else already (e.g. an orphaned run cancelled at once).
                if await self._db(self._status_now) != "cancelled":
                    raise
            return "cancelled"
        except StepError as exc:
            await self._db(self._finish, run_id, "failed", error=str(exc))
            return "failed"
        except _STOP_OR_HAND_BACK:
            raise
        except Exception as exc:
            log.exception("automation run %s failed", run_id)
            await self._db(self._finish, run_id, "failed", error=f"Step {current}: unexpected error: {exc}")
            return "failed"
        await self._db(self._finish, run_id, "completed", output=done[-1].output_payload_json if done else {"text": ""})
        return "completed"

    def _cancel_in_flight(self, prep: _Prepared) -> None:
        # Every step still marked running (the current one, or the next one a chained step
        # already began) reads `cancelled`: a cancelled run never shows a spinning step.
        with self.session_factory() as session:
            self._fence(session)
            session.execute(
                update(AutomationStepResult)
                .where(
                    col(AutomationStepResult.automation_run_id) == prep.run_id,
                    col(AutomationStepResult.status) == "running",
                )
                .values(status="cancelled", error_message="Cancelled by a user.", finished_at=utcnow())
            )

    def _mark_step(self, prep: _Prepared, order: int, status: str, error: str) -> None:
        if not order:
            return
        with self.session_factory() as session:
            self._fence(session)
            row = session.exec(
                select(AutomationStepResult).where(
                    AutomationStepResult.automation_run_id == prep.run_id, AutomationStepResult.step_order == order
                )
            ).first()
            if row is not None and row.status == "running":
                row.status, row.error_message, row.finished_at = status, error, utcnow()
                session.add(row)

    async def _watched(self, prep: _Prepared, coro: Any) -> Any:
        """Await `coro`, polling the cancel flag (and heartbeating); a cancel aborts the call."""
        task = asyncio.ensure_future(coro)
        last_beat = time.monotonic()
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=self.deps.cancel_poll_seconds)
                if task.done():
                    break
                beat = time.monotonic() - last_beat >= self.heartbeat_seconds
                if beat:
                    last_beat = time.monotonic()
                if await self._db(self._poll, prep.run_id, beat=beat):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                    raise RunCancelled()
            return task.result()
        finally:
            if not task.done():
                task.cancel()

    async def _run_step(
        self,
        prep: _Prepared,
        step: SnapshotStep,
        exec_hash: str,
        context: dict[str, Any],
        done: list[_Done],
        following: SnapshotStep | None = None,
    ) -> dict[str, Any]:
        order = step.step_order
        assistant = step.assistant
        base = {
            "assistant_id": uuid.UUID(step.assistant_id) if step.assistant_id else None,
            "execution_hash": exec_hash,
        }
        if self._cancel_seen:
            raise RunCancelled()
        if order not in self._begun:
            await self._db(self._begin_step, prep, order, self._running_fields(step))
        text, file_ids = "", []
        try:
            text, file_ids = await self._watched(prep, self._resolve_inputs(prep, step, context, done))
            model = prep.models.get(str(assistant.model_id))
            if model is None:
                raise StepError(f"Step {order}: its model no longer exists.")
            file_texts = await self._db(self._file_texts, prep, file_ids)
            tokens = count_tokens(text) + sum(count_tokens(t) for t in file_texts)
            if model.token_limit and tokens > model.token_limit:
                raise StepError(
                    f"Step {order}: the input is about {tokens} tokens, over the model's limit of {model.token_limit}."
                )
            prompt = interpolate(assistant.prompt, context)
            tools = self._tool_specs(prep, order)
            completion = await self._watched(prep, self._complete(model, prompt, text, tools, file_texts))
            out_text, documents = self._process_output(prep, step, completion.text)
            payload = {"text": out_text, "file_ids": [], "generated_file_ids": [], "webhook_delivered": False}
            payload = await self._db(
                self._save_result,
                prep.run_id,
                prep.account_id,
                order,
                {
                    **base,
                    "status": "completed",
                    "finished_at": utcnow(),
                    "error_message": None,
                    "input_payload_json": {"text": text, "file_ids": file_ids},
                    "output_payload_json": payload,
                    "num_tokens_input": completion.prompt_tokens,
                    "num_tokens_output": completion.completion_tokens,
                    "tool_calls_metadata": list(completion.tool_calls or []),
                },
                documents,
                begin_next=(following.step_order, self._running_fields(following)) if following else None,
            )
        except _STOP_STEP:
            raise
        except StepError as exc:
            await self._db(
                self._save_result,
                prep.run_id,
                prep.account_id,
                order,
                {
                    **base,
                    "status": "failed",
                    "finished_at": utcnow(),
                    "error_message": str(exc),
                    "input_payload_json": {"text": text, "file_ids": file_ids},
                },
            )
            raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - adapters raise their own errors with safe messages
            message = f"Step {order}: {getattr(exc, 'message', None) or exc}"
            await self._db(
                self._save_result,
                prep.run_id,
                prep.account_id,
                order,
                {
                    **base,
                    "status": "failed",
                    "finished_at": utcnow(),
                    "error_message": message,
                    "input_payload_json": {"text": text, "file_ids": file_ids},
                },
            )
            raise StepError(message) from None
        if step.output_mode == "http_post":
            payload = await self._deliver(prep, step, context, payload)
        return payload

    async def _complete(
        self, model: ModelConfig, prompt: str, text: str, tools: list[Any], file_texts: list[str]
    ) -> Any:
        provider = self._providers.get(model.id)
        if provider is None:
            provider = self._providers[model.id] = self.deps.provider(model)
        return await provider.complete(
            system_prompt=prompt, user_input=text, model=model.model, tools=tools or None, file_texts=file_texts or None
        )

    async def _close_providers(self) -> None:
        providers, self._providers = list(self._providers.values()), {}
        for provider in providers:
            closer = getattr(provider, "aclose", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer()

    def _tool_specs(self, prep: _Prepared, order: int) -> list[Any]:
        tools = prep.tools.get(order) or []
        if not tools:
            return []
        from resolutionflow_app.integrations.llm import ToolSpec  # noqa: PLC0415

        specs = []
        for tool in tools:

            async def call(args: dict[str, Any], _t: dict[str, Any] = tool) -> str:
                return await self.deps.mcp_call(_t["url"], _t["headers"], _t["name"], args)

            specs.append(
                ToolSpec(
                    name=tool["name"], description=tool["description"], input_schema=tool["input_schema"], call=call
                )
            )
        return specs

    def _process_output(
        self, prep: _Prepared, step: SnapshotStep, text: str
    ) -> tuple[str, list[tuple[str, str, bytes]]]:
        order = step.step_order
        kind = step.output_type
        if kind == "json":
            stripped = strip_code_fences(text)
            try:
                json.loads(stripped)
            except json.JSONDecodeError as exc:
                preview = stripped[:120].replace("\n", " ")
                raise StepError(
                    f"Step {order}: the model's answer is not valid JSON ({exc.msg} at position {exc.pos}): {preview!r}"
                ) from None
            except ValueError as exc:  # e.g. an integer too long to convert
                raise StepError(f"Step {order}: the model's answer is not valid JSON ({exc}).") from None
            return stripped, []
        if kind in DOC_TYPES:
            title = step.user_description or f"{prep.automation_name} · step {order}"
            try:
                data = self.deps.document(kind, text, title)
            except Exception as exc:  # noqa: BLE001
                raise StepError(f"Step {order}: could not render the {kind.upper()}: {exc}") from None
            safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in (prep.automation_name or "automation"))[
                :80
            ]
            return text, [(f"{safe}-step-{order}.{kind}", DOC_TYPES[kind], data)]
        return text, []

    async def _resolve_inputs(
        self, prep: _Prepared, step: SnapshotStep, context: dict[str, Any], done: list[_Done]
    ) -> tuple[str, list[str]]:
        source = step.input_source
        params = prep.payload
        if source == "flow_input":
            text = params.get("text") or ""
            form_data = params.get("form_data") or {}
            if not text and form_data:
                text = json.dumps(form_data, ensure_ascii=False)
            file_ids = list(params.get("file_ids") or [])
            if step.input_type in FILE_INPUT_TYPES:
                for value in form_data.values():
                    if isinstance(value, str) and _is_uuid(value) and value not in file_ids:
                        file_ids.append(value)
            return text, file_ids
        if source == "all_previous_steps":
            texts: list[str] = []
            files: list[str] = []
            for prev in done:
                p = prev.output_payload_json or {}
                texts.append(f"<step_{prev.step_order}_output>\n{p.get('text', '')}\n</step_{prev.step_order}_output>")
                files.extend(p.get("file_ids") or [])
            return "\n".join(texts), files
        if source == "previous_step":
            if not done:
                return "", []
            p = done[-1].output_payload_json or {}
            return p.get("text", "") or "", list(p.get("file_ids") or [])
        if source in ("http_get", "http_post"):
            cfg = step.input_config or {}
            url = interpolate(cfg.get("url", ""), context)
            headers = secrets_box.open_headers(cfg)
            kwargs: dict[str, Any] = {"headers": headers}
            if cfg.get("timeout_seconds"):
                kwargs["timeout"] = float(cfg["timeout_seconds"])
            if source == "http_post":
                body = interpolate(cfg.get("body") or "{}", context, json_safe=True)
                if not any(k.lower() == "content-type" for k in headers):
                    kwargs["headers"] = {**headers, "Content-Type": "application/json"}
                kwargs["content"] = body.encode("utf-8")
            result = await self.deps.http("POST" if source == "http_post" else "GET", url, **kwargs)
            if result.is_binary:
                ctype = (result.content_type or "application/octet-stream").split(";")[0]
                return "", [
                    await self._db(
                        self._store_input_file, prep, f"step-{step.step_order}-download", ctype, result.content
                    )
                ]
            return result.text or "", []
        return "", []

    async def _deliver(
        self, prep: _Prepared, step: SnapshotStep, context: dict[str, Any], payload: dict[str, Any]
    ) -> dict[str, Any]:
        """POST the step output to its webhook; mark it delivered in a short transaction."""
        from resolutionflow_app.integrations.webhooks import idempotency_key  # noqa: PLC0415

        order = step.step_order
        cfg = step.output_config or {}
        url = interpolate(cfg.get("url", ""), context)
        try:
            await self._watched(
                prep,
                self.deps.webhook(
                    url,
                    payload.get("text", "") or "",
                    secret=prep.webhook_secret,
                    idempotency_key=idempotency_key(prep.run_id, order),
                    headers=secrets_box.open_headers(cfg),
                ),
            )
        except _STOP_STEP_OR_CANCEL:
            raise
        except Exception as exc:  # noqa: BLE001
            message = f"Step {order}: webhook delivery failed: {getattr(exc, 'message', None) or exc}"
            await self._db(self._save_result, prep.run_id, prep.account_id, order, {"error_message": message})
            raise StepError(message) from None
        payload = {**payload, "webhook_delivered": True}
        await self._db(
            self._save_result,
            prep.run_id,
            prep.account_id,
            order,
            {"output_payload_json": payload, "error_message": None},
        )
        return payload


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


async def execute_run(
    run_id: uuid.UUID,
    *,
    session_factory: SessionFactory = session_scope,
    deps: RunnerDeps | None = None,
    worker_id: str | None = None,
    lease: str | None = None,
) -> str:
    """Execute one run (see AutomationRunner); returns its final status ('' when not ours to run).

    Args:
        run_id: the run.
        session_factory: short DB sessions.
        deps: outbound adapters.
        worker_id: stored on the run for operators.
        lease: the fencing token of a claim (worker loop, queue); without it a queued run is
            claimed here by compare-and-set, and a run that is not queued is left alone.
    """
    return await AutomationRunner(session_factory=session_factory, deps=deps, worker_id=worker_id, lease=lease).execute(
        run_id
    )
