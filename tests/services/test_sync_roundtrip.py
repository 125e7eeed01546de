"""Sync round trip against a second backend on loopback: pull, offline session, push (twice), conflicts, bundles."""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from resolutionflow_app.db.models import LibraryStep, StepUsageLog, SyncConnection, Tree
from resolutionflow_app.domain import sync_rules
from resolutionflow_app.domain.errors import Conflict, InvalidInput
from resolutionflow_app.services import sessions as sessions_service
from resolutionflow_app.services import sync_client
from resolutionflow_app.services import trees as trees_service
from resolutionflow_app.settings import get_settings
from tests.factories import PASSWORD, make_user
from tests.live_api import LiveApi

TREE = {
    "start_node_id": "q",
    "nodes": [
        {
            "id": "q",
            "type": "decision",
            "title": "Is the AP powered?",
            "options": [{"label": "Yes", "next": "a"}, {"label": "No", "next": "s2"}],
        },
        {"id": "a", "type": "action", "title": "Reboot the AP", "next": "s1"},
        {"id": "s1", "type": "solution", "title": "AP back online"},
        {"id": "s2", "type": "solution", "title": "Restore PoE power"},
    ],
}


@pytest.fixture(scope="module")
def remote():
    """The team server: the same API app in its own process, with its own SQLite database and secret key."""
    from resolutionflow_app.cli import migrate

    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='rf-sync-remote-')) / 'remote.db'}"
    migrate("head", url=url)
    server = LiveApi(url, RF_SECRET_KEY="remote-server-secret-key-0123456789-abcdefghijkl").start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch):
    """The desktop's outbound client may reach the loopback server (as RF_ALLOWED_INTERNAL_CIDRS allows on a LAN)."""
    monkeypatch.setenv("RF_ALLOWED_INTERNAL_CIDRS", "127.0.0.0/8")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


class Server:
    """A registered owner on the remote with a published flow and a team library step."""

    def __init__(self, live: LiveApi) -> None:
        self.email = f"sync-{uuid.uuid4().hex[:8]}@example.com"
        body = httpx.post(
            f"{live.url}/auth/register",
            json={"email": self.email, "password": PASSWORD, "name": "Sam", "account_name": "Team"},
        ).json()
        self.http = httpx.Client(
            base_url=live.url, headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=30
        )
        self.base = live.url.removesuffix("/api/v1")
        tree = self.ok(
            self.http.post(
                "/trees", json={"name": "AP offline", "tree_type": "troubleshooting", "tree_structure": TREE}
            ),
            201,
        )
        self.tree = self.ok(self.http.put(f"/trees/{tree['id']}", json={"status": "published"}), 200)
        self.step = self.ok(
            self.http.post(
                "/steps",
                json={
                    "title": "Check the switch port",
                    "step_type": "action",
                    "visibility": "team",
                    "content": {"instructions": "Look at the port LEDs"},
                },
            ),
            201,
        )

    @staticmethod
    def ok(resp: httpx.Response, code: int) -> dict:
        assert resp.status_code == code, resp.text
        return resp.json() if resp.content else {}

    def sessions(self) -> list[dict]:
        return self.ok(self.http.get("/sessions", params={"limit": 500}), 200)["items"]


@pytest.fixture
def server(remote) -> Server:
    return Server(remote)


@pytest.fixture
def desktop(session, server):
    """A local user signed in to the server once, with one pull done."""
    user = make_user(session, role="owner")
    sync_client.sign_in(session=session, actor=user, server_url=server.base, email=server.email, password=PASSWORD)
    session.commit()
    return user


