"""Pure helpers of the library and session pages: command parsing and custom-step display."""

from __future__ import annotations

from resolutionflow_app.pages import library as library_page
from resolutionflow_app.state import session_run
from resolutionflow_app.state.rows import CommandLine


def test_parse_commands_labels_and_blank_lines() -> None:
    parsed = library_page._parse_commands("Flush | ipconfig /flushdns\n\nnslookup example.com\n")
    assert parsed == [
        {"label": "Flush", "command": "ipconfig /flushdns", "command_type": "shell"},
        {"label": "", "command": "nslookup example.com", "command_type": "shell"},
    ]


def test_node_commands_accept_every_stored_shape() -> None:
    assert session_run._commands("show ip int brief") == [CommandLine(label="", command="show ip int brief")]
    assert session_run._commands([{"language": "bash", "code": "reboot", "label": "Reboot"}], "n1") == [
        CommandLine(label="Reboot", command="reboot", owner="n1")
    ]
    assert session_run._commands([{"label": "x", "command": "ls", "command_type": "shell"}, {"label": "empty"}]) == [
        CommandLine(label="x", command="ls")
    ]
    assert session_run._commands(None) == []


def test_custom_step_display_handles_old_and_deleted_sources() -> None:
    old = session_run._custom({"type": "action", "content": "Check Meraki dashboard", "notes": "AP offline"}, {})
    assert old.source == "ad-hoc"
    assert old.title == "Check Meraki dashboard"
    assert old.after_title == "start"
    assert old.source_available is True
    gone = session_run._custom(
        {
            "type": "action",
            "content": "Verify DNS",
            "title": "DNS check",
            "source": "step-library",
            "source_step_id": "x",
            "source_available": False,
            "inserted_after_node_id": "n1",
        },
        {"n1": "Network check"},
    )
    assert gone.source_available is False
    assert gone.title == "DNS check"
    assert gone.body == "Verify DNS"
    assert gone.after_title == "Network check"
