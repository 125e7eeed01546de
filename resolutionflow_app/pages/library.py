"""Step library browser: search, filters, sort, pagination, detail panel, manual step editing, ratings."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import reflex as rx

from resolutionflow_app import routes
from resolutionflow_app.components.badges import kind_badge
from resolutionflow_app.components.forms import error_callout, field
from resolutionflow_app.components.layout import app_layout, empty_state, page_header
from resolutionflow_app.components.library_widgets import (
    chip,
    command_row,
    highlighted,
    id_select,
    pager,
    rating_text,
    star_picker,
    static_select,
)
from resolutionflow_app.components.tables import clamp
from resolutionflow_app.domain.search_text import highlight_segments, search_tokens, total_label
from resolutionflow_app.domain.tree_schema import normalize_commands
from resolutionflow_app.services import library as library_service
from resolutionflow_app.services import library_search, step_categories
from resolutionflow_app.services import trees as trees_service
from resolutionflow_app.state.auth import AuthState
from resolutionflow_app.state.paging import MAX_FILTER_LENGTH, PagedListMixin
from resolutionflow_app.state.rows import Choice, CommandLine, LibraryStep, TextSegment

PAGE_SIZE = 20
SORTS = [("relevance", "Relevance"), ("usage", "Most used"), ("rating", "Best rated"), ("newest", "Newest")]
TYPES = [("all", "All types"), ("action", "Action"), ("solution", "Solution")]
VISIBILITIES = [("all", "Any visibility"), ("private", "Private"), ("team", "Team"), ("public", "Public")]
ORIGINS = [("all", "Flow + manual"), ("flow", "From flows"), ("manual", "Manual")]


def _filter_options(*, session, actor) -> tuple:
    """Categories, group labels and published flows for the filters, in one transaction."""
    flows, _ = trees_service.list_trees(session=session, actor=actor, status="published", limit=200)
    return (
        library_service.list_categories(session=session, actor=actor),
        library_service.list_group_labels(session=session, actor=actor),
        flows,
    )


def _add_category(*, session, actor, name: str) -> tuple:
    """Create a category and return it with the updated list."""
    cat = library_service.create_category(session=session, actor=actor, name=name)
    return cat, library_service.list_categories(session=session, actor=actor)


def _flat(step) -> LibraryStep:
    """A library step DTO as a typed row for the list and the detail panel."""
    data = step.model_dump(mode="json")
    content = data.get("content") or {}
    avg = data.get("rating_avg")
    return LibraryStep(
        id=data["id"],
        title=data["title"],
        step_type=data["step_type"],
        visibility=data["visibility"],
        instructions=content.get("instructions") or "",
        help_text=content.get("help_text") or "",
        group_label=content.get("group_label") or "",
        category_id=data.get("category_id") or "",
        category_name=data.get("category_name") or "",
        synced=bool(data.get("is_flow_synced")),
        source_tree_id=data.get("source_tree_id") or "",
        source_tree_name=data.get("source_tree_name") or "",
        usage_count=int(data.get("usage_count") or 0),
        rating_avg=f"{avg:.1f}" if avg else "0",
        rating_count=str(data.get("rating_count") or 0),
        my_rating=int(data.get("my_rating") or 0),
        created_by_name=data.get("created_by_name") or "",
        can_edit=bool(data.get("can_edit")),
        used_in_flows=int(data.get("used_in_flows") or 1),
        commands_text="\n".join(
            f"{c.get('label') or ''} | {c.get('command') or ''}" if c.get("label") else (c.get("command") or "")
            for c in content.get("commands") or []
        ),
    )


def _commands(step) -> list[CommandLine]:
    return [
        CommandLine(label=str(c["label"]), command=c["command"] or "")
        for c in normalize_commands((step.content or {}).get("commands"))
    ]


def _parse_commands(text: str) -> list[dict[str, str]]:
    """One command per line; "label | command" names it."""
    out = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        label, sep, command = line.partition(" | ")
        out.append(
            {"label": label.strip(), "command": command.strip(), "command_type": "shell"}
            if sep
            else {"label": "", "command": line.strip(), "command_type": "shell"}
        )
    return out


class LibraryState(PagedListMixin, AuthState):
    """One page of library steps, the filters, the selected step and the editor dialog."""

    items: list[LibraryStep] = []
    # Per item: its title as segments, matched words marked (rendered as text).
    title_parts: list[list[TextSegment]] = []
    total: int = 0
    total_capped: bool = False
    total_text: str = ""  # "23 steps", "1,000+ steps"
    pager_total: str = "0"  # "23", "1,000+"
    PAGE_SIZE: ClassVar[int] = PAGE_SIZE
    FILTERS: ClassVar[frozenset[str]] = frozenset(
        {"q", "step_type", "category_id", "group_label", "visibility", "origin", "source_tree_id", "sort"}
    )
    loading: bool = False
    q: str = ""
    step_type: str = "all"
    category_id: str = "all"
    group_label: str = "all"
    visibility: str = "all"
    origin: str = "all"
    source_tree_id: str = "all"
    sort: str = "relevance"
    categories: list[Choice] = []
    group_labels: list[Choice] = []
    flows: list[Choice] = []
    selected: LibraryStep = LibraryStep()  # id "" = nothing selected
    selected_commands: list[CommandLine] = []
    editor_open: bool = False
    editor: LibraryStep = LibraryStep()  # category_id "none" = no category
    editor_error: str = ""
    categories_open: bool = False

    @rx.event
    def load(self):
        """on_load: filter options, then the first page."""
        out = self.try_call(_filter_options)
        if out.error:
            return self.refused(out)
        categories, labels, flows = out.value
        self.categories = [Choice(id=str(c.id), name=c.name) for c in categories]
        self.group_labels = [Choice(id=g, name=g) for g in labels]
        self.flows = [Choice(id=str(f.id), name=f.name) for f in flows]
        self.offset = 0
        return LibraryState.fetch

    @rx.event
    def fetch(self):
        """Load the current page with the current filters."""
        pick = lambda v: None if v == "all" else v  # noqa: E731
        out = self.try_call(
            library_search.search_steps,
            q=self.q.strip() or None,
            step_type=pick(self.step_type),
            category_id=pick(self.category_id),
            group_label=pick(self.group_label),
            visibility=pick(self.visibility),
            is_flow_synced={"all": None, "flow": True, "manual": False}.get(self.origin),
            source_tree_id=pick(self.source_tree_id),
            sort=self.sort,
            limit=PAGE_SIZE,
            offset=self.offset,
            distinct=True,
        )
        self.loading = False
        if out.error:
            return self.refused(out)
        found, tokens = out.value, search_tokens(self.q)
        self.total, self.total_capped = found.total, found.total_capped
        self.total_text = total_label(found.total, found.total_capped)
        self.pager_total = f"{found.total:,}" + ("+" if found.total_capped else "")
        self.items = [_flat(s) for s in found.items]
        self.title_parts = [
            [TextSegment(text=part, hit=hit) for part, hit in highlight_segments(s.title, tokens)] for s in found.items
        ]
        return None

    @rx.event
    def search(self, form: dict):
        """Search form submit (Enter)."""
        self.q, self.offset, self.loading = str(form.get("q", ""))[:MAX_FILTER_LENGTH], 0, True
        return LibraryState.fetch

    @rx.event
    def type_query(self, value: str):
        """Search as you type (the input debounces keystrokes): first page of the new query."""
        self.q, self.offset = str(value or "")[:MAX_FILTER_LENGTH], 0
        return LibraryState.fetch

    @rx.event
    def select(self, step_id: str):
        """Open a step in the detail panel."""
        out = self.try_call(library_service.get_step, step_id=step_id)
        if out.error:
            return self.refused(out)
        self.selected, self.selected_commands = _flat(out.value), _commands(out.value)
        # Phones show the detail above the list: bring it into view.
        return rx.call_script("window.innerWidth < 768 && window.scrollTo({top: 0})")

    @rx.event
    def close_detail(self):
        """Close the detail panel."""
        self.selected, self.selected_commands = LibraryStep(), []

    @rx.event
    def rate(self, rating: int):
        """Rate the selected step 1–5 (replaces your earlier rating)."""
        out = self.try_call(library_service.rate_step, step_id=self.selected.id, rating=rating)
        if out.error:
            return self.refused(out)
        self.selected = _flat(out.value)
        return [LibraryState.fetch, rx.toast.success(f"Rated {rating} of 5.")]

    @rx.event
    def fork(self):
        """Save a personal copy of the selected step."""
        out = self.try_call(library_service.fork_step, step_id=self.selected.id)
        if out.error:
            return self.refused(out)
        self.selected, self.selected_commands = _flat(out.value), _commands(out.value)
        return [LibraryState.fetch, rx.toast.success("Saved to your library as a private copy.")]

    @rx.event
    def delete(self):
        """Delete the selected (own, manual) step."""
        out = self.try_call(library_service.delete_step, step_id=self.selected.id)
        if out.error:
            return self.refused(out)
        self.selected, self.selected_commands = LibraryStep(), []
        return [LibraryState.fetch, rx.toast.success("Step deleted.")]

    @rx.event
    def open_editor(self, new: bool):
        """Open the editor for a new step or the selected one."""
        self.editor = (
            LibraryStep(category_id="none")
            if new
            else dataclasses.replace(self.selected, category_id=self.selected.category_id or "none")
        )
        self.editor_error, self.editor_open = "", True

    @rx.event
    def set_editor_open(self, value: bool):
        """Open/close the editor dialog."""
        self.editor_open = value

    @rx.event
    def save(self, form: dict):
        """Create or update a manual step from the editor form."""
        content = {
            "instructions": form.get("instructions", ""),
            "help_text": form.get("help_text", ""),
            "group_label": form.get("group_label") or None,
            "commands": _parse_commands(form.get("commands_text", "")),
        }
        category = None if form.get("category_id") in (None, "", "none") else form["category_id"]
        fields = {
            "title": form.get("title", "").strip(),
            "step_type": form.get("step_type") or "action",
            "content": content,
            "visibility": form.get("visibility") or "team",
            "category_id": category,
        }
        if self.editor.id:
            out = self.try_call(library_service.update_step, step_id=self.editor.id, changes=fields)
        else:
            out = self.try_call(library_service.create_step, **fields)
        if out.error:
            self.editor_error = out.error
            return None
        self.selected, self.selected_commands = _flat(out.value), _commands(out.value)
        self.editor_open = False
        return [LibraryState.fetch, rx.toast.success("Step saved.")]

    @rx.event
    def file_step(self, category_id: str):
        """Put the selected step (flow-synced too) into a category, or none."""
        step_id = self.selected.id
        out = self.try_call(
            step_categories.assign_category,
            step_id=step_id,
            category_id=None if category_id in ("", "none") else category_id,
        )
        if out.error:
            return self.refused(out)
        name = next((c.name for c in self.categories if c.id == category_id), "")
        filed = "" if category_id == "none" else category_id
        self.selected = dataclasses.replace(self.selected, category_id=filed, category_name=name)
        self.items = [
            dataclasses.replace(i, category_id=filed, category_name=name) if i.id == step_id else i for i in self.items
        ]
        return rx.toast.success(f"Filed under “{name}”." if name else "Removed from its category.")

    @rx.event
    def set_categories_open(self, value: bool):
        """Open or close the category manager."""
        self.categories_open = value

    @rx.event
    def create_category(self, form: dict):
        """Add a category from the manager."""
        out = self.try_call(_add_category, name=str(form.get("name") or "").strip())
        if out.error:
            return self.refused(out)
        self.categories = [Choice(id=str(c.id), name=c.name) for c in out.value[1]]
        return rx.toast.success(f"Category “{out.value[0].name}” added.")

    @rx.event
    def rename_category(self, category_id: str, name: str):
        """Rename a category (owners)."""
        out = self.try_call(step_categories.rename_category, category_id=category_id, name=name)
        if out.error:
            return self.refused(out)
        self.categories = [
            dataclasses.replace(c, name=out.value.name) if c.id == category_id else c for c in self.categories
        ]
        return [rx.toast.success("Category renamed."), LibraryState.fetch]

    @rx.event
    def delete_category(self, category_id: str):
        """Delete a category (owners); its steps stay, without it."""
        out = self.try_call(step_categories.delete_category, category_id=category_id)
        if out.error:
            return self.refused(out)
        self.categories = [c for c in self.categories if c.id != category_id]
        if self.category_id == category_id:
            self.category_id = "all"
        kept = out.value
        note = (
            ""
            if not kept
            else (" Its step stays in the library." if kept == 1 else f" Its {kept} steps stay in the library.")
        )
        return [rx.toast.success(f"Category deleted.{note}"), LibraryState.fetch]

    @rx.event
    def add_category(self, form: dict):
        """Create a category from the editor's small form."""
        out = self.try_call(_add_category, name=form.get("name", "").strip())
        if out.error:
            return self.refused(out)
        cat, categories = out.value
        self.categories = [Choice(id=str(c.id), name=c.name) for c in categories]
        self.editor = dataclasses.replace(self.editor, category_id=str(cat.id))
        return rx.toast.success(f"Category “{cat.name}” added.")