def _offline_session(session, user, tree_id, *, library_step_id=None, complete=True):
    s = sessions_service.start_session(session=session, actor=user, tree_id=tree_id)
    sessions_service.advance(
        session=session, actor=user, session_id=s.id, node_id="q", answer="Yes", notes="LEDs are green"
    )
    sessions_service.add_custom_step(
        session=session,
        actor=user,
        session_id=s.id,
        type="action",
        content="Reseat the uplink cable",
        notes="cable was loose",
    )
    if library_step_id:
        sessions_service.add_custom_step(
            session=session,
            actor=user,
            session_id=s.id,
            type="action",
            source="step-library",
            source_step_id=library_step_id,
        )
    if complete:
        sessions_service.complete_session(
            session=session, actor=user, session_id=s.id, outcome="resolved", summary="Uplink reseated"
        )
    session.commit()
    return s.id


def test_sign_in_stores_the_token_and_bundle_key_encrypted(session, server, desktop) -> None:
    conn = session.exec(select(SyncConnection).where(SyncConnection.user_id == desktop.id)).one()
    assert conn.token_encrypted
    assert conn.bundle_key_encrypted
    assert conn.remote_email == server.email
    raw = json.dumps([conn.token_encrypted, conn.bundle_key_encrypted])
    assert "Bearer" not in raw
    assert len(conn.bundle_key_encrypted) > 60
    st = sync_client.status(session=session, actor=desktop)
    assert st.signed_in
    assert st.has_bundle_key
    assert st.server_url == server.base
    # Signed in once: a long-lived sync token (not the 12-hour login token, which was revoked again).
    from resolutionflow_app.services import secrets_box

    token = secrets_box.decrypt_str(conn.token_encrypted)
    assert (
        server.ok(server.http.get("/auth/me", headers={"Authorization": f"Bearer {token}"}), 200)["email"]
        == server.email
    )
    sync_client.sign_out(session=session, actor=desktop)
    session.commit()
    assert server.http.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert not sync_client.status(session=session, actor=desktop).signed_in
    with pytest.raises(Conflict, match="Sign in to a team server first"):
        sync_client.pull_now(session=session, actor=desktop)


def test_wrong_password_is_a_clear_refusal(session, server) -> None:
    user = make_user(session)
    with pytest.raises(InvalidInput, match="refused the sign-in"):
        sync_client.sign_in(
            session=session, actor=user, server_url=server.base, email=server.email, password="not-the-password"
        )


def test_pull_offline_session_push_round_trip_is_idempotent(session, server, desktop) -> None:
    run = sync_client.pull_now(session=session, actor=desktop)
    session.commit()
    assert run.counts["flows_new"] == 1
    assert run.counts["steps_new"] >= 1
    local_tree = session.get(Tree, uuid.UUID(server.tree["id"]))
    assert local_tree is not None
    assert local_tree.status == "published"
    assert local_tree.version == server.tree["version"]
    assert local_tree.account_id == desktop.account_id
    assert session.get(LibraryStep, uuid.UUID(server.step["id"])) is not None

    sid = _offline_session(session, desktop, local_tree.id, library_step_id=server.step["id"])
    assert sync_client.status(session=session, actor=desktop).sessions_pending == 1

    first = sync_client.push_now(session=session, actor=desktop)
    session.commit()
    assert first.counts == {"created": 1}, first.items
    assert first.items[0]["usage_recorded"] == 1
    stored = server.ok(server.http.get(f"/sessions/{sid}"), 200)
    assert stored["status"] == "completed"
    assert stored["outcome"] == "resolved"
    assert stored["summary"] == "Uplink reseated"
    assert [h["notes"] for h in stored["history"]] == ["LEDs are green"]
    assert [(c["content"], c["source"], c["notes"]) for c in stored["custom_steps"]][0] == (
        "Reseat the uplink cable",
        "ad-hoc",
        "cable was loose",
    )
    assert stored["custom_steps"][1]["source_step_id"] == server.step["id"]
    assert server.ok(server.http.get(f"/steps/{server.step['id']}"), 200)["usage_count"] == 1

    # Nothing pending any more; pushing everything again stores nothing new.
    assert sync_client.push_now(session=session, actor=desktop).message.startswith("Nothing to push")
    again = sync_client.push_now(session=session, actor=desktop, resend_all=True)
    session.commit()
    assert again.counts == {"unchanged": 1}
    assert [s["id"] for s in server.sessions()] == [str(sid)]
    assert server.ok(server.http.get(f"/steps/{server.step['id']}"), 200)["usage_count"] == 1
    st = sync_client.status(session=session, actor=desktop)
    assert (st.sessions_pushed, st.sessions_pending, st.conflicts) == (1, 0, [])
    assert st.last_pull_at is not None
    assert st.last_push_at is not None


