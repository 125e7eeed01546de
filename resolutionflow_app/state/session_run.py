"""State of the live session runner: the open session as small typed vars (state/rows.py), and its actions."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.domain.tree_schema import normalize_commands
from resolutionflow_app.services import library_search
from resolutionflow_app.services import sessions as sessions_service
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.rows import (
    AnswerOption,
    CommandLine,
    CustomStep,
    LibraryHit,
    LinkedAutomation,
    NodeView,
    PathStep,
    ProcStep,
    SessionInfo,
)

OUTCOMES = [("resolved", "Resolved"), ("escalated", "Not resolved / escalated"), ("abandoned", "Abandoned")]


def _commands(raw, owner: str = "") -> list[CommandLine]:
    """Node commands in any stored shape (domain.tree_schema.normalize_commands), tagged with their owner step."""
    return [
        CommandLine(label=str(c["label"]), command=c["command"] or "", owner=owner) for c in normalize_commands(raw)
    ]


def _text(node: dict, key: str) -> str:
    value = node.get(key)
    return value if isinstance(value, str) else ""


def _custom(step: dict, titles: dict[str, str]) -> CustomStep:
    """A stored custom step (old or enhanced structure) for display."""
    content = step.get("content")
    if isinstance(content, dict):  # tolerate a structured content
        content = content.get("instructions") or content.get("title") or ""
    content = str(content or "")
    title = str(step.get("title") or "")
    title, body = (title, content if content != title else "") if title else (content, "")
    after = step.get("inserted_after_node_id") or ""
    return CustomStep(
        type=step.get("type") or "action",
        title=title,
        body=body,
        notes=step.get("notes") or "",
        source=step.get("source") or "ad-hoc",
        source_available=step.get("source_available") is not False,
        after_title=titles.get(after, after or "start"),
        at=step.get("inserted_at") or "",
        run_status=str(step.get("run_status") or ""),
    )


class SessionRunState(AuthState):
    """The open session as typed rows for the runner."""

    sid: str = ""
    found: bool = True
    info: SessionInfo = SessionInfo()
    node: NodeView = NodeView()
    node_commands: list[CommandLine] = []
    options: list[AnswerOption] = []
    history: list[PathStep] = []
    custom_steps: list[CustomStep] = []
    proc_steps: list[ProcStep] = []
    proc_commands: list[CommandLine] = []
    progress_done: int = 0
    progress_total: int = 0
    note_draft: str = ""
    busy: bool = False
    insert_open: bool = False
    lib_q: str = ""
    lib_results: list[LibraryHit] = []
    complete_open: bool = False
    complete_outcome: str = "resolved"
    automation: LinkedAutomation = LinkedAutomation()  # the current step's linked automation

    def _apply(self, dto) -> None:
        d = dto.model_dump(mode="json")
        node = d.get("current_node") or {}
        self.info = SessionInfo(
            **{
                k: str(d.get(k) or "")
                for k in (
                    "id",
                    "tree_id",
                    "tree_name",
                    "tree_type",
                    "user_name",
                    "status",
                    "outcome",
                    "summary",
                    "started_at",
                    "completed_at",
                    "current_node_id",
                )
            },
            can_edit=bool(d.get("can_edit")),
        )
        self.node = NodeView(
            id=str(node.get("id") or ""),
            type=str(node.get("type") or ""),
            title=_text(node, "title"),
            description=_text(node, "description"),
            help_text=_text(node, "help_text"),
            expected_outcome=_text(node, "expected_outcome"),
        )
        self.node_commands = _commands(node.get("commands"))
        self.options = [
            AnswerOption(label=str(o.get("label") or ""), key=str(i + 1) if i < 9 else "")
            for i, o in enumerate(node.get("options") or [])
            if isinstance(o, dict)
        ]
        history = d.get("history") or []
        titles = {h.get("node_id"): h.get("title") or h.get("node_id") for h in history}
        titles[self.node.id] = self.node.title
        self.history = [
            PathStep(
                node_id=str(h.get("node_id") or ""),
                title=str(h.get("title") or h.get("node_id") or ""),
                answer=str(h.get("answer") or ""),
                notes=str(h.get("notes") or ""),
                at=str(h.get("at") or ""),
            )
            for h in history
        ]
        self.custom_steps = [_custom(c, titles) for c in d.get("custom_steps") or [] if isinstance(c, dict)]
        steps = d.get("steps") or []
        self.proc_steps = [
            ProcStep(
                id=str(s.get("id") or ""),
                type=str(s.get("type") or "procedure_step"),
                title=_text(s, "title"),
                description=_text(s, "description"),
                expected_outcome=_text(s, "expected_outcome"),
                done=bool(s.get("done")),
            )
            for s in steps
        ]
        self.proc_commands = [c for s in steps for c in _commands(s.get("commands"), str(s.get("id") or ""))]
        progress = d.get("progress") or {}
        self.progress_done, self.progress_total = int(progress.get("done") or 0), int(progress.get("total") or 0)
        self.note_draft = str(d.get("current_notes") or "")
        linked = d.get("current_automation") or {}
        self.automation = LinkedAutomation(
            id=str(linked.get("automation_id") or ""),
            name=str(linked.get("name") or ""),
            available=bool(linked.get("available")),
            reason=str(linked.get("reason") or ""),
        )
        self.busy = False

    def _call(self, fn, **kwargs):
        """Run one sessions-service call on the open session and apply the answer; returns an error toast or None."""
        got = self.try_call(fn, session_id=self.sid, **kwargs)
        if not got.ok:
            self.busy = False
            return self.refused(got)
        self._apply(got.value)
        return None

    @rx.event
    def load(self):
        """on_load: the session named in the URL."""
        self.sid = self._route_part()
        self.insert_open = self.complete_open = False
        got = self.try_call(sessions_service.get_session, session_id=self.sid)
        if not got.ok:
            self.found, self.info = False, SessionInfo()
            # A missing or foreign session: the page itself says "Session not found"; anything else
            # (logged out, database busy) is told as well.
            return None if got.status in (400, 403, 404) else self.refused(got)
        self._apply(got.value)
        self.found = True

    @rx.event
    def answer(self, label: str):
        """Answer the current decision with an option label."""
        return self._call(sessions_service.advance, node_id=self.node.id, answer=label, notes=self.note_draft or None)

    @rx.event
    def done_continue(self):
        """Mark the current action done and move on."""
        return self._call(sessions_service.advance, node_id=self.node.id, notes=self.note_draft or None)

    @rx.event
    def tick(self, step_id: str):
        """Tick one procedure step."""
        return self._call(sessions_service.advance, node_id=step_id)

    @rx.event
    def jump_back(self, node_id: str):
        """Go back to an earlier node of the path."""
        return self._call(sessions_service.back, to_node_id=node_id)

    @rx.event
    def go_back(self):
        """One step back."""
        return self._call(sessions_service.back)

    @rx.event
    def set_note_draft(self, value: str):
        """Keep the note being typed for the current node."""
        self.note_draft = value

    @rx.event
    def save_note(self):
        """Save the note on the current node."""
        return self._call(sessions_service.set_notes, node_id=self.node.id, notes=self.note_draft) or rx.toast.success(
            "Note saved."
        )

    @rx.event
    def set_insert_open(self, value: bool):
        """Open/close the insert-step dialog."""
        self.insert_open = value
        if value:
            return SessionRunState.search_library({"q": self.lib_q})

    @rx.event
    def insert_ad_hoc(self, form: dict):
        """Insert a typed step after the current node."""
        if not (form.get("content") or "").strip():
            return rx.toast.error("Type what you did first.")
        error = self._call(
            sessions_service.add_custom_step,
            type=form.get("type") or "action",
            content=form["content"].strip(),
            notes=form.get("notes") or None,
            source="ad-hoc",
            inserted_after_node_id=self.node.id or None,
        )
        if error:
            return error
        self.insert_open = False
        return rx.toast.success("Step added to the session.")

    @rx.event
    def search_library(self, form: dict):
        """Search the library inside the insert dialog."""
        self.lib_q = form.get("q", "")
        got = self.try_call(
            library_search.search_steps,
            q=self.lib_q.strip() or None,
            sort="relevance" if self.lib_q.strip() else "usage",
            limit=8,
        )
        if not got.ok:
            return self.refused(got)
        items = got.value.items
        self.lib_results = [
            LibraryHit(
                id=str(s.id),
                title=s.title,
                step_type=s.step_type,
                instructions=(s.content or {}).get("instructions") or "",
                source=s.source_tree_name or "",
            )
            for s in items
        ]

    @rx.event
    def insert_library(self, step_id: str, step_type: str):
        """Insert a library step after the current node (logs usage)."""
        error = self._call(
            sessions_service.add_custom_step,
            type=step_type or "action",
            source="step-library",
            source_step_id=step_id,
            inserted_after_node_id=self.node.id or None,
        )
        if error:
            return error
        self.insert_open = False
        return rx.toast.success("Library step added to the session.")

    @rx.event
    def open_complete(self, outcome: str):
        """Open the complete dialog with an outcome preselected."""
        self.complete_outcome, self.complete_open = outcome, True

    @rx.event
    def set_complete_open(self, value: bool):
        """Open/close the complete dialog."""
        self.complete_open = value

    @rx.event
    def set_complete_outcome(self, value: str):
        """Pick the outcome."""
        self.complete_outcome = value

    @rx.event
    def complete(self, form: dict):
        """Complete the session with the outcome and summary."""
        error = self._call(
            sessions_service.complete_session,
            outcome=self.complete_outcome,
            summary=(form.get("summary") or "").strip() or None,
        )
        if error:
            return error
        self.complete_open = False
        return rx.toast.success("Session completed.")

    @rx.event
    def save_as_flow(self):
        """Turn this completed session into a new draft flow."""
        got = self.try_call(sessions_service.save_as_flow, session_id=self.sid)
        if not got.ok:
            return self.refused(got)
        return [rx.toast.success("Saved as a new draft flow."), rx.redirect(routes.flow_url(str(got.value.id)))]

    @rx.var
    def progress_pct(self) -> int:
        """Procedure progress in percent."""
        return round(100 * self.progress_done / self.progress_total) if self.progress_total else 0
