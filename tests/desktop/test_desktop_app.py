"""`resolutionflow desktop` for real: a Qt window on Xvfb showing the app, its menu, single instance, geometry and clean
exit.

The tests share one running instance (a start builds the production frontend, 10-30 s) and run in file order.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from PIL import Image

from resolutionflow_app.services.desktop_login import LOCAL_EMAIL
from tests.desktop.conftest import (
    ARTIFACTS,
    BIN,
    accepts,
    desktop_env,
    launch,
    page_is,
    process_tree,
    screenshot,
    status,
    wait_for,
    xdotool,
)

START_TIMEOUT = 420


class Run:
    """What the tests learn about the running instance."""

    proc: subprocess.Popen
    data: Path
    env: dict
    server_port: int
    control_port: int


@pytest.fixture(scope="module")
def run(display: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The first instance, started on a fresh XDG data home (the platform default data directory)."""
    r = Run()
    xdg = tmp_path_factory.mktemp("xdg-data")
    r.env = desktop_env(display, xdg)
    r.data = xdg / "ResolutionFlow"
    r.proc = launch(r.env, "desktop-first")
    yield r
    if r.proc.poll() is None:  # a failed test left it running
        r.proc.send_signal(signal.SIGTERM)
        r.proc.wait(timeout=90)


def _window(display: str) -> str:
    found = [w for w in xdotool(display, "search", "--onlyvisible", "--name", "^ResolutionFlow$").split() if w]
    assert len(found) == 1, f"expected one ResolutionFlow window, found {found}"
    return found[0]


