"""Sync rules: fingerprints, conflict decisions and signed bundles."""

from __future__ import annotations

import json

import pytest

from resolutionflow_app.domain import sync_rules as rules
from resolutionflow_app.domain.errors import InvalidInput

TREE = {
    "start_node_id": "q",
    "nodes": [
        {"id": "q", "type": "decision", "title": "Q", "options": [{"label": "Yes", "next": "s"}]},
        {"id": "s", "type": "solution", "title": "Done"},
    ],
}
EDITED = {**TREE, "nodes": [TREE["nodes"][0], {"id": "s", "type": "solution", "title": "Fixed"}]}


def test_fingerprint_ignores_key_order_but_not_content() -> None:
    assert rules.fingerprint({"a": 1, "b": [1, 2]}) == rules.fingerprint({"b": [1, 2], "a": 1})
    assert rules.fingerprint({"a": 1}) != rules.fingerprint({"a": 2})


def test_session_conflicts() -> None:
    same = {"tree_type": "troubleshooting", "pulled_version": 2, "snapshot": TREE, "server_structure": TREE}
    assert rules.session_conflict(server_version=2, **same) is None
    missing = rules.session_conflict(server_version=None, **same)
    assert missing["reason"] == rules.FLOW_MISSING
    moved = rules.session_conflict(server_version=3, current_structure=EDITED, **same)
    assert (moved["reason"], moved["pulled_version"], moved["server_version"], moved["changes"]["changed"]) == (
        rules.FLOW_CHANGED_ON_SERVER,
        2,
        3,
        1,
    )
    assert moved["differences"] == [{"title": "Fixed", "status": "changed", "fields": ["title"]}]
    differs = rules.session_conflict(
        tree_type="troubleshooting", pulled_version=2, server_version=2, snapshot=EDITED, server_structure=TREE
    )
    assert differs["reason"] == rules.FLOW_DIFFERS


@pytest.mark.parametrize(
    ("local", "pulled", "server", "pv", "sv", "expected"),
    [
        ("a", "a", "a", 1, 1, "keep"),  # nothing changed anywhere
        ("b", "a", "a", 1, 1, "keep"),  # edited here only: keep the desktop's copy
        ("a", "a", "c", 1, 2, "update"),  # changed on the server only
        ("a", "a", "c", 1, 1, "update"),  # name/description changed on the server (same version)
        ("b", "a", "c", 1, 2, "conflict"),  # both sides
        ("c", "a", "c", 1, 2, "update"),  # both made the same change
        ("x", None, "c", None, 2, "update"),  # first pull
    ],
)
def test_flow_pull_decision(local, pulled, server, pv, sv, expected) -> None:
    assert (
        rules.flow_pull_decision(
            local_fingerprint=local,
            pulled_fingerprint=pulled,
            server_fingerprint=server,
            pulled_version=pv,
            server_version=sv,
        )
        == expected
    )


def test_bundles_are_signed_and_verified() -> None:
    key = rules.derive_bundle_key("secret", "user-1")
    assert key != rules.derive_bundle_key("secret", "user-2")
    assert key != rules.derive_bundle_key("other", "user-1")
    data = rules.sign_bundle("push", {"sessions": [{"id": "x"}]}, key=key, created_at="2026-01-01T00:00:00+00:00")
    assert rules.bundle_kind(data) == "push"
    assert rules.open_bundle(data, key=key) == ("push", {"sessions": [{"id": "x"}]})
    doc = json.loads(data)
    doc["payload"]["sessions"][0]["id"] = "y"
    for bad in (json.dumps(doc).encode(), data):
        with pytest.raises(InvalidInput, match="signature does not match"):
            rules.open_bundle(bad, key=key if bad is not data else "another-key-0123456789-0123456789")
    with pytest.raises(InvalidInput, match="not JSON"):
        rules.open_bundle(b"\x00zip", key=key)
    with pytest.raises(InvalidInput, match="not a ResolutionFlow sync bundle"):
        rules.bundle_kind(b'{"format": "something"}')
    with pytest.raises(InvalidInput, match="No bundle key"):
        rules.open_bundle(data, key="")
