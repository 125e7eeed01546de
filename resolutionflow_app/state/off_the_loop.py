"""Plain (sync) event handlers run in a worker thread, so their database calls never block Reflex's event loop.

Reflex 0.10 calls a sync handler inline on the event loop that serves every browser tab of this
process; a handler waiting on the database there stalls everybody's events, websockets and live
run progress. `AuthState` creates its handlers through `threaded_handler`: Reflex sees an async
handler that awaits the original function in a thread (`asyncio.to_thread`, so context variables
follow). The state lock for the tab is held meanwhile, as for any handler, so nothing else touches
that state concurrently.

Calling a handler directly on a state instance (one handler calling another, or a unit test) still
runs the original function synchronously: `ThreadedEventHandler.__get__` binds the original.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import types
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from reflex_base.event import BACKGROUND_TASK_MARKER, EventHandler

# The original function, kept on its async wrapper.
ORIGINAL = "__rf_inline__"


class ThreadedEventHandler(EventHandler):
    """An event handler whose `fn` runs the original sync function in a worker thread."""

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        """Class access: this handler. Instance access: the original function, bound (it runs here, in this thread)."""
        bound = super().__get__(instance, owner)
        if isinstance(bound, types.MethodType):
            return types.MethodType(getattr(self.fn, ORIGINAL), bound.__self__)
        return bound


def runs_inline(fn: Any) -> bool:
    """True for a function Reflex would run on its event loop: a plain or generator function, not a background task."""
    return (
        inspect.isfunction(fn)
        and not inspect.iscoroutinefunction(fn)
        and not inspect.isasyncgenfunction(fn)
        and not getattr(fn, BACKGROUND_TASK_MARKER, False)
    )


def off_the_loop(fn: Callable[..., Any]) -> Callable[..., Any]:
    """An async twin of sync handler `fn` that runs it in a worker thread.

    A generator handler becomes an async generator that advances the generator in a thread, one
    `yield` at a time, so Reflex still sends each yielded update to the browser before going on.
    """
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        async def stepped(state: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            events: Iterator[Any] = fn(state, *args, **kwargs)  # creating a generator runs none of its body
            while True:
                done, value = await asyncio.to_thread(_advance, events)
                if done:
                    if value is not None:  # a generator's `return x`, which Reflex also sends
                        yield value
                    return
                yield value

        setattr(stepped, ORIGINAL, fn)
        return stepped

    @functools.wraps(fn)
    async def threaded(state: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, state, *args, **kwargs)

    setattr(threaded, ORIGINAL, fn)
    return threaded


def _advance(events: Iterator[Any]) -> tuple[bool, Any]:
    """The generator's next item as (False, item), or (True, its return value) once it is exhausted."""
    try:
        return False, next(events)
    except StopIteration as stop:
        return True, stop.value
