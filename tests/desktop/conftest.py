"""Desktop-test fixtures: a virtual X screen (Debian xvfb) and helpers to launch and watch `resolutionflow desktop`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
import pytest

from resolutionflow_app.desktop.single_instance import send_command

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    """A fresh Xvfb screen (1440x900) for the session; no window manager, like a bare X server."""
    if not shutil.which("Xvfb"):
        pytest.fail("Xvfb is missing: `make setup-test` installs the Debian package xvfb")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1440x900x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        number = fh.readline().strip()
    assert number, "Xvfb did not report its display"
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)


def desktop_env(display: str, xdg_data_home: Path) -> dict[str, str]:
    """The launcher's environment: the virtual screen, a private XDG data home, QtWebEngine without GPU and sandbox."""
    env = dict(os.environ)
    for name in ("RF_DATABASE_URL", "RF_PUBLIC_BASE_URL", "RF_WORKER_MODE", "RF_DESKTOP_LOGIN_FILE", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    env.update(
        DISPLAY=display,
        XDG_DATA_HOME=str(xdg_data_home),
        QT_QPA_PLATFORM="xcb",
        # No GPU and (as root in a container) no Chromium sandbox here.
        QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu",
        QTWEBENGINE_DISABLE_SANDBOX="1",
        REFLEX_BUN_PATH=str(ROOT / ".tools/node_modules/@oven/bun-linux-x64/bin/bun"),
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
    )
    return env


def launch(env: dict[str, str], log_name: str, *args: str) -> subprocess.Popen:
    """Start `resolutionflow desktop` (its output goes to test-artifacts/<log_name>.log)."""
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"{log_name}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [str(BIN / "resolutionflow"), "desktop", *args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, proc: subprocess.Popen | None = None) -> Any:
    """Poll `predicate` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the desktop app exited ({proc.returncode}) while waiting for {what}")
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def status(instance_file: Path) -> dict[str, Any] | None:
    """The running instance's answer to `status` (None when none answers)."""
    return send_command(instance_file, "status")


def page_is(instance_file: Path, path: str, text: str) -> dict[str, Any] | None:
    """The window's page when it shows `path` (query ignored) with `text` in it (None otherwise)."""
    reply = status(instance_file)
    page = (reply or {}).get("page") or {}
    shown = urlsplit(page.get("url", "")).path.rstrip("/")
    return page if shown == path.rstrip("/") and text in page.get("text", "") else None


def process_tree(pid: int) -> list[psutil.Process]:
    """The process and all its descendants."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def accepts(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:`port`."""
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def xdotool(display: str, *args: str) -> str:
    """Run xdotool on the virtual screen; its output."""
    out = subprocess.run(
        ["xdotool", *args], env={**os.environ, "DISPLAY": display}, capture_output=True, text=True, timeout=20
    )
    return out.stdout.strip()


def screenshot(display: str, name: str) -> Path:
    """A PNG of the whole virtual screen in test-artifacts/."""
    import mss

    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    with mss.MSS(display=display) as grabber:
        grabber.shot(output=str(path))
    return path
