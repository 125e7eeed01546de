"""The remembered window geometry: round trip, defaults for missing or broken files, sizes clamped."""

from __future__ import annotations

from pathlib import Path

from resolutionflow_app.desktop.window_state import (
    MIN_HEIGHT,
    MIN_WIDTH,
    WindowState,
    load_window_state,
    save_window_state,
)


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "window.json"
    save_window_state(path, WindowState(width=1000, height=700, x=120, y=-30, maximized=True))
    assert load_window_state(path) == WindowState(width=1000, height=700, x=120, y=-30, maximized=True)
    assert [p.name for p in tmp_path.iterdir()] == ["window.json"]  # no temp file left


def test_missing_or_broken_files_give_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "window.json"
    assert load_window_state(path) == WindowState()
    for text in ("{not json", "[1, 2]", '"x"', "null"):
        path.write_text(text)
        assert load_window_state(path) == WindowState()


def test_odd_values_are_clamped_or_ignored(tmp_path: Path) -> None:
    path = tmp_path / "window.json"
    path.write_text('{"width": 10, "height": 99999999, "x": 5, "y": "top", "maximized": "yes"}')
    state = load_window_state(path)
    assert (state.width, state.height) == (MIN_WIDTH, 20_000)
    assert (state.x, state.y, state.maximized) == (None, None, False)  # half a position is no position
    path.write_text('{"width": true, "height": 600.7}')
    assert (load_window_state(path).width, load_window_state(path).height) == (1280, max(MIN_HEIGHT, 600))
