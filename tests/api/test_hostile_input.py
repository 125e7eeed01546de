"""Property test (issue 9): hostile values sent to every write endpoint never produce a 5xx."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolutionflow_app.api.app import create_api
from tests.factories import register

API = "/api/v1"
SSRF_CORPUS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://0x0a000005/",
    "http://2130706433/",
    "http://[::ffff:127.0.0.1]/",
    "http://[64:ff9b::a00:5]/",
    "http://100.64.0.1/",
    "http://user:pw@example.com/",
    "file:///etc/passwd",
    "gopher://x/",
    "http://no-such-host.invalid/v1",
    "http://exa mple.com/",
    "http://%00/",
    "http://127.1/",
    "http://0177.0.0.1/",
    "javascript:alert(1)",
]
HOSTILE_TEXT = st.one_of(
    st.sampled_from(SSRF_CORPUS),
    st.sampled_from(
        [
            "\u202e\u0000",
            "𝕏" * 300,
            "\ud7ff\ufeff",
            "' OR 1=1 --",
            "{{flow_input.x}}",
            "<script>alert(1)</script>",
            "x" * 5000,
            "",
        ]
    ),
    st.text(max_size=50),
)
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        HOSTILE_TEXT,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "tree_type",
                    "tree_structure",
                    "steps",
                    "nodes",
                    "url",
                    "base_url",
                    "id",
                    "type",
                    "title",
                    "options",
                    "next",
                    "content",
                    "form_schema",
                    "step_order",
                    "assistant",
                    "visibility",
                    "rating",
                    "expires_at",
                    "email",
                    "password",
                    "role",
                    "provider",
                    "model",
                ]
            ),
            children,
            max_size=6,
        ),
    ),
    max_leaves=25,
)


def _write_routes() -> list[tuple[str, str]]:
    # The OpenAPI document lists every route of every included router.
    paths = create_api().openapi()["paths"]
    return sorted(
        (method.upper(), path)
        for path, ops in paths.items()
        for method in ops
        if method in ("post", "put", "patch", "delete")
    )


WRITES = _write_routes()


def test_every_write_route_is_covered() -> None:
    assert len(WRITES) > 30


@pytest.fixture
def caller(api):
    return register(api)["headers"]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    route=st.sampled_from(WRITES),
    body=JSON_VALUES,
    path_value=st.one_of(
        st.just(str(uuid.uuid4())), HOSTILE_TEXT.filter(lambda s: "/" not in s and "?" not in s and "#" not in s)
    ),
)
def test_hostile_bodies_never_cause_a_5xx(api, caller, route, body, path_value) -> None:
    method, path = route
    import re

    url = re.sub(r"\{[^}]+\}", lambda _m: quote(path_value or "x", safe=""), path)
    resp = api.request(method, url, json=body, headers=caller)
    assert resp.status_code < 500, (method, url, body, resp.text[:300])
    assert (
        resp.headers.get("content-type", "").startswith("application/json")
        or resp.status_code in (202, 204)
        or resp.status_code < 300
    )


def test_deeply_nested_and_oversized_bodies_are_4xx(api, caller) -> None:
    nested: object = "x"
    for _ in range(5000):
        nested = [nested]
    for method, path in (("POST", "/trees"), ("POST", "/automations"), ("POST", "/auth/login")):
        resp = api.request(
            method,
            f"{API}{path}",
            content=("[" * 100000 + "]" * 100000).encode(),
            headers={**caller, "content-type": "application/json"},
        )
        assert 400 <= resp.status_code < 500, (path, resp.status_code)
