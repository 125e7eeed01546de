"""Build Reflex states under pytest with a chosen client IP, URL and login token."""

from __future__ import annotations

from reflex import constants
from reflex.istate.data import RouterData

# FastAPI's TestClient connects as this peer: a state with this IP shares the API test's budget.
TESTCLIENT_IP = "testclient"


def make_state(cls, *, ip: str = TESTCLIENT_IP, path: str = "/", token: str = "", user_agent: str = "pytest-state"):
    """An instance of state `cls` as if a browser at `ip` had opened `path` (query string allowed)."""
    state = cls(_reflex_internal_init=True)
    state.router = RouterData.from_router_data(
        {
            constants.RouteVar.CLIENT_IP: ip,
            constants.RouteVar.PATH: path.split("?", 1)[0],
            constants.RouteVar.ORIGIN: path,
            constants.RouteVar.HEADERS: {"origin": "http://app.test", "user-agent": user_agent},
        }
    )
    state.token = token
    return state


def make_tree(cls, *, ip: str = TESTCLIENT_IP, path: str = "/", token: str = ""):
    """State `cls` inside a whole state tree (root first), for states whose substates read or compute from it.

    Computed vars of one substate that depend on another state's vars need the real tree to be marked dirty.
    """
    import reflex as rx

    root = rx.State(_reflex_internal_init=True)
    router = make_state(cls, ip=ip, path=path).router
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    root.router = router
    state.token = token
    return state