def _filters() -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    name="q",
                    placeholder="Search titles and instructions…",
                    value=LibraryState.q,
                    on_change=LibraryState.type_query,
                    debounce_timeout=250,
                    flex="1 1 14rem",
                    data_testid="library-search",
                ),
                rx.hstack(
                    rx.icon("arrow-up-down", size=14, color=rx.color("gray", 10)),
                    static_select(
                        LibraryState.sort, lambda v: LibraryState.set_filter("sort", v), SORTS, "sort", "140px"
                    ),
                    align="center",
                    spacing="1",
                ),
                rx.button("Search", type="submit", loading=LibraryState.loading, data_testid="library-search-submit"),
                width="100%",
                wrap="wrap",
            ),
            on_submit=LibraryState.search,
            width="100%",
        ),
        rx.flex(
            static_select(
                LibraryState.step_type, lambda v: LibraryState.set_filter("step_type", v), TYPES, "filter-type", "130px"
            ),
            id_select(
                LibraryState.category_id,
                lambda v: LibraryState.set_filter("category_id", v),
                LibraryState.categories,
                "All categories",
                "filter-category",
                "160px",
            ),
            id_select(
                LibraryState.group_label,
                lambda v: LibraryState.set_filter("group_label", v),
                LibraryState.group_labels,
                "All groups",
                "filter-group",
                "150px",
            ),
            static_select(
                LibraryState.visibility,
                lambda v: LibraryState.set_filter("visibility", v),
                VISIBILITIES,
                "filter-visibility",
                "150px",
            ),
            static_select(
                LibraryState.origin, lambda v: LibraryState.set_filter("origin", v), ORIGINS, "filter-origin", "150px"
            ),
            id_select(
                LibraryState.source_tree_id,
                lambda v: LibraryState.set_filter("source_tree_id", v),
                LibraryState.flows,
                "Any source flow",
                "filter-flow",
                "180px",
            ),
            wrap="wrap",
            spacing="2",
            width="100%",
        ),
        width="100%",
        spacing="3",
        padding_bottom="1rem",
    )


