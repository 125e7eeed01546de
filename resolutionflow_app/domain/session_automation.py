"""Automations inside troubleshooting sessions: pre-filling a run form from the session, summarising a result."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

MAX_RESULT_CHARS = 10_000
SOURCE = "automation"  # custom steps attached by a run started from the session

# Field names (compared without case, spaces, dashes or underscores) that take a session value.
_SESSION_KEYS = {
    "flow": "flow_name",
    "flowname": "flow_name",
    "flödesnamn": "flow_name",
    "node": "current_node",
    "currentnode": "current_node",
    "step": "current_node",
    "currentstep": "current_node",
    "notes": "notes",
    "note": "notes",
    "anteckningar": "notes",
    "engineer": "engineer",
    "summary": "summary",
}


def _key(text: str) -> str:
    return re.sub(r"[\s_\-.]+", "", (text or "").casefold())


def prefill_form(form_schema: Sequence[Mapping[str, Any]], context: Mapping[str, Any]) -> dict[str, str]:
    """Values for a run form taken from the session, where a field's id or label matches.

    Args:
        form_schema: the automation's fields (`id`, `label`, `type`).
        context: `flow_name`, `current_node`, `notes`, `engineer`, `summary`, and `answers`
            (`{node title: answer}` of the path so far).

    Returns:
        `{field id: value}` for the text, number and select fields that matched (files never).
    """
    answers = {_key(str(k)): str(v) for k, v in (context.get("answers") or {}).items() if v}
    out: dict[str, str] = {}
    for field in form_schema:
        if not isinstance(field, Mapping) or field.get("type") in ("image", "audio", "document", "file"):
            continue
        fid = str(field.get("id") or "")
        for name in (fid, str(field.get("label") or "")):
            key = _key(name)
            value = context.get(_SESSION_KEYS[key]) if key in _SESSION_KEYS else answers.get(key)
            if value:
                options = field.get("options") or []
                if field.get("type") == "select" and options and str(value) not in options:
                    continue
                if field.get("type") == "number" and not re.fullmatch(r"-?\d+(\.\d+)?", str(value).strip()):
                    continue
                out[fid] = str(value)
                break
    return out


def result_text(status: str, output: Mapping[str, Any] | None, error: str | None) -> str:
    """What a session shows of a finished run: its output text, or why it did not finish (never prompts)."""
    if status == "completed":
        text = str((output or {}).get("text") or "").strip() or "(The automation finished without text output.)"
    elif status == "failed":
        text = f"The automation failed: {error or 'no reason was recorded'}"
    elif status == "cancelled":
        text = "The automation was cancelled."
    else:
        text = ""
    return text[:MAX_RESULT_CHARS]
