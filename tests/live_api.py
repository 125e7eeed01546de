"""The /api/v1 app served by a real uvicorn process on loopback, which tests may SIGKILL and restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveApi:
    """`create_api()` (the same FastAPI app Reflex mounts) in its own process on `database_url`."""

    def __init__(self, database_url: str, **env: str) -> None:
        self.database_url = database_url
        self.env = {
            **os.environ,
            "RF_DATABASE_URL": database_url,
            "RF_WORKER_MODE": "external",  # runs stay queued: the test checks what was stored
            "RF_SCHEDULER_ENABLED": "false",
            "RF_AUTH_RATE_LIMIT": "100000/minute",
            "RF_SHARE_LOOKUP_RATE_LIMIT": "100000/minute",
            **env,
        }
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def start(self) -> LiveApi:
        """Start the server and wait until /health answers."""
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "resolutionflow_app.api.app:create_api",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"API process exited: {self.proc.stderr.read().decode(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("API process did not answer within 60 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no pending work gets a chance to finish."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> LiveApi:
        """Kill (if running) and start again on the same port and database."""
        self.kill()
        return self.start()

    def stop(self) -> None:
        """Terminate politely (fixture teardown)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None