def _from_flow_chip(item: rx.Var) -> rx.Component:
    return rx.cond(
        item.synced,
        rx.link(
            chip("git-fork", "From flow: " + item.source_tree_name, color_scheme="violet", variant="surface"),
            href=routes.FLOWS + "/" + item.source_tree_id,
            underline="none",
            max_width="100%",
            data_testid="from-flow-chip",
        ),
        rx.fragment(),
    )


def _row(item: rx.Var, index: rx.Var) -> rx.Component:
    active = LibraryState.selected.id == item.id
    return rx.box(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    kind_badge(item.step_type),
                    highlighted(
                        LibraryState.title_parts[index],
                        weight="medium",
                        size="3",
                        style=clamp(2),
                        title=item.title,
                        data_testid="library-item-title",
                    ),
                    align="center",
                    spacing="2",
                    max_width="100%",
                ),
                rx.text(item.instructions, size="2", color_scheme="gray", style=clamp(2)),
                rx.flex(
                    _from_flow_chip(item),
                    rx.cond(
                        item.group_label != "",
                        chip("layers", item.group_label, color_scheme="gray", variant="soft"),
                        rx.fragment(),
                    ),
                    rx.cond(
                        item.category_name != "",
                        chip("tag", item.category_name, color_scheme="gray", variant="outline"),
                        rx.fragment(),
                    ),
                    rx.cond(
                        item.used_in_flows != 1,
                        rx.badge(
                            rx.icon("git-fork", size=12),
                            "used in " + item.used_in_flows.to_string() + " flows",
                            color_scheme="violet",
                            variant="soft",
                            data_testid="used-in-flows",
                        ),
                        rx.fragment(),
                    ),
                    kind_badge(item.visibility),
                    wrap="wrap",
                    spacing="2",
                    width="100%",
                ),
                spacing="1",
                align="start",
                width="100%",
                min_width="0",
            ),
            rx.vstack(
                rx.hstack(
                    rx.icon("activity", size=14, color=rx.color("gray", 9)),
                    rx.text(item.usage_count.to_string() + rx.cond(item.usage_count == 1, " use", " uses"), size="1"),
                    spacing="1",
                    align="center",
                ),
                rating_text(item.rating_avg, item.rating_count),
                align="end",
                spacing="1",
                min_width="90px",
                flex_shrink="0",
                data_testid="library-item-stats",
            ),
            width="100%",
            align="start",
        ),
        padding="0.75rem 1rem",
        border_radius="var(--radius-3)",
        border=rx.cond(active, f"1px solid {rx.color('accent', 8)}", f"1px solid {rx.color('gray', 5)}"),
        background=rx.cond(active, rx.color("accent", 2), rx.color("gray", 1)),
        cursor="pointer",
        _hover={"background": rx.color("gray", 3)},
        on_click=LibraryState.select(item.id),
        width="100%",
        data_testid="library-item",
    )


