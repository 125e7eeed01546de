"""No database I/O on the API's event loop: sync routes run in FastAPI's threadpool; the async ones
(which await a request body) hand their service calls to a thread."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest

from resolutionflow_app.services import files as files_service
from tests.factories import add_member, register

ROUTERS = Path(__file__).resolve().parents[2] / "resolutionflow_app" / "api" / "routers"


def _service_calls_on_the_loop(path: Path) -> list[str]:
    """Calls of a service function (`service.x(...)`, `*_service.x(...)`) inside an async route: it must
    pass the function to `run_in_threadpool` / `asyncio.to_thread` instead of calling it."""
    problems = []
    for fn in ast.walk(ast.parse(path.read_text())):
        if not isinstance(fn, ast.AsyncFunctionDef):
            continue
        for call in ast.walk(fn):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
            ):
                owner = call.func.value.id
                if owner == "service" or owner.endswith("_service"):
                    problems.append(f"{path.name}:{call.lineno} {owner}.{call.func.attr}() in async {fn.name}")
    return problems


def test_async_routes_call_no_service_on_the_event_loop() -> None:
    problems = [p for path in sorted(ROUTERS.glob("*.py")) for p in _service_calls_on_the_loop(path)]
    assert problems == []


def test_the_check_finds_a_service_called_on_the_loop(tmp_path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("async def route(session):\n    return service.upload(session=session)\n")
    good = tmp_path / "good.py"
    good.write_text("async def route(session):\n    return await run_in_threadpool(service.upload, session=session)\n")
    assert _service_calls_on_the_loop(bad) == ["bad.py:2 service.upload() in async route"]
    assert _service_calls_on_the_loop(good) == []


@pytest.fixture
def team(api):
    owner = register(api)
    return {"engineer": add_member(api, owner, role="engineer")["headers"]}


def test_upload_writes_to_the_database_off_the_event_loop(api, team, monkeypatch) -> None:
    seen = []
    real = files_service.upload

    def upload(**kwargs):
        try:
            asyncio.get_running_loop()
            seen.append("event loop")
        except RuntimeError:
            seen.append("thread")
        return real(**kwargs)

    monkeypatch.setattr(files_service, "upload", upload)
    up = api.post("/api/v1/files", files={"file": ("a.txt", b"abc", "text/plain")}, headers=team["engineer"])
    assert up.status_code == 201
    assert seen == ["thread"]
