"""Sync rules: item fingerprints, flow-version conflicts, signed bundles (pure, no I/O)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from resolutionflow_app.domain import flow_diff
from resolutionflow_app.domain.errors import InvalidInput

BUNDLE_FORMAT = "resolutionflow.sync-bundle"
BUNDLE_FORMAT_VERSION = 1
BUNDLE_KINDS = ("pull", "push")

# Conflict reasons a push can answer for a session (never stored silently).
FLOW_MISSING = "flow_missing"
FLOW_CHANGED_ON_SERVER = "flow_changed_on_server"
FLOW_DIFFERS = "flow_differs"
SESSION_CHANGED_ON_SERVER = "session_changed_on_server"
# A pull found a flow edited on the desktop and on the server since the last pull.
FLOW_EDITED_ON_BOTH_SIDES = "flow_edited_on_both_sides"

TAMPERED = (
    "This bundle's signature does not match: it was changed after it was signed, or signed with another key. Nothing "
    "was imported."
)


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value that fingerprints and signatures are computed over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def fingerprint(value: Any) -> str:
    """SHA-256 hex of the canonical JSON of `value`: equal content, equal fingerprint.

    Args:
        value: any JSON-serialisable value (a pushed session item).

    Returns:
        64 hex characters.
    """
    return hashlib.sha256(canonical_json(value)).hexdigest()


def derive_bundle_key(secret_key: str, user_id: str) -> str:
    """The bundle key of one user on one installation, derived from its secret key.

    The server shows it to its user (and hands it to the desktop at sign-in); both sides sign and
    verify bundles with it, so no network is needed between them afterwards.

    Args:
        secret_key: the installation's RF_SECRET_KEY.
        user_id: the user the bundles belong to.

    Returns:
        A URL-safe base64 string (43 characters).
    """
    raw = hmac.new(secret_key.encode("utf-8"), f"sync-bundle/v1:{user_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _signature(body: dict[str, Any], key: str) -> str:
    mac = hmac.new(key.encode("utf-8"), canonical_json(body), hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def sign_bundle(kind: str, payload: dict[str, Any], *, key: str, created_at: str, origin: str = "") -> bytes:
    """A signed bundle file (JSON) carrying a pull or push payload.

    Args:
        kind: "pull" (flows and steps for a desktop) or "push" (sessions for a server).
        payload: the same JSON the /sync/pull answer or /sync/push body holds.
        key: the shared bundle key (HMAC-SHA256).
        created_at: ISO time stamp written into the signed part.
        origin: where it was made (a URL or host name), shown when importing.

    Returns:
        The file's bytes.
    """
    if kind not in BUNDLE_KINDS:
        raise InvalidInput("A bundle is either 'pull' or 'push'.")
    if not key:
        raise InvalidInput("No bundle key is set: sign in to the server or enter its bundle key first.")
    body = {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_FORMAT_VERSION,
        "kind": kind,
        "created_at": created_at,
        "origin": origin,
        "payload": payload,
    }
    return json.dumps(
        {**body, "signature": "hmac-sha256:" + _signature(body, key)}, ensure_ascii=False, default=str
    ).encode("utf-8")


def open_bundle(data: bytes, *, key: str) -> tuple[str, dict[str, Any]]:
    """Verify a bundle file and give back its kind and payload.

    Args:
        data: the file's bytes.
        key: the shared bundle key.

    Returns:
        (kind, payload).

    Raises:
        InvalidInput: not a bundle, an unknown format version, no key, or a signature that does
            not match (`TAMPERED`): nothing of such a file may be applied.
    """
    if not key:
        raise InvalidInput("No bundle key is set: sign in to the server or enter its bundle key first.")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput("This file is not a ResolutionFlow sync bundle (it is not JSON).") from None
    if not isinstance(doc, dict) or doc.get("format") != BUNDLE_FORMAT:
        raise InvalidInput("This file is not a ResolutionFlow sync bundle.")
    if doc.get("format_version") != BUNDLE_FORMAT_VERSION:
        raise InvalidInput(
            f"This bundle has format version {doc.get('format_version')!r}; this installation reads version "
            f"{BUNDLE_FORMAT_VERSION}."
        )
    signature = str(doc.pop("signature", "") or "")
    scheme, _, value = signature.partition(":")
    if scheme != "hmac-sha256" or not hmac.compare_digest(
        value.encode("ascii", "replace"), _signature(doc, key).encode("ascii")
    ):
        raise InvalidInput(TAMPERED)
    if doc.get("kind") not in BUNDLE_KINDS or not isinstance(doc.get("payload"), dict):
        raise InvalidInput("This bundle has no pull or push payload.")
    return str(doc["kind"]), doc["payload"]


def session_conflict(
    *,
    tree_type: str,
    pulled_version: int,
    server_version: int | None,
    snapshot: dict[str, Any] | None,
    server_structure: dict[str, Any] | None,
    current_structure: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Why a pushed session may not be stored on the server's flow as it is, or None when it may.

    The session ran offline on the flow as pulled (`pulled_version`, its `snapshot`). If the server's
    flow moved on since (another version), or the session's copy differs from the server's structure
    at the version it claims (the flow was edited on the desktop too), storing it would silently
    tie the session to a flow it did not run on: that is a conflict, which the user resolves.

    Args:
        tree_type: the flow's type (for the structural diff).
        pulled_version: the flow version the session started on.
        server_version: the server flow's current version (None when the flow is gone or invisible).
        snapshot: the structure the session ran on.
        server_structure: the server's structure at `pulled_version` (None when that version is unknown).
        current_structure: the server's structure now (what "changed on the server" is shown against).

    Returns:
        None, or {reason, message, pulled_version, server_version, changes: {added, removed, changed, moved},
        differences: [...]}.
    """
    if server_version is None:
        return {
            "reason": FLOW_MISSING,
            "message": "The flow this session ran on no longer exists on the server (or you may not see it).",
            "pulled_version": pulled_version,
            "server_version": None,
            "changes": {},
            "differences": [],
        }
    if server_version != pulled_version:
        rows = flow_diff.diff_structures(tree_type, snapshot, current_structure)
        return _conflict(
            FLOW_CHANGED_ON_SERVER,
            f"The flow changed on the server since the pull (pulled version {pulled_version}, server version "
            f"{server_version}).",
            pulled_version,
            server_version,
            rows,
        )
    if (
        server_structure is not None
        and snapshot is not None
        and canonical_json(snapshot) != canonical_json(server_structure)
    ):
        rows = flow_diff.diff_structures(tree_type, server_structure, snapshot)
        return _conflict(
            FLOW_DIFFERS,
            f"The session ran on a copy of the flow that differs from the server's version {server_version} (edited "
            "on the desktop).",
            pulled_version,
            server_version,
            rows,
        )
    return None