def _delete_button() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                rx.icon("trash-2", size=14),
                "Delete",
                color_scheme="red",
                variant="soft",
                size="2",
                data_testid="step-delete",
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this step?"),
            rx.alert_dialog.description(
                "It leaves the library. Sessions that used it keep their copy and show it as no longer available."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Delete", color_scheme="red", on_click=LibraryState.delete, data_testid="step-delete-confirm"
                    )
                ),
                justify="end",
                spacing="2",
                padding_top="1rem",
            ),
        ),
    )


def _detail() -> rx.Component:
    s = LibraryState.selected
    return rx.card(
        rx.vstack(
            rx.hstack(
                kind_badge(s.step_type),
                rx.spacer(),
                rx.icon_button(
                    rx.icon("x", size=16),
                    variant="ghost",
                    size="1",
                    on_click=LibraryState.close_detail,
                    aria_label="Close",
                ),
                width="100%",
            ),
            rx.heading(s.title, size="4", overflow_wrap="anywhere", max_width="100%", data_testid="step-detail-title"),
            rx.cond(
                s.synced,
                rx.text(
                    "Sourced from: ",
                    rx.link(
                        s.source_tree_name,
                        href=routes.FLOWS + "/" + s.source_tree_id,
                        data_testid="sourced-from-link",
                    ),
                    size="2",
                    overflow_wrap="anywhere",
                    max_width="100%",
                ),
                rx.text(
                    "Written by " + s.created_by_name,
                    size="2",
                    color_scheme="gray",
                    overflow_wrap="anywhere",
                    max_width="100%",
                ),
            ),
            rx.flex(
                rx.cond(
                    s.group_label != "",
                    chip("layers", "Group: " + s.group_label, variant="soft", color_scheme="gray"),
                    rx.fragment(),
                ),
                rx.cond(
                    s.category_name != "",
                    chip("tag", s.category_name, variant="outline", color_scheme="gray"),
                    rx.fragment(),
                ),
                kind_badge(s.visibility),
                wrap="wrap",
                spacing="2",
                width="100%",
            ),
            rx.cond(
                AuthState.can_author,
                rx.hstack(
                    rx.text("Category", size="2", color_scheme="gray"),
                    rx.select.root(
                        rx.select.trigger(placeholder="No category", width="200px", data_testid="step-category"),
                        rx.select.content(
                            rx.select.item("No category", value="none"),
                            rx.foreach(LibraryState.categories, lambda c: rx.select.item(c.name, value=c.id)),
                        ),
                        value=rx.cond(s.category_id != "", s.category_id, "none"),
                        on_change=LibraryState.file_step,
                        size="1",
                    ),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                rx.fragment(),
            ),
            rx.separator(size="4"),
            rx.text("Instructions", size="1", weight="bold", color_scheme="gray"),
            rx.text(
                rx.cond(s.instructions != "", s.instructions, "—"),
                size="2",
                white_space="pre-wrap",
                overflow_wrap="anywhere",
                max_width="100%",
            ),
            rx.cond(
                s.help_text != "",
                rx.callout(s.help_text, icon="info", size="1", variant="surface", width="100%"),
                rx.fragment(),
            ),
            rx.cond(
                LibraryState.selected_commands.length() > 0,
                rx.vstack(
                    rx.text("Commands", size="1", weight="bold", color_scheme="gray"),
                    rx.foreach(LibraryState.selected_commands, command_row),
                    width="100%",
                    spacing="2",
                ),
                rx.fragment(),
            ),
            rx.separator(size="4"),
            rx.hstack(
                rx.text(
                    "Used "
                    + s.usage_count.to_string()
                    + rx.cond(s.usage_count == 1, " time", " times")
                    + " in sessions",
                    size="2",
                    color_scheme="gray",
                ),
                rx.spacer(),
                rating_text(s.rating_avg, s.rating_count),
                width="100%",
            ),
            rx.hstack(
                rx.text("Your rating", size="2"),
                star_picker(s.my_rating, LibraryState.rate),
                align="center",
                spacing="3",
            ),
            rx.separator(size="4"),
            rx.cond(
                s.synced,
                rx.hstack(
                    rx.tooltip(
                        rx.icon("lock", size=16, color=rx.color("gray", 10)),
                        content="Managed by source flow — fork to customize",
                    ),
                    rx.text(
                        "Managed by source flow — fork to customize",
                        size="2",
                        color_scheme="gray",
                        data_testid="synced-lock",
                    ),
                    align="center",
                    spacing="2",
                ),
                rx.fragment(),
            ),
            rx.flex(
                rx.button(
                    rx.icon("copy-plus", size=14),
                    "Save to my library",
                    variant="soft",
                    on_click=LibraryState.fork,
                    data_testid="step-fork",
                ),
                rx.cond(
                    ~s.synced & s.can_edit,
                    rx.fragment(
                        rx.button(
                            rx.icon("pencil", size=14),
                            "Edit",
                            variant="soft",
                            on_click=LibraryState.open_editor(False),
                            data_testid="step-edit",
                        ),
                        _delete_button(),
                    ),
                    rx.fragment(),
                ),
                wrap="wrap",
                spacing="2",
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
        data_testid="step-detail",
    )


def _category_row(c: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.cond(
            AuthState.is_owner,
            rx.input(
                default_value=c.name,
                on_blur=lambda v: LibraryState.rename_category(c.id, v),
                max_length=100,
                size="2",
                flex="1",
                min_width="0",
                aria_label="Category name",
                data_testid="category-name",
            ),
            rx.text(c.name, size="2", flex="1", overflow_wrap="anywhere"),
        ),
        rx.cond(
            AuthState.is_owner,
            rx.alert_dialog.root(
                rx.alert_dialog.trigger(
                    rx.icon_button(
                        rx.icon("trash-2", size=14),
                        size="1",
                        variant="ghost",
                        color_scheme="red",
                        aria_label="Delete category",
                        data_testid="category-delete",
                    )
                ),
                rx.alert_dialog.content(
                    rx.alert_dialog.title("Delete “" + c.name + "”?"),
                    rx.alert_dialog.description("Its steps stay in the library, without a category."),
                    rx.hstack(
                        rx.alert_dialog.cancel(rx.button("Keep", variant="soft", color_scheme="gray")),
                        rx.alert_dialog.action(
                            rx.button(
                                "Delete",
                                color_scheme="red",
                                on_click=LibraryState.delete_category(c.id),
                                data_testid="category-delete-confirm",
                            )
                        ),
                        justify="end",
                        spacing="2",
                        padding_top="1rem",
                    ),
                ),
            ),
            rx.fragment(),
        ),
        width="100%",
        align="center",
        spacing="2",
        data_testid="category-row",
    )


def _categories_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("tags", size=16),
                "Categories",
                variant="soft",
                color_scheme="gray",
                data_testid="manage-categories",
            )
        ),
        rx.dialog.content(
            rx.dialog.title("Categories"),
            rx.dialog.description(
                rx.cond(
                    AuthState.is_owner,
                    "Rename a category by editing its name (saved when you leave the field). File steps from their "
                    "detail panel.",
                    "Owners rename and delete categories; you can add them and file steps into them.",
                ),
                size="2",
            ),
            rx.vstack(
                rx.cond(
                    LibraryState.categories.length() > 0,
                    rx.foreach(LibraryState.categories, _category_row),
                    rx.text("No categories yet.", size="2", color_scheme="gray"),
                ),
                rx.cond(
                    AuthState.can_author,
                    rx.form(
                        rx.hstack(
                            rx.input(
                                name="name",
                                placeholder="New category",
                                required=True,
                                max_length=100,
                                size="2",
                                flex="1",
                                data_testid="category-new-name",
                            ),
                            rx.button(rx.icon("plus", size=14), "Add", type="submit", data_testid="category-add"),
                            width="100%",
                            spacing="2",
                        ),
                        on_submit=LibraryState.create_category,
                        reset_on_submit=True,
                        width="100%",
                    ),
                    rx.fragment(),
                ),
                rx.hstack(rx.dialog.close(rx.button("Done", variant="soft")), justify="end", width="100%"),
                spacing="2",
                width="100%",
                padding_top="0.75rem",
            ),
            max_width="480px",
        ),
        open=LibraryState.categories_open,
        on_open_change=LibraryState.set_categories_open,
    )