def test_push_endpoint_twice_answers_what_was_stored(session, server, desktop) -> None:
    sync_client.pull_now(session=session, actor=desktop)
    sid = _offline_session(session, desktop, uuid.UUID(server.tree["id"]), complete=False)
    item = sync_client.session_item(session.get(sessions_service.SupportSession, sid)).model_dump(mode="json")
    one = server.ok(server.http.post("/sync/push", json={"sessions": [item]}), 200)
    two = server.ok(server.http.post("/sync/push", json={"sessions": [item]}), 200)
    assert one["items"][0]["status"] == "created"
    assert two["items"][0]["status"] == "unchanged"
    assert one["items"][0]["fingerprint"] == two["items"][0]["fingerprint"]
    assert len(server.sessions()) == 1
    # The session went on offline (completed): the next push updates the same server session.
    sessions_service.complete_session(session=session, actor=desktop, session_id=sid, outcome="escalated")
    session.commit()
    run = sync_client.push_now(session=session, actor=desktop)
    assert run.counts == {"updated": 1}
    assert [s["outcome"] for s in server.sessions()] == ["escalated"]
    bad = server.http.post("/sync/push", json={"sessions": [{**item, "id": "not-a-uuid"}]})
    assert bad.status_code == 422


def test_a_session_continued_on_the_server_is_not_overwritten(session, server, desktop) -> None:
    sync_client.pull_now(session=session, actor=desktop)
    sid = _offline_session(session, desktop, uuid.UUID(server.tree["id"]), complete=False)
    assert sync_client.push_now(session=session, actor=desktop).counts == {"created": 1}
    session.commit()
    # The engineer goes on in the browser on the server, and also offline on the desktop.
    server.ok(server.http.put(f"/sessions/{sid}/notes", json={"node_id": "q", "notes": "Noted on the server"}), 200)
    sessions_service.complete_session(session=session, actor=desktop, session_id=sid, outcome="resolved")
    session.commit()
    run = sync_client.push_now(session=session, actor=desktop)
    session.commit()
    assert run.counts == {"conflict": 1}
    assert run.items[0]["reason"] == sync_rules.SESSION_CHANGED_ON_SERVER
    stored = server.ok(server.http.get(f"/sessions/{sid}"), 200)
    assert stored["status"] == "in_progress"
    assert stored["history"][0]["notes"] == "Noted on the server"
    # "Push anyway" (accept a changed flow) does not override it either.
    again = sync_client.push_anyway(
        session=session, actor=desktop, conflict_id=sync_client.status(session=session, actor=desktop).conflicts[0].id
    )
    assert again.counts == {"conflict": 1}
    assert server.ok(server.http.get(f"/sessions/{sid}"), 200)["status"] == "in_progress"


