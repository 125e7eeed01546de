"""Extraction of library steps from flows, exactly as the sync seed says."""

from resolutionflow_app.domain.library_extraction import (
    extract_steps,
    resolve_visibility,
)
from tests.tree_helpers import procedure, troubleshooting


def test_procedure_extracts_only_procedure_steps_with_group_labels():
    steps = extract_steps(tree_type="procedural", structure=procedure(), is_public=False)
    assert [s.source_node_id for s in steps] == ["st_backup", "st_notify", "st_upgrade"]
    assert {s.step_type for s in steps} == {"action"}
    by_id = {s.source_node_id: s for s in steps}
    assert by_id["st_backup"].content == {
        "instructions": "Copy the running config",
        "help_text": "Backup file exists",
        "commands": [{"label": "", "command": "copy run tftp:", "command_type": None}],
        "group_label": "Preparation",
    }
    assert by_id["st_notify"].content["instructions"] == "Notify the customer"  # title when no description
    assert by_id["st_notify"].content["group_label"] == "Preparation"
    assert by_id["st_upgrade"].content["group_label"] == "Upgrade"
    assert by_id["st_upgrade"].content["commands"] == [
        {"label": "Install", "command": "install add file flash:img.bin", "command_type": "cisco"}
    ]


def test_procedure_without_section_has_no_group_label():
    s = {
        "steps": [
            {"id": "a", "type": "procedure_step", "title": "A"},
            {"id": "e", "type": "procedure_end", "title": "E"},
        ]
    }
    (step,) = extract_steps(tree_type="maintenance", structure=s, is_public=True)
    assert step.content["group_label"] is None
    assert step.visibility == "public"


def test_visibility_resolution_and_override():
    assert resolve_visibility(is_public=True) == "public"
    assert resolve_visibility(is_public=False, account_id="x") == "team"
    assert resolve_visibility(is_public=False, account_id=None) == "team"
    private = {
        s.source_node_id: s.visibility
        for s in extract_steps(tree_type="procedural", structure=procedure(), is_public=False)
    }
    assert private == {"st_backup": "public", "st_notify": "team", "st_upgrade": "team"}
    s = procedure()
    s["steps"][1]["library_visibility"] = "team"
    public = {
        x.source_node_id: x.visibility for x in extract_steps(tree_type="procedural", structure=s, is_public=True)
    }
    assert public == {"st_backup": "team", "st_notify": "public", "st_upgrade": "public"}


def test_troubleshooting_extracts_actions_and_solutions():
    s = troubleshooting()
    s["nodes"][2]["library_visibility"] = "public"  # no per-node override for troubleshooting
    steps = extract_steps(tree_type="troubleshooting", structure=s, is_public=False)
    assert [(x.source_node_id, x.step_type) for x in steps] == [
        ("a_reboot", "action"),
        ("s_power", "solution"),
        ("s_done", "solution"),
    ]
    assert all(x.visibility == "team" for x in steps)
    assert steps[0].content["instructions"] == "Hold reset 5 s"
    assert steps[1].content["instructions"] == "Restore PoE power"


def test_changed_node_ids_sees_edits_section_renames_additions_and_removals() -> None:
    from resolutionflow_app.domain.library_extraction import (
        changed_node_ids,
        subset_structure,
    )

    old = {
        "steps": [
            {"id": "h1", "type": "section_header", "title": "Prep"},
            {"id": "a", "type": "procedure_step", "title": "A"},
            {"id": "b", "type": "procedure_step", "title": "B"},
            {"id": "h2", "type": "section_header", "title": "Work"},
            {"id": "c", "type": "procedure_step", "title": "C"},
            {"id": "end", "type": "procedure_end", "title": "Done"},
        ]
    }
    new = {"steps": [dict(n) for n in old["steps"] if n["id"] != "b"]}
    new["steps"][1]["title"] = "A, revised"  # edited
    new["steps"][2]["title"] = "Doing"  # h2 renamed: c's group label changes
    new["steps"].insert(4, {"id": "d", "type": "procedure_step", "title": "D"})  # added
    changed, removed = changed_node_ids(tree_type="procedural", old=old, new=new)
    assert changed - {"end"} == {"a", "c", "d"}  # headers are context, not entries; "end" is ignored by extraction
    assert removed == {"b"}
    part = subset_structure(tree_type="procedural", structure=new, node_ids=changed)
    assert [n["id"] for n in part["steps"] if n["type"] == "procedure_step"] == ["a", "c", "d"]
    same, none_removed = changed_node_ids(
        tree_type="troubleshooting",
        old={"nodes": [{"id": "x", "type": "action", "title": "X"}]},
        new={"nodes": [{"id": "x", "type": "action", "title": "X"}]},
    )
    assert same == set()
    assert none_removed == set()