def test_first_start_opens_the_app_signed_in_as_the_local_owner(run: Run, display: str) -> None:
    instance = run.data / "instance.json"
    home = wait_for(lambda: page_is(instance, "/", "Welcome back"), START_TIMEOUT, "the signed-in home page", run.proc)
    assert home["title"] == "Home · ResolutionFlow"
    assert "My workspace" in home["text"]  # the local account, no sign-up screen
    reply = status(instance)
    run.server_port = int(reply["server_url"].rsplit(":", 1)[1])
    run.control_port = json.loads(instance.read_text())["port"]
    assert run.server_port not in (3000, 8000)
    assert any("reflex" in _cmdline(p) for p in process_tree(run.proc.pid))
    # The server listens on loopback only.
    listening = {
        c.laddr.ip
        for c in psutil.net_connections("tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == run.server_port
    }
    assert listening == {"127.0.0.1"}
    # The local owner lives in the user's data directory ($XDG_DATA_HOME/ResolutionFlow).
    with sqlite3.connect(run.data / "resolutionflow.db") as db:
        rows = db.execute(
            "select u.email, u.role, a.name from users u join accounts a on a.id = u.account_id"
        ).fetchall()
    assert rows == [(LOCAL_EMAIL, "owner", "My workspace")]
    assert not (run.data / "login-code.json").exists()  # the one-time code was used up

    window = _window(display)  # titled "ResolutionFlow"
    icon = subprocess.run(
        ["xprop", "-id", window, "_NET_WM_ICON"], env=run.env, capture_output=True, text=True, timeout=20
    ).stdout
    assert "_NET_WM_ICON(CARDINAL) = " in icon  # the app icon from assets/desktop-icon.png

    time.sleep(2)  # let the page settle before the picture
    shot = screenshot(display, "desktop-window")
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert len(colours) > 200, "the screenshot looks blank"
    assert max(count for count, _ in colours) < 0.9 * image.width * image.height


def test_the_menu_opens_pages(run: Run, display: str) -> None:
    """Keyboard through the real Qt menu: Alt+G, L opens Library; Alt+F, N starts a new session."""
    instance = run.data / "instance.json"
    xdotool(display, "windowfocus", "--sync", _window(display))
    xdotool(display, "key", "--delay", "150", "alt+g", "l")
    wait_for(lambda: page_is(instance, "/library", "Library"), 60, "the Library page")
    xdotool(display, "key", "--delay", "150", "alt+g", "f")
    wait_for(lambda: page_is(instance, "/flows", "Flows"), 60, "the Flows page")
    xdotool(display, "key", "--delay", "150", "alt+f", "n")
    wait_for(
        lambda: page_is(instance, "/sessions", "Pick a published flow to work through live."),
        60,
        "the flow picker of a new session",
    )
    screenshot(display, "desktop-new-session")


def test_a_second_launch_focuses_the_first_and_exits(run: Run, display: str) -> None:
    window = _window(display)
    other = subprocess.Popen(["xmessage", "-name", "other-app", "another application"], env=run.env)
    try:
        other_id = wait_for(
            lambda: xdotool(display, "search", "--onlyvisible", "--name", "^other-app$"), 30, "another window"
        )
        xdotool(display, "windowfocus", "--sync", other_id.split()[0])
        assert xdotool(display, "getwindowfocus") != window
        second = subprocess.run(
            [str(BIN / "resolutionflow"), "desktop", "--page", "/library"],
            env=run.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 0, second.stdout + second.stderr
        assert "already running" in second.stdout
        wait_for(lambda: xdotool(display, "getwindowfocus") == window, 15, "the first window to take the focus")
    finally:
        other.terminate()
        other.wait(timeout=10)
    wait_for(
        lambda: page_is(run.data / "instance.json", "/library", "Library"), 60, "the page the second launch asked for"
    )
    assert run.proc.poll() is None
    assert _window(display) == window


def test_quit_stops_everything_and_remembers_the_geometry(run: Run, display: str) -> None:
    window = _window(display)
    xdotool(display, "windowsize", "--sync", window, "1000", "700")
    xdotool(display, "windowmove", "--sync", window, "120", "60")
    time.sleep(1)
    tree = process_tree(run.proc.pid)
    assert any("reflex" in _cmdline(p) for p in tree)  # the server runs under the launcher
    xdotool(display, "windowfocus", "--sync", window)
    xdotool(display, "key", "--delay", "150", "alt+f", "q")  # File > Quit
    assert run.proc.wait(timeout=120) == 0
    _assert_nothing_left(tree, run)
    saved = json.loads((run.data / "window.json").read_text())
    assert (saved["width"], saved["height"], saved["x"], saved["y"], saved["maximized"]) == (1000, 700, 120, 60, False)


def test_the_next_start_reopens_there_and_sigterm_stops_cleanly(run: Run, display: str) -> None:
    proc = launch(run.env, "desktop-second")
    run.proc = proc
    instance = run.data / "instance.json"
    wait_for(lambda: page_is(instance, "/", "Welcome back"), START_TIMEOUT, "the home page again", proc)
    with sqlite3.connect(run.data / "resolutionflow.db") as db:
        assert db.execute("select count(*) from users").fetchone() == (1,)  # the same local owner, not a new one
    geometry = xdotool(display, "getwindowgeometry", _window(display))
    assert "Position: 120,60" in geometry, geometry
    assert "Geometry: 1000x700" in geometry, geometry
    reply = status(instance)
    run.server_port = int(reply["server_url"].rsplit(":", 1)[1])
    run.control_port = json.loads(instance.read_text())["port"]
    tree = process_tree(proc.pid)
    proc.send_signal(signal.SIGTERM)  # e.g. the session logs out
    assert proc.wait(timeout=120) == 0
    _assert_nothing_left(tree, run)
    assert (ARTIFACTS / "desktop-window.png").exists()


def _cmdline(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


def _assert_nothing_left(tree: list[psutil.Process], run: Run) -> None:
    # QtWebEngine's helper processes notice their parent is gone through a pipe: give them a moment.
    _, alive = psutil.wait_procs(tree, timeout=20)
    left = []
    for p in alive:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{p.pid} {p.name()} {p.status()} {_cmdline(p)[:120]}")
        except psutil.NoSuchProcess:
            pass
    assert not left, f"processes left behind: {left}"
    assert not accepts(run.server_port), "the app server still listens"
    assert not accepts(run.control_port), "the control socket still listens"
    assert not (run.data / "instance.json").exists()
    assert not (run.data / "login-code.json").exists()
