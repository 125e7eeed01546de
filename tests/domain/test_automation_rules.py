"""Definition rules: step 1 input, orders, classification, form schema, enums; errors name the step."""

from __future__ import annotations

import pytest

from resolutionflow_app.domain.automation_rules import (
    classification_problems,
    form_data_problems,
    form_schema_problems,
    validate_definition,
)
from resolutionflow_app.domain.errors import InvalidInput

LEVELS = {"m0": 0, "m1": 1, "m2": 2, "m3": 3}


def step(order: int, model: str = "m0", **kw) -> dict:
    return {
        "step_order": order,
        "assistant": {"prompt": "p", "model_id": model},
        "input_source": kw.pop("input_source", "flow_input" if order == 1 else "previous_step"),
        **kw,
    }


def problems(steps, form=None) -> list[str]:
    with pytest.raises(InvalidInput) as err:
        validate_definition(steps=steps, form_schema=form, model_levels=LEVELS)
    return err.value.problems


def test_a_valid_definition_passes() -> None:
    validate_definition(
        steps=[step(1), step(2, "m1"), step(3, "m1", input_source="all_previous_steps")],
        form_schema=[{"id": "namn", "label": "Namn", "type": "text", "required": True}],
        model_levels=LEVELS,
    )


@pytest.mark.parametrize("source", ["previous_step", "all_previous_steps"])
def test_step_one_cannot_read_previous_steps(source: str) -> None:
    assert any(p.startswith("Step 1:") and source in p for p in problems([step(1, input_source=source)]))


def test_step_orders_must_be_unique_and_contiguous() -> None:
    assert any("Step 2" in p and "more than once" in p for p in problems([step(1), step(2), step(2)]))
    assert any("Step 2" in p and "missing" in p for p in problems([step(1), step(3)]))
    assert any("step_order" in p for p in problems([step(0)]))


def test_model_level_may_not_drop_below_incoming_data() -> None:
    found = problems([step(1, "m2"), step(2, "m1")])
    assert any(p.startswith("Step 2:") and "level 1" in p for p in found)


def test_override_raises_the_level_for_the_next_step() -> None:
    assert classification_problems([step(1, "m0", output_classification_override=2), step(2, "m1")], LEVELS)
    assert not classification_problems([step(1, "m2", output_classification_override=0), step(2, "m0")], LEVELS)


def test_no_webhook_output_above_level_one() -> None:
    hook = {"output_mode": "http_post", "output_config": {"url": "https://example.com/h"}}
    assert any(p.startswith("Step 1:") and "level 2" in p for p in problems([step(1, "m2", **hook)]))
    validate_definition(steps=[step(1, "m1", **hook)], form_schema=None, model_levels=LEVELS)
    validate_definition(
        steps=[step(1, "m3", output_classification_override=1, **hook)], form_schema=None, model_levels=LEVELS
    )


def test_all_previous_steps_must_handle_the_max_level() -> None:
    steps = [
        step(1, "m0", output_classification_override=3),
        step(2, "m3", output_classification_override=0),
        step(3, "m0", input_source="all_previous_steps"),
    ]
    assert any(p.startswith("Step 3:") and "level 3" in p for p in classification_problems(steps, LEVELS))


def test_enum_values_are_checked_and_named() -> None:
    found = problems([step(1, output_type="image"), step(2, input_source="ftp")])
    assert any(p.startswith("Step 1:") and "output_type" in p for p in found)
    assert any(p.startswith("Step 2:") and "input_source" in p for p in found)


def test_http_input_and_webhook_need_urls() -> None:
    assert any("input_config.url" in p for p in problems([step(1, input_source="http_get")]))
    assert any("output_config.url" in p for p in problems([step(1, output_mode="http_post")]))


def test_form_schema_types_options_and_required() -> None:
    good = [
        {"id": t, "label": t, "type": t, "required": False}
        for t in ("text", "number", "image", "audio", "document", "file")
    ]
    good.append({"id": "choice", "label": "C", "type": "select", "options": ["A", "B"], "required": True})
    assert form_schema_problems(good) == []
    assert form_schema_problems([{"id": "x", "type": "video"}])
    assert form_schema_problems([{"id": "x", "type": "select"}])
    assert form_schema_problems([{"id": "x", "type": "text", "required": "yes"}])
    assert form_schema_problems([{"id": "x", "type": "text"}, {"id": "x", "type": "text"}])
    assert form_schema_problems({"id": "x"})


def test_form_data_is_checked_against_the_schema() -> None:
    schema = [
        {"id": "namn", "type": "text", "required": True},
        {"id": "n", "type": "number"},
        {"id": "c", "type": "select", "options": ["A"]},
    ]
    assert form_data_problems(schema, {"namn": "Anna", "n": "4.5", "c": "A"}) == []
    assert len(form_data_problems(schema, {"n": "four", "c": "Z"})) == 3