def _conflict(reason: str, message: str, pulled: int, server: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    changed = [r for r in rows if r["status"] != "same"]
    return {
        "reason": reason,
        "message": message,
        "pulled_version": pulled,
        "server_version": server,
        "changes": flow_diff.summarise(rows),
        "differences": [
            {"title": r["title"], "status": r["status"], "fields": r.get("fields", [])} for r in changed[:50]
        ],
    }


def flow_pull_decision(
    *,
    local_fingerprint: str,
    pulled_fingerprint: str | None,
    server_fingerprint: str,
    pulled_version: int | None,
    server_version: int,
) -> str:
    """What a pull does with a flow the desktop already has.

    Args:
        local_fingerprint: fingerprint of the desktop's current copy (name, description, structure).
        pulled_fingerprint: fingerprint recorded at the last pull (None: never pulled).
        server_fingerprint: fingerprint of the server's copy now.
        pulled_version: the server version of the last pull.
        server_version: the server's version now.

    Returns:
        "update" (take the server's copy), "keep" (nothing new on the server; keep the desktop's
        copy, edited or not) or "conflict" (edited on both sides: never overwritten).
    """
    edited_here = pulled_fingerprint is not None and local_fingerprint != pulled_fingerprint
    changed_there = (
        pulled_version is None or server_version != pulled_version or server_fingerprint != pulled_fingerprint
    )
    if not changed_there:
        return "keep"
    if edited_here and local_fingerprint == server_fingerprint:
        return "update"  # both sides made the same change
    return "conflict" if edited_here else "update"


def bundle_kind(data: bytes) -> str:
    """The kind a bundle file says it is ("pull" or "push"), before its signature is checked.

    Only for choosing which side applies it: `open_bundle` still verifies it before anything is used.

    Raises:
        InvalidInput: not a ResolutionFlow sync bundle.
    """
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput("This file is not a ResolutionFlow sync bundle (it is not JSON).") from None
    if not isinstance(doc, dict) or doc.get("format") != BUNDLE_FORMAT or doc.get("kind") not in BUNDLE_KINDS:
        raise InvalidInput("This file is not a ResolutionFlow sync bundle.")
    return str(doc["kind"])
