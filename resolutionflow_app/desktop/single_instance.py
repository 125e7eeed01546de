"""One desktop instance per data directory: a lock file, and a loopback control socket for later launches."""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import secrets
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], dict[str, Any]]
MAX_LINE = 64 * 1024


class InstanceLock:
    """An exclusive, non-blocking lock on a file; the operating system drops it when the process dies."""

    def __init__(self, path: Path) -> None:
        """Prepare the lock (nothing is locked yet).

        Args:
            path: the lock file.
        """
        self.path = path
        self._fh = None

    def acquire(self) -> bool:
        """Take the lock; False when another live process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # noqa: SIM115 - held open for the lifetime of the instance
        try:
            _lock(fh)
        except OSError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return True

    def release(self) -> None:
        """Give the lock up (closing the file releases it)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _lock(fh) -> None:
    if sys.platform == "win32":
        import msvcrt  # noqa: PLC0415

        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl  # noqa: PLC0415

        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


class ControlServer:
    """JSON-lines commands on 127.0.0.1, accepted only with the secret in the instance file (mode 0600)."""

    def __init__(self, instance_file: Path, handler: Handler) -> None:
        """Prepare the server (nothing listens yet).

        Args:
            instance_file: where to publish port and secret for later launches.
            handler: answers one command dict (`{"command": "focus", ...}`) with a reply dict.
        """
        self.instance_file = instance_file
        self.handler = handler
        self.secret = secrets.token_urlsafe(32)
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        """The loopback port it listens on."""
        assert self._sock is not None
        return self._sock.getsockname()[1]

    def start(self) -> None:
        """Listen on a free loopback port and publish it with the secret."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.settimeout(0.5)
        self._sock = sock
        _write_private(self.instance_file, {"port": self.port, "secret": self.secret, "pid": os.getpid()})
        self._thread = threading.Thread(target=self._serve, name="desktop-control", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and remove the instance file."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        try:
            if json.loads(self.instance_file.read_text()).get("secret") == self.secret:
                self.instance_file.unlink()
        except (OSError, ValueError):
            pass

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            try:
                request = json.loads(_read_line(conn))
                if not isinstance(request, dict) or not hmac.compare_digest(
                    str(request.get("secret", "")), self.secret
                ):
                    reply = {"ok": False, "error": "refused"}
                else:
                    reply = self.handler(request)
            except Exception as exc:  # noqa: BLE001 - a bad request must never stop the instance
                log.warning("desktop control request failed: %s", exc)
                reply = {"ok": False, "error": str(exc)}
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps(reply).encode() + b"\n")


def send_command(instance_file: Path, command: str, timeout: float = 20.0, **args: Any) -> dict[str, Any] | None:
    """Send a command to the running instance.

    Args:
        instance_file: the running instance's published port and secret.
        command: e.g. "focus", "open", "status", "quit".
        timeout: seconds to wait for the answer.
        **args: the command's arguments (e.g. `path="/library"`).

    Returns:
        The instance's reply, or None when no instance answers.
    """
    try:
        info = json.loads(instance_file.read_text())
        with socket.create_connection(("127.0.0.1", int(info["port"])), timeout=timeout) as conn:
            conn.sendall(json.dumps({"secret": info["secret"], "command": command, **args}).encode() + b"\n")
            return json.loads(_read_line(conn))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _read_line(conn: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_LINE:
            raise ValueError("request too long")
    return data.decode()


def _write_private(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(record, fh)
    os.replace(tmp, path)