def _editor() -> rx.Component:
    e = LibraryState.editor
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(e.id != "", "Edit step", "New library step")),
            rx.form(
                rx.vstack(
                    error_callout(LibraryState.editor_error),
                    field(
                        "Title",
                        rx.input(
                            name="title",
                            default_value=e.title,
                            required=True,
                            max_length=255,
                            width="100%",
                            data_testid="editor-title",
                        ),
                        hint="Up to 255 characters.",
                    ),
                    rx.hstack(
                        field("Type", rx.select(["action", "solution"], name="step_type", default_value=e.step_type)),
                        field(
                            "Visibility",
                            rx.select(
                                ["private", "team", "public"],
                                name="visibility",
                                default_value=e.visibility,
                                data_testid="editor-visibility",
                            ),
                        ),
                        width="100%",
                    ),
                    field(
                        "Instructions",
                        rx.text_area(
                            name="instructions",
                            default_value=e.instructions,
                            rows="4",
                            width="100%",
                            data_testid="editor-instructions",
                        ),
                    ),
                    field(
                        "Help text",
                        rx.text_area(name="help_text", default_value=e.help_text, rows="2", width="100%"),
                    ),
                    field(
                        "Commands",
                        rx.text_area(
                            name="commands_text",
                            default_value=e.commands_text,
                            rows="3",
                            width="100%",
                            font_family="monospace",
                        ),
                        "One per line; write “label | command” to name it.",
                    ),
                    rx.hstack(
                        field("Group label", rx.input(name="group_label", default_value=e.group_label, width="100%")),
                        field(
                            "Category",
                            rx.select.root(
                                rx.select.trigger(width="100%"),
                                rx.select.content(
                                    rx.select.item("No category", value="none"),
                                    rx.foreach(LibraryState.categories, lambda c: rx.select.item(c.name, value=c.id)),
                                ),
                                name="category_id",
                                default_value=e.category_id,
                                key=e.category_id,
                            ),
                        ),
                        width="100%",
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Save", type="submit", data_testid="editor-save"),
                        justify="end",
                        width="100%",
                        spacing="2",
                    ),
                    spacing="3",
                ),
                on_submit=LibraryState.save,
            ),
            rx.separator(size="4", margin_y="0.75rem"),
            rx.form(
                rx.hstack(
                    rx.input(name="name", placeholder="New category name", required=True, size="1", width="100%"),
                    rx.button(rx.icon("plus", size=12), "Add category", size="1", variant="soft", type="submit"),
                    width="100%",
                ),
                on_submit=LibraryState.add_category,
                reset_on_submit=True,
            ),
            max_width="560px",
        ),
        open=LibraryState.editor_open,
        on_open_change=LibraryState.set_editor_open,
    )


