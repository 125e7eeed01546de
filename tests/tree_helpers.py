"""Builders for flow (tree) structures used by the flows tests and the bench."""

from __future__ import annotations

import copy
from typing import Any

TROUBLESHOOTING = {
    "start_node_id": "q_power",
    "nodes": [
        {
            "id": "q_power",
            "type": "decision",
            "title": "Is the AP powered?",
            "options": [{"label": "Yes", "next": "a_reboot"}, {"label": "No", "next": "s_power"}],
        },
        {
            "id": "a_reboot",
            "type": "action",
            "title": "Reboot the AP",
            "description": "Hold reset 5 s",
            "commands": [{"language": "bash", "code": "ssh ap1 reboot", "label": "Reboot"}],
            "next": "s_done",
        },
        {"id": "s_power", "type": "solution", "title": "Restore PoE power"},
        {"id": "s_done", "type": "solution", "title": "AP back online"},
    ],
}

PROCEDURE = {
    "steps": [
        {"id": "sec_prep", "type": "section_header", "title": "Preparation"},
        {
            "id": "st_backup",
            "type": "procedure_step",
            "title": "Back up the config",
            "description": "Copy the running config",
            "expected_outcome": "Backup file exists",
            "commands": "copy run tftp:",
            "library_visibility": "public",
        },
        {"id": "st_notify", "type": "procedure_step", "title": "Notify the customer"},
        {"id": "sec_do", "type": "section_header", "title": "Upgrade"},
        {
            "id": "st_upgrade",
            "type": "procedure_step",
            "title": "Upgrade firmware",
            "commands": [{"language": "cisco", "code": "install add file flash:img.bin", "label": "Install"}],
        },
        {"id": "end", "type": "procedure_end", "title": "Done"},
    ]
}


def troubleshooting() -> dict[str, Any]:
    """A fresh copy of the small valid troubleshooting tree."""
    return copy.deepcopy(TROUBLESHOOTING)


def procedure() -> dict[str, Any]:
    """A fresh copy of the small valid procedure."""
    return copy.deepcopy(PROCEDURE)


def big_procedure(n: int, *, section_every: int = 50, variant: int = 0) -> dict[str, Any]:
    """A valid procedure of `n` procedure_step nodes (with section headers every `section_every`)."""
    steps: list[dict[str, Any]] = []
    for i in range(n):
        if i % section_every == 0:
            steps.append({"id": f"sec_{i}", "type": "section_header", "title": f"Section {i // section_every + 1}"})
        steps.append(
            {
                "id": f"st_{i}",
                "type": "procedure_step",
                "title": f"Step {i}",
                "description": f"Do thing {i} (v{variant})",
                "expected_outcome": f"Thing {i} done",
                "commands": [{"language": "bash", "code": f"echo {i}", "label": "Run"}],
            }
        )
    steps.append({"id": "end", "type": "procedure_end", "title": "Done"})
    return {"steps": steps}