def test_flow_changed_on_server_is_a_conflict_never_stored_silently(session, server, desktop) -> None:
    sync_client.pull_now(session=session, actor=desktop)
    session.commit()
    sid = _offline_session(session, desktop, uuid.UUID(server.tree["id"]))
    edited = {
        **TREE,
        "nodes": [*TREE["nodes"][:1], {**TREE["nodes"][1], "title": "Power-cycle the AP"}, *TREE["nodes"][2:]],
    }
    changed = server.ok(server.http.put(f"/trees/{server.tree['id']}", json={"tree_structure": edited}), 200)
    assert changed["version"] > server.tree["version"]

    run = sync_client.push_now(session=session, actor=desktop)
    session.commit()
    assert run.counts == {"conflict": 1}
    assert server.sessions() == []
    conflicts = sync_client.status(session=session, actor=desktop).conflicts
    assert len(conflicts) == 1
    c = conflicts[0]
    assert (c.kind, c.item_id, c.reason, c.pulled_version, c.server_version) == (
        "session",
        sid,
        sync_rules.FLOW_CHANGED_ON_SERVER,
        server.tree["version"],
        changed["version"],
    )
    assert c.changes["changed"] == 1
    assert c.differences[0]["title"] in ("Reboot the AP", "Power-cycle the AP")
    # Pushing again without a choice changes nothing (still a conflict, still not stored).
    assert sync_client.push_now(session=session, actor=desktop, resend_all=True).counts == {"conflict": 1}
    assert server.sessions() == []
    # The user's explicit choice stores it on the copy it ran on.
    resolved = sync_client.push_anyway(session=session, actor=desktop, conflict_id=c.id)
    session.commit()
    assert resolved.counts == {"created": 1}
    stored = server.sessions()
    assert [s["id"] for s in stored] == [str(sid)]
    assert stored[0]["tree_version"] == server.tree["version"]
    assert sync_client.status(session=session, actor=desktop).conflicts == []


def test_flow_edited_on_both_sides_is_reported_on_pull(session, server, desktop) -> None:
    sync_client.pull_now(session=session, actor=desktop)
    session.commit()
    mine = {**TREE, "nodes": [*TREE["nodes"][:3], {**TREE["nodes"][3], "title": "Replace the PoE injector"}]}
    trees_service.update_tree(
        session=session, actor=desktop, tree_id=server.tree["id"], changes={"tree_structure": mine}
    )
    session.commit()
    theirs = {**TREE, "nodes": [*TREE["nodes"][:2], {**TREE["nodes"][2], "title": "AP online again"}, TREE["nodes"][3]]}
    server.ok(server.http.put(f"/trees/{server.tree['id']}", json={"tree_structure": theirs}), 200)
    run = sync_client.pull_now(session=session, actor=desktop)
    session.commit()
    assert run.counts.get("conflicts") == 1
    local = session.get(Tree, uuid.UUID(server.tree["id"]))
    session.refresh(local)
    assert local.tree_structure == mine  # the desktop's edit was not overwritten
    (c,) = sync_client.status(session=session, actor=desktop).conflicts
    assert c.kind == "flow"
    assert c.reason == sync_rules.FLOW_EDITED_ON_BOTH_SIDES
    assert c.changes["changed"] >= 1


def test_bundles_carry_a_push_and_a_pull_without_network_and_tampering_is_refused(session, server, desktop) -> None:
    sync_client.pull_now(session=session, actor=desktop)
    session.commit()
    sid = _offline_session(session, desktop, uuid.UUID(server.tree["id"]), library_step_id=server.step["id"])
    data = sync_client.export_bundle(session=session, actor=desktop)

    tampered = json.loads(data)
    tampered["payload"]["sessions"][0]["summary"] = "Something else"
    refused = server.http.post(
        "/sync/bundle", files={"file": ("b.json", json.dumps(tampered).encode(), "application/json")}
    )
    assert refused.status_code == 422
    assert "signature does not match" in refused.json()["detail"]
    assert server.sessions() == []

    for expected in ("created", "unchanged"):
        answer = server.ok(server.http.post("/sync/bundle", files={"file": ("b.json", data, "application/json")}), 200)
        assert [i["status"] for i in answer["items"]] == [expected]
    assert [s["id"] for s in server.sessions()] == [str(sid)]
    assert server.ok(server.http.get(f"/steps/{server.step['id']}"), 200)["usage_count"] == 1

    # The way back: the server's signed pull bundle marks the session pushed and brings a new flow version.
    server.ok(server.http.put(f"/trees/{server.tree['id']}", json={"description": "Updated on the server"}), 200)
    bundle = server.http.get("/sync/bundle")
    assert bundle.status_code == 200
    assert "attachment" in bundle.headers["content-disposition"]
    with pytest.raises(InvalidInput, match="signature does not match"):
        sync_client.import_bundle(
            session=session, actor=desktop, data=bundle.content.replace(b"Updated on the server", b"Changed in transit")
        )
    run = sync_client.import_bundle(session=session, actor=desktop, data=bundle.content)
    session.commit()
    assert run.action == "import"
    assert run.counts.get("flows_updated") == 1
    assert session.get(Tree, uuid.UUID(server.tree["id"])).description == "Updated on the server"
    assert sync_client.status(session=session, actor=desktop).sessions_pending == 0


