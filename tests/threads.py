"""Run test workers on real threads at once and collect what they raise."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_concurrently(workers: list[Callable[[], None]]) -> list[BaseException]:
    """Start every worker on its own thread, wait for all, and return the exceptions they raised (none: [])."""
    errors: list[BaseException] = []

    def guarded(work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - reported to the test, which asserts there are none
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(work,)) for work in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
