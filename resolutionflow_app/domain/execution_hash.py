"""Deterministic execution hashes of automation steps and definition checksums (seed: resume determinism)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# Keys inside input/output configs that hold ciphertext: random per encryption, so never hashed.
# Services store a keyed fingerprint of the plaintext headers next to them instead.
VOLATILE_CONFIG_KEYS = ("headers_encrypted",)


def canonical_json(value: Any) -> str:
    """Sorted, compact JSON (`{}` for None)."""
    return json.dumps(
        value if value is not None else {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def _stable_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in dict(config or {}).items() if k not in VOLATILE_CONFIG_KEYS}


def step_execution_hash(step: Mapping[str, Any]) -> str:
    """SHA-256 over the execution-critical fields of a step definition.

    Cosmetic fields (`user_description`, labels) are excluded, so renaming a step keeps its hash.

    Args:
        step: a step of a definition: `assistant_id`, `assistant.prompt`, `assistant.model_id`,
            `mcp_policy`, `mcp_tool_ids`, `input_source`, `input_config`, `output_mode`,
            `output_type`, `output_config`, `output_classification_override`.

    Returns:
        64 hex characters.
    """
    assistant = step.get("assistant") or {}
    tools: list[str] = []
    if step.get("mcp_policy") == "restricted":
        tools = sorted(str(t) for t in step.get("mcp_tool_ids") or [])
    payload = {
        "assistant_id": str(step.get("assistant_id") or ""),
        "prompt": assistant.get("prompt") or "",
        "completion_model_id": str(assistant.get("model_id") or ""),
        "mcp_policy": step.get("mcp_policy") or "inherit",
        "mcp_tool_allowlist": tools,
        "input_source": step.get("input_source"),
        "input_config": canonical_json(_stable_config(step.get("input_config"))),
        "output_mode": step.get("output_mode") or "pass_through",
        "output_type": step.get("output_type") or "text",
        "output_config": canonical_json(_stable_config(step.get("output_config"))),
        "output_classification_override": step.get("output_classification_override"),
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def definition_hashes(definition: Mapping[str, Any]) -> dict[int, str]:
    """`{step_order: execution hash}` for every step of a definition."""
    return {int(s["step_order"]): step_execution_hash(s) for s in definition.get("steps") or []}


def definition_checksum(definition: Mapping[str, Any]) -> str:
    """SHA-256 of the whole definition minus volatile ciphertext (the published version's checksum)."""

    def strip(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE_CONFIG_KEYS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return hashlib.sha256(canonical_json(strip(dict(definition))).encode("utf-8")).hexdigest()
