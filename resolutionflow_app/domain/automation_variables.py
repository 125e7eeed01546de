"""The automation variable resolver: `build_context` + `interpolate` with JSON-safe escaping (seed)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

# `{{path.to.value}}`: segments split on "."; a segment may hold spaces and any letters, so form
# fields named like people name them resolve: `{{flow_input.Namn på brukare}}`, or `{{Namn på brukare}}`.
VARIABLE_RE = re.compile(r"\{\{\s*([^{}.\s][^{}]*?)\s*\}\}")
# Top-level names that are never form-field aliases (they keep priority over a field of that name).
RESERVED_NAMES = frozenset({"flow_input", "flow", "text", "run", "session", "automation"})
_STEP_NAME = re.compile(r"step_\d+$")


def is_reserved_name(name: str) -> bool:
    """True for names a form field cannot be addressed by at the top level (`flow_input`, `step_3`, ...)."""
    return name in RESERVED_NAMES or bool(_STEP_NAME.match(name))


def json_escape(text: str) -> str:
    """Escape `text` so it can sit between the quotes of a JSON string.

    Every control character, quote and backslash is escaped (``json.dumps`` without the quotes),
    so the result is valid inside a JSON string literal for ANY input.

    Args:
        text: any text.

    Returns:
        The escaped text, without surrounding quotes.
    """
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _result_parts(result: Any) -> tuple[int, dict[str, Any]]:
    if isinstance(result, Mapping):
        return int(result["step_order"]), dict(result.get("output_payload_json") or {})
    return int(result.step_order), dict(getattr(result, "output_payload_json", None) or {})


def build_context(text: str | None, form_data: Mapping[str, Any] | None, results: Iterable[Any]) -> dict[str, Any]:
    """The variable context of a run: `flow_input` plus `step_N` for each finished step.

    Args:
        text: the run's free-text input.
        form_data: the run's form values.
        results: finished step results (objects or dicts with `step_order`, `output_payload_json`).

    Returns:
        `{"flow_input": {"text": ..., **form_data}, "step_1": {"output": str|dict, "file_ids": "a,b"}, ...}`;
        a step output that parses as a JSON object becomes a dict so `{{step_1.output.field}}` works.
    """
    context: dict[str, Any] = {"flow_input": {"text": text or "", **dict(form_data or {})}}
    for result in results:
        order, out = _result_parts(result)
        out_text = out.get("text", "") or ""
        step_ctx: dict[str, Any] = {
            "output": out_text,
            "file_ids": ",".join(str(f) for f in out.get("file_ids", []) or []),
        }
        try:
            parsed = json.loads(out_text)
            if isinstance(parsed, dict):
                step_ctx["output"] = parsed
        except (json.JSONDecodeError, ValueError, TypeError):
            pass
        context[f"step_{order}"] = step_ctx
    return context


def interpolate(text: str, context: Mapping[str, Any], json_safe: bool = False) -> str:
    """Replace `{{path.to.value}}` with values from `context`; unresolved variables stay as they are.

    Args:
        text: a template.
        context: from `build_context`.
        json_safe: escape replaced values for a JSON string context (request bodies).

    Returns:
        The resolved text. Dicts and lists become JSON (escaped too when `json_safe`).
    """

    def replacer(match: re.Match[str]) -> str:
        keys = [k.strip() for k in match.group(1).split(".")]
        value: Any = context
        if keys[0] not in context and not is_reserved_name(keys[0]) and keys[0] in (context.get("flow_input") or {}):
            value = context["flow_input"]  # top-level alias of a form field: {{Personnummer}}
        for key in keys:
            if isinstance(value, Mapping) and key in value:
                value = value[key]
            else:
                return match.group(0)
        if isinstance(value, (dict, list)):
            result = json.dumps(value, ensure_ascii=False)
        elif value is None:
            result = ""
        elif isinstance(value, bool):
            result = "true" if value else "false"
        else:
            result = str(value)
        return json_escape(result) if json_safe else result

    return VARIABLE_RE.sub(replacer, text or "")


def variables_in(text: str) -> list[str]:
    """The variable paths a template uses, in order of appearance."""
    return [".".join(k.strip() for k in m.group(1).split(".")) for m in VARIABLE_RE.finditer(text or "")]


def strip_code_fences(text: str) -> str:
    """Remove a surrounding markdown code block (```json ... ```) from model output."""
    stripped = (text or "").strip()
    if stripped.startswith("```"):
        first_newline = stripped.find("\n")
        body = stripped[first_newline + 1 :] if first_newline != -1 else ""
        if body.rstrip().endswith("```"):
            body = body.rstrip()[:-3]
        return body.strip()
    return stripped


def count_tokens(text: str) -> int:
    """A conservative token estimate for the token-limit pre-check (words or chars/4, the larger)."""
    text = text or ""
    return max(len(text.split()), (len(text) + 3) // 4)
