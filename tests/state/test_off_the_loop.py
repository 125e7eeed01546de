"""Every page handler runs its service calls in a worker thread: a slow database never stalls Reflex's event loop."""

from __future__ import annotations

import ast
import asyncio
import inspect
import threading
from pathlib import Path

import pytest
import reflex as rx

import resolutionflow_app
import resolutionflow_app.resolutionflow_app  # noqa: F401  (imports every page, so every state class exists)
from resolutionflow_app import entry
from resolutionflow_app.domain.errors import NotFound
from resolutionflow_app.pages.automations import AutomationsState
from resolutionflow_app.pages.login import LoginState
from resolutionflow_app.state.off_the_loop import ORIGINAL
from tests.state.helpers import make_state


def _app_states() -> list[type[rx.State]]:
    found, todo = [], [rx.State]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("resolutionflow_app.") and not cls._mixin:  # a mixin's handlers live on its users
            found.append(cls)
    return found


def test_reflex_awaits_every_handler_of_every_page() -> None:
    inline = [
        f"{cls.__name__}.{name}"
        for cls in _app_states()
        for name, handler in cls.event_handlers.items()
        # `setvar` is Reflex's own; it only calls a `set_<name>` handler by hand (never used by our pages).
        if name != "setvar" and not (inspect.iscoroutinefunction(handler.fn) or inspect.isasyncgenfunction(handler.fn))
    ]
    assert len(_app_states()) >= 25
    assert inline == [], f"these handlers would run on the event loop: {inline}"


def _blocked_service(release: threading.Event, ran_on: list[str]):
    """A stand-in for `entry.call` that holds its thread until the event loop sets `release`."""

    def call(fn, **kwargs):
        ran_on.append(threading.current_thread().name)
        if not release.wait(timeout=10):
            raise AssertionError("the service call held the event loop: the loop never got to release it")
        return "token-from-the-database"

    return call


async def _run_while_the_loop_answers(handler_call, release: threading.Event):
    """Start the handler, then let the loop release the service it waits on; a blocked loop never gets there."""
    task = asyncio.ensure_future(handler_call)
    await asyncio.sleep(0.05)  # the handler is now inside the service call
    release.set()
    return await asyncio.wait_for(task, timeout=20)


def test_a_handler_waiting_on_the_database_leaves_the_loop_free(monkeypatch) -> None:
    release, ran_on = threading.Event(), []
    monkeypatch.setattr(entry, "call", _blocked_service(release, ran_on))
    state = make_state(LoginState, path="/login")
    handler = LoginState.event_handlers["login"]

    asyncio.run(_run_while_the_loop_answers(handler.fn(state, form={"email": "a@b.c", "password": "x" * 12}), release))

    assert ran_on
    assert ran_on[0] != threading.main_thread().name
    assert state.token == "token-from-the-database"
    assert state.error == ""


def test_a_generator_handler_still_sends_each_update_and_its_return_value(monkeypatch) -> None:
    release, ran_on = threading.Event(), []
    monkeypatch.setattr(entry, "call", _blocked_service(release, ran_on))
    state = make_state(AutomationsState, path="/automations")
    handler = AutomationsState.event_handlers["delete"]

    async def collect():
        return [update async for update in handler.fn(state, automation_id="a1")]

    updates = asyncio.run(_run_while_the_loop_answers(collect(), release))
    assert ran_on
    assert ran_on[0] != threading.main_thread().name
    assert len(updates) == 2
    assert updates[1] == AutomationsState.fetch

    def refuse(fn, **kwargs):
        raise NotFound("That automation is gone.")

    monkeypatch.setattr(entry, "call", refuse)

    async def collect_refusal():
        return [update async for update in handler.fn(state, automation_id="a1")]

    refused = asyncio.run(collect_refusal())
    assert len(refused) == 1
    assert "That automation is gone." in repr(refused[0])


@pytest.mark.parametrize("cls", [LoginState, AutomationsState])
def test_calling_a_handler_on_a_state_runs_it_here_and_now(cls) -> None:
    """One handler calling another (and unit tests) get the plain function, not a coroutine."""
    state = make_state(cls)
    name = next(iter(n for n, h in cls.event_handlers.items() if hasattr(h.fn, ORIGINAL)))
    bound = getattr(state, name)
    assert bound.__func__ is getattr(cls.event_handlers[name].fn, ORIGINAL)


SERVICE_CALLS = {("self", "call"), ("self", "try_call"), ("self", "actor"), ("entry", "call")}


def _blocking_calls(path) -> list[str]:
    """Service calls made straight from an `async def` (directly, or through a sync method of the same module)."""
    tree = ast.parse(path.read_text())

    def called(fn) -> set[tuple[str, str]]:
        return {
            (node.func.value.id, node.func.attr)
            for node in ast.walk(fn)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
        }

    sync_methods = {fn.name: fn for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)}
    calls_services = {name for name, fn in sync_methods.items() if called(fn) & SERVICE_CALLS}
    return [
        f"{path.name}:{fn.name} calls {owner}.{attr}"
        for fn in ast.walk(tree)
        if isinstance(fn, ast.AsyncFunctionDef)
        for owner, attr in sorted(called(fn))
        if (owner, attr) in SERVICE_CALLS or (owner == "self" and attr in calls_services)
    ]


def test_no_async_handler_calls_a_service_on_the_loop() -> None:
    """An async handler (uploads, background tasks) reaches services through `try_call_async` or `asyncio.to_thread`."""
    root = Path(resolutionflow_app.__file__).parent
    found = [
        hit
        for folder in ("state", "pages", "components")
        for p in (root / folder).rglob("*.py")
        for hit in _blocking_calls(p)
    ]
    assert found == []
