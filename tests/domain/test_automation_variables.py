"""Variable resolver: the seed's checklist plus property tests for JSON-safe escaping."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from resolutionflow_app.domain.automation_variables import (
    build_context,
    count_tokens,
    interpolate,
    json_escape,
    strip_code_fences,
)


def _ctx(*outputs: str, text: str = "hello", form: dict | None = None) -> dict:
    results = [
        {"step_order": i + 1, "output_payload_json": {"text": out, "file_ids": ["f1", "f2"]}}
        for i, out in enumerate(outputs)
    ]
    return build_context(text, form if form is not None else {"namn": "Anna"}, results)


def test_flow_input_field_resolves() -> None:
    assert interpolate("Hej {{flow_input.namn}}!", _ctx()) == "Hej Anna!"
    assert interpolate("{{flow_input.text}}", _ctx()) == "hello"


def test_json_subfield_of_a_step_output_resolves() -> None:
    ctx = _ctx('{"field": "value", "nested": {"n": 3}}')
    assert interpolate("{{step_1.output.field}}", ctx) == "value"
    assert interpolate("{{step_1.output.nested.n}}", ctx) == "3"
    assert json.loads(interpolate("{{step_1.output}}", ctx)) == {"field": "value", "nested": {"n": 3}}
    assert interpolate("{{step_1.file_ids}}", ctx) == "f1,f2"


def test_plain_text_output_resolves() -> None:
    assert interpolate("{{step_1.output}}", _ctx("just text")) == "just text"


def test_unresolved_variables_are_kept_as_is() -> None:
    ctx = _ctx("plain")
    for template in ("{{flow_input.missing}}", "{{step_9.output}}", "{{step_1.output.field}}", "{{nothing}}"):
        assert interpolate(template, ctx) == template


def test_quotes_in_output_do_not_break_a_json_body() -> None:
    ctx = _ctx('He said "hi"\n\tand left \\ now')
    body = interpolate('{"summary": "{{step_1.output}}"}', ctx, json_safe=True)
    assert json.loads(body) == {"summary": 'He said "hi"\n\tand left \\ now'}


def test_json_safe_escapes_every_control_character() -> None:
    nasty = "".join(chr(c) for c in range(0, 32)) + "\u2028\u2029\x7f"
    body = interpolate('{"v": "{{step_1.output}}"}', _ctx(nasty), json_safe=True)
    assert json.loads(body) == {"v": nasty}


def test_json_object_output_inserted_json_safe_round_trips() -> None:
    ctx = _ctx('{"a": "x\\"y"}')
    body = interpolate('{"inner": "{{step_1.output}}"}', ctx, json_safe=True)
    assert json.loads(json.loads(body)["inner"]) == {"a": 'x"y'}


def test_non_json_safe_leaves_values_raw() -> None:
    assert interpolate("{{step_1.output}}", _ctx('a "b"')) == 'a "b"'


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_step_output_in_a_json_body_still_parses_and_round_trips(text: str) -> None:
    ctx = _ctx(text)
    body = interpolate('{"value": "{{step_1.output}}", "n": 1}', ctx, json_safe=True)
    parsed = json.loads(body)
    expected = ctx["step_1"]["output"]
    if isinstance(expected, dict):
        assert json.loads(parsed["value"]) == expected
    else:
        assert parsed["value"] == text
    assert parsed["n"] == 1


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text())
def test_any_form_value_in_a_json_body_round_trips(name: str, other: str) -> None:
    ctx = build_context(other, {"namn": name}, [])
    body = interpolate('{"a": "{{flow_input.namn}}", "b": "{{flow_input.text}}"}', ctx, json_safe=True)
    assert json.loads(body) == {"a": name, "b": other}


@given(st.text())
def test_json_escape_is_the_inside_of_a_json_string(text: str) -> None:
    assert json.loads('"' + json_escape(text) + '"') == text


def test_strip_code_fences_and_token_estimate() -> None:
    assert strip_code_fences('```json\n{"a": 1}\n```') == '{"a": 1}'
    assert strip_code_fences('  {"a": 1} ') == '{"a": 1}'
    assert count_tokens("one two three") >= 3
    assert count_tokens("x" * 400) >= 100
