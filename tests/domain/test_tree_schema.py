"""tree_structure shapes, skeletons and command normalisation."""

import pytest

from resolutionflow_app.domain.tree_schema import (
    StructureError,
    check_structure,
    default_structure,
    normalize_commands,
)
from resolutionflow_app.domain.tree_validation import validate_structure
from tests.tree_helpers import procedure, troubleshooting


def test_valid_shapes_pass():
    assert check_structure("troubleshooting", troubleshooting())["start_node_id"] == "q_power"
    assert check_structure("procedural", procedure())
    assert check_structure("maintenance", procedure())


@pytest.mark.parametrize(
    "tree_type,structure",
    [
        ("troubleshooting", "nodes"),
        ("troubleshooting", []),
        ("troubleshooting", {"start_node_id": "a"}),
        ("troubleshooting", {"nodes": "abc"}),
        ("troubleshooting", {"nodes": [{"id": 5, "type": "decision"}]}),
        ("troubleshooting", {"nodes": [{"id": "a", "options": "yes"}]}),
        ("procedural", {"nodes": []}),
        ("procedural", {"steps": [{"id": "a", "type": "procedure_step", "library_visibility": "private"}]}),
        ("procedural", {"steps": [{"id": "a", "commands": 42}]}),
        ("flowchart", {"nodes": []}),
    ],
)
def test_junk_is_rejected(tree_type, structure):
    with pytest.raises(StructureError):
        check_structure(tree_type, structure)


@pytest.mark.parametrize("tree_type", ["troubleshooting", "procedural", "maintenance"])
def test_default_skeleton_is_valid(tree_type):
    skeleton = default_structure(tree_type)
    check_structure(tree_type, skeleton)
    assert validate_structure(tree_type, skeleton) == []


def test_normalize_commands_string_and_list():
    assert normalize_commands("copy run tftp:") == [{"label": "", "command": "copy run tftp:", "command_type": None}]
    assert normalize_commands(
        [{"language": "bash", "code": "ls", "label": "List"}, {"code": "pwd"}, "whoami", {"code": ""}, "  "]
    ) == [
        {"label": "List", "command": "ls", "command_type": "bash"},
        {"label": "", "command": "pwd", "command_type": None},
        {"label": "", "command": "whoami", "command_type": None},
    ]
    assert normalize_commands(None) == []
    assert normalize_commands("") == []
