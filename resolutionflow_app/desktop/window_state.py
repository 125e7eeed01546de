"""The window's remembered size, position and maximized flag, kept as JSON in the data directory."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

MIN_WIDTH, MIN_HEIGHT = 640, 480
MAX_EXTENT = 20_000


@dataclass
class WindowState:
    """Where and how big the window was when it was last closed."""

    width: int = 1280
    height: int = 860
    x: int | None = None
    y: int | None = None
    maximized: bool = False


def load_window_state(path: Path) -> WindowState:
    """The state saved at `path`; defaults for a missing or unreadable file, sizes clamped to sane bounds.

    Args:
        path: the JSON file.

    Returns:
        The window state to open with (position None = let the window system centre it).
    """
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return WindowState()
    if not isinstance(raw, dict):
        return WindowState()
    state = WindowState()
    state.width = _int(raw.get("width"), state.width, MIN_WIDTH, MAX_EXTENT)
    state.height = _int(raw.get("height"), state.height, MIN_HEIGHT, MAX_EXTENT)
    x, y = _int(raw.get("x"), None, -MAX_EXTENT, MAX_EXTENT), _int(raw.get("y"), None, -MAX_EXTENT, MAX_EXTENT)
    if x is not None and y is not None:
        state.x, state.y = x, y
    state.maximized = raw.get("maximized") is True
    return state


def save_window_state(path: Path, state: WindowState) -> None:
    """Write `state` to `path` atomically (a crash never leaves half a file).

    Args:
        path: the JSON file.
        state: what to remember.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2))
    os.replace(tmp, path)


def _int(value: object, default: int | None, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return max(low, min(high, int(value)))
