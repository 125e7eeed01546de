"""The app server of the desktop: `reflex run --env prod` on a free loopback port, started and stopped whole."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from resolutionflow_app.settings import PROJECT_ROOT

BUN = PROJECT_ROOT / ".tools/node_modules/@oven/bun-linux-x64/bin/bun"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_listening(port: int) -> bool:
    """True when something accepts connections on 127.0.0.1:`port`."""
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def server_env(
    *, database_url: str, login_code_file: Path, port: int, base: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of the desktop's app server: embedded default on SQLite, in-process worker, loopback origin.

    Args:
        database_url: the SQLite URL in the data directory.
        login_code_file: enables desktop sign-in (RF_DESKTOP_LOGIN_FILE).
        port: the one port serving pages, websocket and /api/v1.
        base: the environment to start from (default: this process's).

    Returns:
        The environment for the server process.
    """
    env = dict(os.environ if base is None else base)
    origin = f"http://127.0.0.1:{port}"
    env.update(
        RF_DATABASE_URL=database_url,
        RF_DESKTOP_LOGIN_FILE=str(login_code_file),
        RF_PUBLIC_BASE_URL=origin,
        RF_WORKER_MODE="inprocess",
        REFLEX_API_URL=origin,
        REFLEX_DEPLOY_URL=origin,
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
    )
    env.setdefault("REFLEX_BUN_PATH", str(BUN))
    for name in ("REFLEX_REDIS_URL", "RF_REDIS_URL"):  # the desktop is one process: no shared state store
        env.pop(name, None)
    return env


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the launcher dies (Linux), so a crash leaves no server."""
    if sys.platform.startswith("linux"):
        import ctypes  # noqa: PLC0415

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class AppServer:
    """One `reflex run --env prod` process group serving the app on 127.0.0.1:`port`."""

    def __init__(self, *, database_url: str, login_code_file: Path, log_path: Path, port: int | None = None) -> None:
        """Prepare the server (nothing runs yet).

        Args:
            database_url: the SQLite URL in the data directory.
            login_code_file: the desktop sign-in code file.
            log_path: where the server's output goes.
            port: a fixed port (default: a free one).
        """
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = server_env(database_url=database_url, login_code_file=login_code_file, port=self.port)
        self.proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def start(self) -> None:
        """Start the server in its own process group (the production build runs first, 5-15 s).

        Raises:
            RuntimeError: `stop()` was already called (the window closed during start-up).
        """
        with self._lock:
            if self._stopped:
                raise RuntimeError("The app server was stopped before it started.")
            self._spawn()

    def _spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        reflex = Path(sys.executable).parent / "reflex"
        cmd = [
            str(reflex),
            "run",
            "--env",
            "prod",
            "--frontend-port",
            str(self.port),
            "--backend-port",
            str(self.port),
            "--backend-host",
            "127.0.0.1",
            "--loglevel",
            "warning",
        ]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def wait_ready(self, timeout: float = 300.0) -> None:
        """Block until the app answers `/ping` and its pages.

        Args:
            timeout: seconds to wait.

        Raises:
            RuntimeError: the server exited or did not answer in time (the message names the log).
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                code = None if self.proc is None else self.proc.returncode
                raise RuntimeError(f"The app server stopped while starting (exit code {code}); see {self.log_path}")
            try:
                if (
                    httpx.get(f"{self.url}/ping", timeout=2).status_code == 200
                    and httpx.get(f"{self.url}/login", timeout=5, follow_redirects=True).status_code == 200
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"The app server did not answer within {int(timeout)} s; see {self.log_path}")

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server and every process it started; returns once none is left.

        SIGTERM to the `reflex` process first (it stops granian and its workers cleanly), then
        whatever is left in its process group, then SIGKILL for anything that outlives `timeout`.

        Args:
            timeout: seconds to wait for a clean stop before killing.
        """
        with self._lock:
            self._stopped = True
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the group id is the leader's pid
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout)
        _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        _signal_group(pgid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.wait(timeout=10)
        while _group_alive(pgid) and time.monotonic() < deadline + 10:
            time.sleep(0.1)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
