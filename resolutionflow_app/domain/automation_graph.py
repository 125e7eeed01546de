"""Node/edge graph of an automation (seed: graph endpoint), optionally enriched with a run's results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from resolutionflow_app.domain.run_status import TERMINAL


def _duration_ms(result: Mapping[str, Any]) -> int | None:
    start, end = result.get("started_at"), result.get("finished_at")
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() * 1000))


def build_graph(
    definition: Mapping[str, Any],
    *,
    model_names: Mapping[str, str] | None = None,
    model_levels: Mapping[str, int] | None = None,
    results: Mapping[int, Mapping[str, Any]] | None = None,
    run_status: str | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The graph of a definition: an input node, one `llm` node per step, an output node.

    Args:
        definition: `{name, form_schema, steps: [...]}`.
        model_names: `{model_id: name}` for node labels.
        model_levels: `{model_id: security_level}` for classification chips.
        results: `{step_order: step result dict}` of a run (status, started_at, finished_at,
            num_tokens_input, num_tokens_output, error_message); adds run data to step nodes.
        run_status: the run's status (steps without a result are `skipped` once the run ended).

    Returns:
        `{"nodes": [...], "edges": [...]}`.
    """
    model_names, model_levels = model_names or {}, model_levels or {}
    steps = sorted(definition.get("steps") or [], key=lambda s: s["step_order"])
    form = definition.get("form_schema") or []
    nodes: list[dict[str, Any]] = [
        {
            "id": "input",
            "label": f"Form: {definition.get('name') or ''}".strip(),
            "type": "input",
            "fields": [f.get("id") for f in form if isinstance(f, Mapping)],
        }
    ]
    for step in steps:
        order = step["step_order"]
        model_id = str((step.get("assistant") or {}).get("model_id") or "")
        override = step.get("output_classification_override")
        node: dict[str, Any] = {
            "id": f"step_{order}",
            "label": step.get("user_description") or f"Step {order}",
            "type": "llm",
            "step_order": order,
            "model": model_names.get(model_id),
            "input_source": step.get("input_source"),
            "input_type": step.get("input_type", "any"),
            "output_type": step.get("output_type", "text"),
            "has_webhook": step.get("output_mode") == "http_post",
            "has_http_input": step.get("input_source") in ("http_get", "http_post"),
            "classification": override if override is not None else model_levels.get(model_id),
        }
        if results is not None:
            result = results.get(order)
            if result is None:
                ended = run_status in TERMINAL
                node.update(
                    status="skipped" if ended else "pending",
                    duration_ms=None,
                    tokens_input=None,
                    tokens_output=None,
                    error=None,
                )
            else:
                node.update(
                    status=result.get("status"),
                    duration_ms=_duration_ms(result),
                    tokens_input=result.get("num_tokens_input"),
                    tokens_output=result.get("num_tokens_output"),
                    error=result.get("error_message"),
                )
        nodes.append(node)
    nodes.append({"id": "output", "label": "Result", "type": "output"})
    edges: list[dict[str, Any]] = []
    for step in steps:
        order, source = step["step_order"], step.get("input_source")
        sid = f"step_{order}"
        if source in ("flow_input", "http_get", "http_post"):
            edges.append({"source": "input", "target": sid})
        elif source == "previous_step" and order > 1:
            edges.append({"source": f"step_{order - 1}", "target": sid})
        elif source == "all_previous_steps":
            for prev in steps:
                if prev["step_order"] < order:
                    edges.append(
                        {
                            "source": f"step_{prev['step_order']}",
                            "target": sid,
                            "style": "dashed",
                            "label": "aggregated",
                        }
                    )
            edges.append({"source": "input", "target": sid, "style": "dashed"})
    if steps:
        edges.append({"source": f"step_{steps[-1]['step_order']}", "target": "output"})
    else:
        edges.append({"source": "input", "target": "output"})
    for edge in edges:
        edge["id"] = f"{edge['source']}->{edge['target']}"
    return {"nodes": nodes, "edges": edges}