@rx.page(route=routes.LIBRARY, title="Library · ResolutionFlow", on_load=[AuthState.check_login, LibraryState.load])
def library_page() -> rx.Component:
    """The step library browser."""
    return app_layout(
        page_header(
            "Step library",
            _categories_dialog(),
            rx.button(
                rx.icon("plus", size=16), "New step", on_click=LibraryState.open_editor(True), data_testid="library-new"
            ),
            subtitle="Reusable steps from published flows and your team's own. Insert them into live sessions.",
        ),
        _filters(),
        rx.grid(
            rx.vstack(
                rx.text(LibraryState.total_text, size="2", color_scheme="gray", data_testid="library-total"),
                rx.cond(
                    LibraryState.items.length() > 0,
                    rx.vstack(
                        rx.foreach(LibraryState.items, _row), width="100%", spacing="2", data_testid="library-list"
                    ),
                    empty_state(
                        "library",
                        "No steps match",
                        "Publish a flow to fill the library from its steps, clear the filters, or write a step by "
                        "hand.",
                        rx.button("New step", on_click=LibraryState.open_editor(True)),
                    ),
                ),
                pager(
                    LibraryState.offset,
                    PAGE_SIZE,
                    LibraryState.total,
                    LibraryState.page_by(-1),
                    LibraryState.page_by(1),
                    "library-pager",
                    capped=LibraryState.total_capped,
                    total_text=LibraryState.pager_total,
                ),
                width="100%",
                spacing="2",
            ),
            rx.cond(
                LibraryState.selected.id != "",
                rx.box(_detail(), position="sticky", top="1rem", order=rx.breakpoints(initial="-1", sm="0")),
                rx.fragment(),
            ),
            # minmax(0, …): a long word in a title cannot widen its column; phones stack the detail above the list.
            grid_template_columns=rx.breakpoints(
                initial="minmax(0, 1fr)",
                sm=rx.cond(LibraryState.selected.id != "", "minmax(0, 3fr) minmax(0, 2fr)", "minmax(0, 1fr)"),
            ),
            spacing="4",
            width="100%",
            align_items="start",
        ),
        _editor(),
    )
