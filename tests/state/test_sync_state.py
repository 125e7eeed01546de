"""SyncState against a second backend on loopback: sign in, pull, push with conflicts shown, push anyway."""

from __future__ import annotations

import asyncio
import inspect
import types

from resolutionflow_app.services import sessions as sessions_service
from resolutionflow_app.services.auth import user_for_token
from resolutionflow_app.state.sync import SyncState
from tests.factories import PASSWORD, register
from tests.services.test_sync_roundtrip import TREE, Server, _loopback_allowed, remote  # noqa: F401 - fixtures
from tests.state.helpers import make_state


class Proxy:
    """Stands in for Reflex's StateProxy in a background task: `async with self` is a no-op, methods bind to the
    proxy."""

    def __init__(self, state) -> None:
        object.__setattr__(self, "_state", state)

    def __getattr__(self, name):
        attr = getattr(type(self._state), name, None)
        if inspect.isfunction(attr):
            return types.MethodType(attr, self)
        return getattr(self._state, name)

    def __setattr__(self, name, value) -> None:
        setattr(self._state, name, value)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> bool:
        return False


def _run(handler, state, *args) -> list:
    async def go():
        return [e async for e in handler.fn(Proxy(state), *args)]

    return asyncio.run(go())


def test_sync_page_state_round_trip(api, session, remote) -> None:  # noqa: F811 - the imported fixture
    server = Server(remote)
    local = register(api)
    state = make_state(SyncState, path="/account/sync", token=local["access_token"])
    state.load()
    assert (state.signed_in, state.last_pull, state.conflicts) == (False, "never", [])

    _run(SyncState.sign_in, state, {"server_url": server.base, "email": server.email, "password": "wrong-password-123"})
    assert "refused the sign-in" in state.error
    assert not state.signed_in
    assert state.busy == ""
    _run(SyncState.sign_in, state, {"server_url": server.base, "email": server.email, "password": PASSWORD})
    assert state.signed_in
    assert state.has_bundle_key
    assert state.error == ""

    _run(SyncState.pull_now, state)
    assert state.flows == 1
    assert state.steps >= 1
    assert state.last_pull != "never"
    assert state.result.startswith("Pulled 1 flow(s)")

    user = user_for_token(session=session, token=local["access_token"])
    for _ in range(2):
        s = sessions_service.start_session(session=session, actor=user, tree_id=server.tree["id"])
        sessions_service.advance(session=session, actor=user, session_id=s.id, node_id="q", answer="No", notes="no PoE")
    session.commit()
    state.load()
    assert state.pending == 2
    server.ok(
        server.http.put(
            f"/trees/{server.tree['id']}",
            json={
                "tree_structure": {**TREE, "nodes": [{**TREE["nodes"][0], "title": "Powered on?"}, *TREE["nodes"][1:]]}
            },
        ),
        200,
    )

    events = _run(SyncState.push_now, state)
    assert events
    assert state.busy == ""
    assert len(state.conflicts) == 2
    assert state.pushed == 0
    row = state.conflicts[0]
    assert row.kind == "session"
    assert f"pulled version {server.tree['version']}, server version {server.tree['version'] + 1}" in row.message
    assert row.changes == "1 changed"
    assert "Powered" in row.differences

    _run(SyncState.push_anyway, state, row.id)
    assert len(state.conflicts) == 1
    assert state.pushed == 1
    assert [s["id"] for s in server.sessions()] == [row.item_id]
    state.dismiss(state.conflicts[0].id)
    assert state.conflicts == []
    assert state.pending == 1
