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
