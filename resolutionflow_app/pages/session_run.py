"""Live session runner (/sessions/[session_id]): troubleshooting node by node, or a procedure checklist."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.forms import field
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.components.library_widgets import command_row
from resolutionflow_app.components.session_widgets import ANSWER_KEYS_JS, custom_step_card, node_card
from resolutionflow_app.services import library as library_service
from resolutionflow_app.services import sessions as sessions_service
from resolutionflow_app.state.auth import AuthState

try:  # the shares area provides the share dialog; until it lands the slot below stays empty
    from resolutionflow_app.components.share_dialog import share_button
except ImportError:  # pragma: no cover - depends on the shares area
    share_button = None

OUTCOMES = [("resolved", "Resolved"), ("escalated", "Not resolved / escalated"), ("abandoned", "Abandoned")]


def _commands(raw, owner: str = "") -> list[dict[str, str]]:
    """Node commands in any stored shape (string, [{code|command, label}]) as [{label, command, owner}]."""
    if not raw:
        return []
    if isinstance(raw, str):
        return [{"label": "", "command": raw, "owner": owner}]
    if isinstance(raw, dict):
        raw = [raw]
    out = []
    for c in raw:
        if isinstance(c, str):
            out.append({"label": "", "command": c, "owner": owner})
        elif isinstance(c, dict) and (c.get("command") or c.get("code")):
            out.append({"label": c.get("label") or "", "command": c.get("command") or c.get("code") or "", "owner": owner})
    return out


def _text(node: dict, key: str) -> str:
    value = node.get(key)
    return value if isinstance(value, str) else ""


def _custom(step: dict, titles: dict[str, str]) -> dict[str, str]:
    """A stored custom step (old or enhanced structure) for display."""
    content = step.get("content")
    if isinstance(content, dict):  # tolerate a structured content
        content = content.get("instructions") or content.get("title") or ""
    content = str(content or "")
    title = str(step.get("title") or "")
    title, body = (title, content if content != title else "") if title else (content, "")
    after = step.get("inserted_after_node_id") or ""
    return {
        "type": step.get("type") or "action", "title": title, "body": body, "notes": step.get("notes") or "",
        "source": step.get("source") or "ad-hoc", "source_available": "" if step.get("source_available") is False else "1",
        "after_title": titles.get(after, after or "start"), "at": step.get("inserted_at") or "",
    }


class SessionRunState(AuthState):
    """The open session, flattened into small vars for the runner."""

    sid: str = ""
    found: bool = True
    info: dict[str, str] = {}
    node: dict[str, str] = {}
    node_commands: list[dict[str, str]] = []
    options: list[dict[str, str]] = []
    history: list[dict[str, str]] = []
    custom_steps: list[dict[str, str]] = []
    proc_steps: list[dict[str, str]] = []
    proc_commands: list[dict[str, str]] = []
    progress_done: int = 0
    progress_total: int = 0
    note_draft: str = ""
    busy: bool = False
    insert_open: bool = False
    lib_q: str = ""
    lib_results: list[dict[str, str]] = []
    complete_open: bool = False
    complete_outcome: str = "resolved"

    def _apply(self, dto) -> None:
        d = dto.model_dump(mode="json")
        node = d.get("current_node") or {}
        self.info = {k: str(d.get(k) or "") for k in ("id", "tree_id", "tree_name", "tree_type", "user_name", "status", "outcome", "summary", "started_at", "completed_at", "current_node_id")}
        self.info["can_edit"] = "1" if d.get("can_edit") else ""
        self.node = {"id": str(node.get("id") or ""), "type": str(node.get("type") or ""), "title": _text(node, "title"), "description": _text(node, "description"), "help_text": _text(node, "help_text"), "expected_outcome": _text(node, "expected_outcome")}
        self.node_commands = _commands(node.get("commands"))
        self.options = [{"label": str(o.get("label") or ""), "key": str(i + 1) if i < 9 else ""} for i, o in enumerate(node.get("options") or []) if isinstance(o, dict)]
        history = d.get("history") or []
        titles = {h.get("node_id"): h.get("title") or h.get("node_id") for h in history}
        titles[self.node["id"]] = self.node["title"]
        self.history = [{"node_id": str(h.get("node_id") or ""), "title": str(h.get("title") or h.get("node_id") or ""), "answer": str(h.get("answer") or ""), "notes": str(h.get("notes") or ""), "at": str(h.get("at") or "")} for h in history]
        self.custom_steps = [_custom(c, titles) for c in d.get("custom_steps") or [] if isinstance(c, dict)]
        steps = d.get("steps") or []
        self.proc_steps = [{"id": str(s.get("id") or ""), "type": str(s.get("type") or "procedure_step"), "title": _text(s, "title"), "description": _text(s, "description"), "expected_outcome": _text(s, "expected_outcome"), "done": "1" if s.get("done") else ""} for s in steps]
        self.proc_commands = [c for s in steps for c in _commands(s.get("commands"), str(s.get("id") or ""))]
        progress = d.get("progress") or {}
        self.progress_done, self.progress_total = int(progress.get("done") or 0), int(progress.get("total") or 0)
        self.note_draft = str(d.get("current_notes") or "")
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
        self.sid = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        self.insert_open = self.complete_open = False
        got = self.try_call(sessions_service.get_session, session_id=self.sid)
        if not got.ok:
            self.found, self.info = False, {}
            # A missing or foreign session: the page itself says "Session not found"; anything else
            # (logged out, database busy) is told as well.
            return None if got.status in (400, 403, 404) else self.refused(got)
        self._apply(got.value)
        self.found = True

    @rx.event
    def answer(self, label: str):
        """Answer the current decision with an option label."""
        return self._call(sessions_service.advance, node_id=self.node["id"], answer=label, notes=self.note_draft or None)

    @rx.event
    def done_continue(self):
        """Mark the current action done and move on."""
        return self._call(sessions_service.advance, node_id=self.node["id"], notes=self.note_draft or None)

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
        return self._call(sessions_service.set_notes, node_id=self.node["id"], notes=self.note_draft) or rx.toast.success("Note saved.")

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
        error = self._call(sessions_service.add_custom_step, type=form.get("type") or "action", content=form["content"].strip(), notes=form.get("notes") or None, source="ad-hoc", inserted_after_node_id=self.node["id"] or None)
        if error:
            return error
        self.insert_open = False
        return rx.toast.success("Step added to the session.")

    @rx.event
    def search_library(self, form: dict):
        """Search the library inside the insert dialog."""
        self.lib_q = form.get("q", "")
        got = self.try_call(library_service.list_steps, q=self.lib_q.strip() or None, sort="relevance" if self.lib_q.strip() else "usage", limit=8)
        if not got.ok:
            return self.refused(got)
        items, _ = got.value
        self.lib_results = [{"id": str(s.id), "title": s.title, "step_type": s.step_type, "instructions": (s.content or {}).get("instructions") or "", "source": s.source_tree_name or ""} for s in items]

    @rx.event
    def insert_library(self, step_id: str, step_type: str):
        """Insert a library step after the current node (logs usage)."""
        error = self._call(sessions_service.add_custom_step, type=step_type or "action", source="step-library", source_step_id=step_id, inserted_after_node_id=self.node["id"] or None)
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
        error = self._call(sessions_service.complete_session, outcome=self.complete_outcome, summary=(form.get("summary") or "").strip() or None)
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


S = SessionRunState
EDITABLE = (S.info["can_edit"] == "1") & (S.info["status"] == "in_progress")


def _crumb(h: dict, i) -> rx.Component:
    return rx.hstack(
        rx.cond(i > 0, rx.icon("chevron-right", size=14, color=rx.color("gray", 8)), rx.fragment()),
        rx.cond(
            EDITABLE,
            rx.link(h["title"], on_click=S.jump_back(h["node_id"]), size="2", cursor="pointer", data_testid="crumb"),
            rx.text(h["title"], size="2"),
        ),
        rx.cond(h["answer"] != "", rx.badge(h["answer"], variant="soft", color_scheme="gray", size="1"), rx.fragment()),
        spacing="1",
        align="center",
    )


def _breadcrumb() -> rx.Component:
    return rx.flex(
        rx.foreach(S.history, _crumb),
        rx.cond(
            (S.node["id"] != "") & (S.history.length() > 0),
            rx.hstack(rx.icon("chevron-right", size=14, color=rx.color("gray", 8)), rx.text(S.node["title"], size="2", weight="bold"), spacing="1", align="center"),
            rx.fragment(),
        ),
        wrap="wrap",
        gap="0.35rem",
        align="center",
        padding_bottom="1rem",
        data_testid="breadcrumb",
    )


def _answer_button(o: dict) -> rx.Component:
    return rx.button(
        rx.cond(o["key"] != "", rx.code(o["key"], size="1", variant="outline"), rx.fragment()),
        o["label"],
        size="3",
        variant="surface",
        color_scheme="blue",
        on_click=S.answer(o["label"]),
        loading=S.busy,
        custom_attrs={"data-answer-key": o["key"]},
        data_testid="answer-" + o["key"],
    )


def _notes() -> rx.Component:
    return rx.vstack(
        rx.text("Notes on this step", size="1", weight="bold", color_scheme="gray"),
        rx.text_area(placeholder="What did you find? (saved with the path)", value=S.note_draft, on_change=S.set_note_draft, rows="2", width="100%", data_testid="node-notes"),
        rx.button(rx.icon("save", size=14), "Save note", size="1", variant="soft", on_click=S.save_note, data_testid="save-note"),
        width="100%",
        spacing="1",
        align="start",
    )


def _node_actions() -> rx.Component:
    kind = S.node["type"]
    return rx.match(
        kind,
        ("decision", rx.vstack(rx.text("Answer (keys 1–9)", size="1", color_scheme="gray"), rx.flex(rx.foreach(S.options, _answer_button), wrap="wrap", gap="0.5rem"), spacing="2")),
        ("solution", rx.hstack(
            rx.button(rx.icon("circle-check"), "Resolved", size="3", color_scheme="green", on_click=S.open_complete("resolved"), data_testid="resolved"),
            rx.button(rx.icon("triangle-alert"), "Not resolved / escalate", size="3", color_scheme="orange", variant="soft", on_click=S.open_complete("escalated"), data_testid="escalate"),
            spacing="2",
        )),
        rx.button(rx.icon("check"), "Done, continue", size="3", color_scheme="orange", on_click=S.done_continue, loading=S.busy, data_testid="done-continue"),
    )


def _current_node() -> rx.Component:
    return node_card(
        S.node["type"],
        S.node["title"],
        rx.cond(S.node["description"] != "", rx.text(S.node["description"], size="3", white_space="pre-wrap"), rx.fragment()),
        rx.cond(S.node["help_text"] != "", rx.callout(S.node["help_text"], icon="info", size="1", variant="surface", width="100%"), rx.fragment()),
        rx.cond(S.node_commands.length() > 0, rx.vstack(rx.foreach(S.node_commands, command_row), width="100%", spacing="2"), rx.fragment()),
        rx.cond(EDITABLE, rx.fragment(_node_actions(), rx.separator(size="4"), _notes()), rx.fragment()),
    )


def _history_item(h: dict) -> rx.Component:
    return rx.hstack(
        rx.box(width="8px", height="8px", border_radius="50%", background=rx.color("accent", 9), margin_top="6px", flex_shrink="0"),
        rx.vstack(
            rx.text(h["title"], size="2", weight="medium"),
            rx.cond(h["answer"] != "", rx.text("→ " + h["answer"], size="1", color_scheme="blue"), rx.fragment()),
            rx.cond(h["notes"] != "", rx.text(h["notes"], size="1", color_scheme="gray", white_space="pre-wrap"), rx.fragment()),
            rx.cond(h["at"] != "", rx.moment(h["at"], format="HH:mm", font_size="11px", color=rx.color("gray", 9)), rx.fragment()),
            spacing="0",
            align="start",
        ),
        spacing="2",
        align="start",
        width="100%",
    )


def _side_panel() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.text("Path taken", size="2", weight="bold"),
                rx.cond(S.history.length() > 0, rx.vstack(rx.foreach(S.history, _history_item), spacing="2", width="100%"), rx.text("Nothing answered yet.", size="1", color_scheme="gray")),
                width="100%",
                spacing="2",
            ),
            width="100%",
            data_testid="history",
        ),
        rx.card(
            rx.vstack(
                rx.hstack(rx.text("Inserted steps", size="2", weight="bold"), rx.spacer(), rx.cond(EDITABLE, _insert_dialog(), rx.fragment()), width="100%", align="center"),
                rx.cond(S.custom_steps.length() > 0, rx.vstack(rx.foreach(S.custom_steps, custom_step_card), spacing="2", width="100%"), rx.text(rx.cond(EDITABLE, "Add a step that is not in the flow: type it, or pick one from the library.", "No steps were inserted."), size="1", color_scheme="gray")),
                width="100%",
                spacing="2",
            ),
            width="100%",
        ),
        width="100%",
        spacing="3",
    )


def _library_result(r: dict) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(kind_badge(r["step_type"]), rx.text(r["title"], weight="medium", size="2"), spacing="2", align="center"),
            rx.text(r["instructions"], size="1", color_scheme="gray", style={"display": "-webkit-box", "WebkitLineClamp": "2", "WebkitBoxOrient": "vertical", "overflow": "hidden"}),
            rx.cond(r["source"] != "", rx.text("From flow: " + r["source"], size="1", color_scheme="violet"), rx.fragment()),
            spacing="1",
            align="start",
            width="100%",
        ),
        rx.button(rx.icon("plus", size=14), "Insert", size="1", on_click=S.insert_library(r["id"], r["step_type"]), data_testid="insert-library-step"),
        width="100%",
        align="center",
        padding_y="0.4rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _insert_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("list-plus", size=14), "Insert step", size="1", variant="soft", data_testid="insert-step")),
        rx.dialog.content(
            rx.dialog.title("Insert a step"),
            rx.dialog.description("It is added after “" + S.node["title"] + "” and kept with the session.", size="2", color_scheme="gray"),
            rx.tabs.root(
                rx.tabs.list(rx.tabs.trigger("Type a step", value="ad-hoc", data_testid="tab-ad-hoc"), rx.tabs.trigger("From the library", value="library", data_testid="tab-library")),
                rx.tabs.content(
                    rx.form(
                        rx.vstack(
                            field("What did you do?", rx.text_area(name="content", rows="3", width="100%", placeholder="e.g. Checked the Meraki dashboard for AP status", data_testid="ad-hoc-content")),
                            rx.hstack(
                                field("Type", rx.select(["action", "solution"], name="type", default_value="action")),
                                field("Notes", rx.input(name="notes", placeholder="Optional", width="100%", data_testid="ad-hoc-notes")),
                                width="100%",
                            ),
                            rx.hstack(rx.button("Add step", type="submit", data_testid="ad-hoc-submit"), justify="end", width="100%"),
                            spacing="3",
                            padding_top="0.75rem",
                        ),
                        on_submit=S.insert_ad_hoc,
                        reset_on_submit=True,
                    ),
                    value="ad-hoc",
                ),
                rx.tabs.content(
                    rx.vstack(
                        rx.form(
                            rx.hstack(
                                rx.input(rx.input.slot(rx.icon("search", size=14)), name="q", default_value=S.lib_q, placeholder="Search the library…", width="100%", data_testid="library-picker-search"),
                                rx.button("Search", type="submit"),
                                width="100%",
                            ),
                            on_submit=S.search_library,
                            width="100%",
                        ),
                        rx.scroll_area(
                            rx.cond(S.lib_results.length() > 0, rx.vstack(rx.foreach(S.lib_results, _library_result), spacing="0", width="100%"), rx.text("No library steps match.", size="2", color_scheme="gray")),
                            max_height="320px",
                            type="auto",
                        ),
                        spacing="3",
                        padding_top="0.75rem",
                        width="100%",
                    ),
                    value="library",
                ),
                default_value="ad-hoc",
            ),
            max_width="600px",
        ),
        open=S.insert_open,
        on_open_change=S.set_insert_open,
    )


def _complete_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Complete the session"),
            rx.form(
                rx.vstack(
                    field("Outcome", rx.radio_group.root(
                        rx.flex(*[rx.radio_group.item(label, value=v) for v, label in OUTCOMES], direction="column", gap="0.25rem"),
                        value=S.complete_outcome,
                        on_change=S.set_complete_outcome,
                    )),
                    field("Summary", rx.text_area(name="summary", rows="4", width="100%", placeholder="What was wrong and what fixed it", data_testid="complete-summary")),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Complete session", type="submit", data_testid="complete-submit"),
                        justify="end",
                        width="100%",
                        spacing="2",
                    ),
                    spacing="3",
                ),
                on_submit=S.complete,
            ),
            max_width="520px",
        ),
        open=S.complete_open,
        on_open_change=S.set_complete_open,
    )


def _proc_command(c: dict, step_id) -> rx.Component:
    return rx.cond(c["owner"] == step_id, command_row(c), rx.fragment())


def _proc_step(s: dict) -> rx.Component:
    return rx.cond(
        s["type"] == "section_header",
        rx.heading(s["title"], size="3", padding_top="1rem", color=rx.color("gray", 11), data_testid="section"),
        rx.cond(
            s["type"] == "procedure_end",
            rx.hstack(rx.icon("flag", size=16, color=rx.color("green", 9)), rx.text(s["title"], weight="medium"), padding_top="0.75rem", align="center"),
            rx.box(
                rx.hstack(
                    rx.checkbox(
                        checked=s["done"] == "1",
                        disabled=(s["done"] == "1") | ~EDITABLE,
                        on_change=lambda _v: S.tick(s["id"]),
                        size="3",
                        data_testid="tick",
                    ),
                    rx.vstack(
                        rx.text(s["title"], weight="medium", text_decoration=rx.cond(s["done"] == "1", "line-through", "none"), color=rx.cond(s["done"] == "1", rx.color("gray", 10), rx.color("gray", 12))),
                        rx.cond(s["description"] != "", rx.text(s["description"], size="2", color_scheme="gray"), rx.fragment()),
                        rx.cond(s["expected_outcome"] != "", rx.text(rx.text.strong("Expected: "), s["expected_outcome"], size="2"), rx.fragment()),
                        rx.foreach(S.proc_commands, lambda c: _proc_command(c, s["id"])),
                        spacing="1",
                        width="100%",
                        align="start",
                    ),
                    spacing="3",
                    align="start",
                    width="100%",
                ),
                padding="0.75rem",
                border=f"1px solid {rx.color('gray', 5)}",
                border_left=f"4px solid {rx.color('orange', 9)}",
                border_radius="var(--radius-3)",
                background=rx.cond(s["done"] == "1", rx.color("green", 2), rx.color("gray", 1)),
                width="100%",
                data_testid="proc-step",
            ),
        ),
    )


def _procedure() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(S.progress_done.to_string() + " of " + S.progress_total.to_string() + " steps done", weight="medium", data_testid="progress"),
            rx.progress(value=S.progress_pct, width="240px"),
            rx.spacer(),
            rx.cond(EDITABLE, rx.button(rx.icon("flag"), "Complete", color_scheme="green", variant=rx.cond(S.progress_done == S.progress_total, "solid", "soft"), on_click=S.open_complete(rx.cond(S.progress_done == S.progress_total, "resolved", "abandoned")), data_testid="complete-procedure"), rx.fragment()),
            width="100%",
            align="center",
            spacing="3",
        ),
        rx.foreach(S.proc_steps, _proc_step),
        width="100%",
        spacing="2",
    )


def _finished() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.hstack(rx.text("Session completed", weight="bold"), kind_badge(S.info["outcome"]), rx.cond(S.info["completed_at"] != "", rx.moment(S.info["completed_at"], from_now=True, font_size="12px"), rx.fragment()), spacing="2", align="center"),
            rx.cond(S.info["summary"] != "", rx.text(S.info["summary"], size="2", white_space="pre-wrap"), rx.fragment()),
            spacing="1",
        ),
        icon="circle-check",
        color_scheme=rx.cond(S.info["outcome"] == "resolved", "green", "gray"),
        width="100%",
        data_testid="session-completed",
    )


def _header_actions() -> rx.Component:
    owner = S.info["can_edit"] == "1"
    return rx.hstack(
        rx.cond(
            EDITABLE & (S.history.length() > 0),
            rx.button(rx.icon("undo-2", size=14), rx.cond(S.info["tree_type"] == "troubleshooting", "Back", "Undo last tick"), variant="soft", on_click=S.go_back, data_testid="back"),
            rx.fragment(),
        ),
        rx.cond(EDITABLE, rx.button(rx.icon("flag", size=14), "Complete…", variant="soft", color_scheme="gray", on_click=S.open_complete("abandoned"), data_testid="complete-any"), rx.fragment()),
        rx.cond(
            owner & (S.info["status"] == "completed") & (S.info["tree_type"] == "troubleshooting"),
            rx.button(rx.icon("git-branch-plus", size=14), "Save session as flow", variant="soft", on_click=S.save_as_flow, data_testid="save-as-flow"),
            rx.fragment(),
        ),
        # Share slot: components/share_dialog.share_button(session_id_var) from the shares area, owner only.
        rx.cond(owner, share_button(S.info["id"]), rx.fragment()) if share_button is not None else rx.fragment(),
        spacing="2",
        align="center",
    )


@rx.page(route=routes.SESSIONS + "/[session_id]", title="Session · ResolutionFlow", on_load=[AuthState.check_login, SessionRunState.load])
def session_run_page() -> rx.Component:
    """The live session runner."""
    return app_layout(
        rx.script(ANSWER_KEYS_JS),
        rx.cond(
            S.info.get("id", "") != "",
            rx.fragment(
                rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text("Sessions", size="2"), spacing="1", align="center"), href=routes.SESSIONS, underline="none"),
                page_header(S.info["tree_name"], _header_actions()),
                rx.hstack(
                    kind_badge(S.info["tree_type"]),
                    kind_badge(S.info["status"]),
                    rx.text(rx.cond(S.info["can_edit"] == "1", "Your session", "Started by " + S.info["user_name"]), " · started ", size="2", color_scheme="gray"),
                    rx.moment(S.info["started_at"], from_now=True, font_size="14px", color=rx.color("gray", 10)),
                    spacing="2",
                    align="center",
                    margin_top="-0.75rem",
                    padding_bottom="1rem",
                ),
                rx.cond(
                    S.info["can_edit"] != "1",
                    rx.callout("Read-only: only " + S.info["user_name"] + " can change this session.", icon="eye", color_scheme="gray", size="1", width="100%", margin_bottom="1rem", data_testid="read-only"),
                    rx.fragment(),
                ),
                rx.cond(S.info["status"] == "completed", rx.box(_finished(), padding_bottom="1rem", width="100%"), rx.fragment()),
                rx.cond(
                    S.info["tree_type"] == "troubleshooting",
                    rx.fragment(
                        _breadcrumb(),
                        rx.grid(
                            rx.vstack(
                                rx.cond(S.node["id"] != "", _current_node(), rx.fragment()),
                                width="100%",
                            ),
                            _side_panel(),
                            columns="3fr 2fr",
                            spacing="4",
                            width="100%",
                            align_items="start",
                        ),
                    ),
                    rx.grid(
                        _procedure(),
                        _side_panel(),
                        columns="3fr 2fr",
                        spacing="4",
                        width="100%",
                        align_items="start",
                    ),
                ),
                _complete_dialog(),
            ),
            rx.cond(
                S.found,
                rx.center(rx.spinner(size="3"), padding="4rem"),
                empty_state("search-x", "Session not found", "It may have been deleted, or it belongs to another account.", rx.link(rx.button("Back to sessions"), href=routes.SESSIONS)),
            ),
        ),
    )