def test_a_push_bundle_imported_on_this_installation_uses_its_own_key(session) -> None:
    """The server side of a bundle without HTTP: another user's key does not open it."""
    from resolutionflow_app.services import sync as server_side

    alice, bob = make_user(session), make_user(session)
    key = server_side.bundle_key(session=session, actor=alice)
    data = sync_rules.sign_bundle("push", {"sessions": []}, key=key, created_at="2026-01-01T00:00:00+00:00")
    assert sync_client.import_bundle(session=session, actor=alice, data=data).counts == {}
    with pytest.raises(InvalidInput, match="signature does not match"):
        sync_client.import_bundle(session=session, actor=bob, data=data)
    assert session.exec(select(StepUsageLog)).all() == []


def test_cli_sync_export_and_import(session, server, desktop, tmp_path, capsys) -> None:
    from resolutionflow_app.cli import main

    sync_client.pull_now(session=session, actor=desktop)
    session.commit()
    sid = _offline_session(session, desktop, uuid.UUID(server.tree["id"]))
    out = tmp_path / "sessions.rfsync.json"
    assert main(["sync-export", str(out), "--email", desktop.email]) == 0
    answer = server.ok(
        server.http.post("/sync/bundle", files={"file": ("s.json", out.read_bytes(), "application/json")}), 200
    )
    assert [(i["id"], i["status"]) for i in answer["items"]] == [(str(sid), "created")]

    pulled = tmp_path / "flows.rfsync.json"
    pulled.write_bytes(server.http.get("/sync/bundle").content)
    assert main(["sync-import", str(pulled), "--email", desktop.email]) == 0
    assert "Pulled 0 flow(s)" in capsys.readouterr().out  # nothing new; the receipt marks the session pushed
    session.expire_all()
    assert sync_client.status(session=session, actor=desktop).sessions_pending == 0
    pulled.write_bytes(pulled.read_bytes().replace(b"AP offline", b"AP online!"))
    assert main(["sync-import", str(pulled), "--email", desktop.email]) == 1
    assert "signature does not match" in capsys.readouterr().err


def test_flows_and_steps_gone_from_the_server_are_retired_here(session, server, desktop) -> None:
    sync_client.pull_now(session=session, actor=desktop)
    session.commit()
    tree_id, step_id = uuid.UUID(server.tree["id"]), uuid.UUID(server.step["id"])
    server.ok(server.http.put(f"/trees/{server.tree['id']}", json={"status": "draft"}), 200)
    assert server.http.delete(f"/steps/{server.step['id']}").status_code == 204
    run = sync_client.pull_now(session=session, actor=desktop)
    session.commit()
    assert (run.counts.get("flows_retired"), run.counts.get("steps_retired")) == (1, 1)
    assert "retired" in run.message
    assert not session.get(Tree, tree_id).is_active
    assert not session.get(LibraryStep, step_id).is_active
    from resolutionflow_app.domain.errors import Conflict as ConflictError

    with pytest.raises(ConflictError, match="published, active"):
        sessions_service.start_session(session=session, actor=desktop, tree_id=tree_id)
    server.ok(server.http.put(f"/trees/{server.tree['id']}", json={"status": "published"}), 200)
    run = sync_client.pull_now(session=session, actor=desktop)
    session.commit()
    assert run.counts.get("flows_updated") == 1
    session.refresh(session.get(Tree, tree_id))
    assert session.get(Tree, tree_id).is_active
