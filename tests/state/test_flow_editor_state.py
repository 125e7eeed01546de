"""The flow editor's substates: one editable guard for every change, validation once per change, a slim canvas var."""

from __future__ import annotations

import inspect

import pytest

from resolutionflow_app.state.flow_editor import CanvasState, EditorState, HistoryState, PanelState, PublishState
from resolutionflow_app.state.flow_editor.base import plain
from tests.factories import add_member, register
from tests.state.helpers import make_tree

B = "/api/v1"
SUBSTATES = (EditorState, CanvasState, PanelState, HistoryState, PublishState)
# Handlers that change nothing of the flow (selection, opening/closing dialogs, lists a viewer may read,
# exports, loading and the autosave task): the only ones allowed without the editable guard.
UNGUARDED = {
    "load",
    "autosave",
    "save_now",
    "select_node",
    "reset_view",
    "dismiss_publish_errors",
    "set_history_open",
    "compare_version",
    "set_diff_open",
    "view_version",
    "set_version_view_open",
    "set_delete_open",
    "set_fork_open",
    "fork",
    "set_forks_open",
    "export_json",
    "setvar",
}  # Reflex's setvar only calls an existing `set_<name>` handler, each checked here itself
ARGS = {
    "payload": {"kind": "decision", "x": 1, "y": 2, "source": "start", "sourceHandle": "next", "target": "fix"},
    "positions": {"start": {"x": 9, "y": 9}},
    "edges": [{"source": "ask", "sourceHandle": "opt-0"}],
    "node_ids": ["fix"],
    "kind": "decision",
    "field": "title",
    "value": "changed",
    "index": 0,
    "label": "changed",
    "target": "start",
    "step_id": "fix",
    "delta": -1,
    "form": {"label": "v"},
    "version": 1,
}
STRUCTURE = {
    "start_node_id": "start",
    "nodes": [
        {
            "id": "start",
            "type": "action",
            "title": "Restart the router",
            "description": "Unplug it.",
            "next": "ask",
            "position": {"x": 0, "y": 0},
        },
        {
            "id": "ask",
            "type": "decision",
            "title": "Does it work?",
            "options": [{"label": "Yes", "next": "fix"}, {"label": "No", "next": "call"}],
            "position": {"x": 0, "y": 100},
        },
        {"id": "fix", "type": "solution", "title": "Done", "position": {"x": 0, "y": 200}},
        {"id": "call", "type": "solution", "title": "Call the provider", "position": {"x": 200, "y": 200}},
    ],
}


def _handlers(cls) -> dict[str, object]:
    """The handlers a substate declares itself (inherited ones belong to the base)."""
    return {
        name: h
        for name, h in cls.event_handlers.items()
        if name in vars(cls) or getattr(h.fn, "__qualname__", "").startswith(cls.__name__ + ".")
    }


def _editor(api, who: dict, tree_id: str, cls=PanelState):
    state = make_tree(cls, path=f"/flows/{tree_id}", token=who["headers"]["Authorization"].split()[-1])
    state.load()
    return state


def _flow(api, owner: dict) -> str:
    resp = api.post(
        f"{B}/trees",
        headers=owner["headers"],
        json={"name": "Router", "tree_type": "troubleshooting", "tree_structure": STRUCTURE},
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def test_every_handler_that_changes_the_flow_wears_the_editable_guard() -> None:
    for cls in SUBSTATES:
        for name, handler in _handlers(cls).items():
            guarded = getattr(handler.fn, "__rf_editing__", False)
            assert guarded or name in UNGUARDED, f"{cls.__name__}.{name} changes the flow without the editable guard"


def test_a_read_only_viewer_cannot_change_the_flow_through_any_substate_handler(api) -> None:
    owner = register(api)
    tree_id = _flow(api, owner)
    engineer = add_member(api, owner, role="engineer")
    before = api.get(f"{B}/trees/{tree_id}", headers=owner["headers"]).json()
    tried = 0
    for cls in SUBSTATES:
        state = _editor(api, engineer, tree_id, cls)
        assert state.loaded
        assert not state.load_error
        assert not state.can_edit
        assert not state.editable
        state.selected_id = "ask"
        for name, handler in _handlers(cls).items():
            if not getattr(handler.fn, "__rf_editing__", False):
                continue
            params = [p for p in inspect.signature(handler.fn).parameters if p != "self"]
            result = getattr(state, name)(*[ARGS[p] for p in params])
            tried += 1
            assert result is None, f"{cls.__name__}.{name} answered {result!r} to a viewer"
            assert state._structure == STRUCTURE, f"{cls.__name__}.{name} changed the flow"
            assert state._dirty == [], f"{cls.__name__}.{name} changed the flow"
            assert state.save_state == "saved", f"{cls.__name__}.{name} changed the flow"
            assert state.meta.name == "Router"
            assert not state.can_undo
            assert state.edit_seq == 0
    assert tried >= 25
    after = api.get(f"{B}/trees/{tree_id}", headers=owner["headers"]).json()
    assert (after["version"], after["tree_structure"], after["status"]) == (
        before["version"],
        before["tree_structure"],
        before["status"],
    )


def test_an_author_edits_through_the_substates_and_validation_runs_once_per_change(api, monkeypatch) -> None:
    owner = register(api)
    tree_id = _flow(api, owner)
    panel = _editor(api, owner, tree_id)
    assert panel.editable
    assert panel.problems == []
    runs = []
    import resolutionflow_app.state.flow_editor.base as base

    real = base.validate_structure
    monkeypatch.setattr(base, "validate_structure", lambda *a: runs.append(1) or real(*a))
    panel.selected_id = "start"
    canvas_before = plain(panel.canvas)
    panel._get_root_state()._clean()  # what the browser already has
    assert panel.set_node_field("description", "Unplug it for 30 s.") is EditorState.autosave
    assert len(runs) == 1
    assert panel.sel.description == "Unplug it for 30 s."
    # Descriptions are not drawn on the canvas, nor did the problems change: neither var is sent again.
    assert panel.canvas == canvas_before
    assert "description" not in repr(panel.canvas)
    assert not {"canvas", "problems"} & panel.parent_state.dirty_vars
    panel.set_node_field("title", "")
    assert len(runs) == 2
    assert [p.node_id for p in panel.problems] == ["start"]
    assert panel.sel_problems
    assert panel.canvas != canvas_before
    history = panel.parent_state.substates[HistoryState.get_name()]
    history.undo()
    assert panel.problems == []
    assert panel.sel.title == "Restart the router"
    assert history.can_redo
    history.redo()
    assert [p.node_id for p in panel.problems] == ["start"]
    assert panel.save_now() is None
    assert panel.save_state == "saved"
    stored = api.get(f"{B}/trees/{tree_id}", headers=owner["headers"]).json()["tree_structure"]
    assert stored["nodes"][0]["title"] == ""
    assert stored["nodes"][0]["description"] == "Unplug it for 30 s."


@pytest.mark.parametrize("cls", [CanvasState, PanelState, HistoryState, PublishState])
def test_substates_share_the_open_flow(api, cls) -> None:
    owner = register(api)
    tree_id = _flow(api, owner)
    state = _editor(api, owner, tree_id, cls)
    assert state.meta.id == tree_id
    assert state._structure == STRUCTURE
    assert state.canvas["nodes"][1]["options"][0] == {"label": "Yes", "next": "fix"}
