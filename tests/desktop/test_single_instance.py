"""One instance per data directory: the lock, and the control socket later launches talk to."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from resolutionflow_app.desktop.single_instance import ControlServer, InstanceLock, send_command

HOLD_LOCK = (
    "import sys, time; from pathlib import Path; from resolutionflow_app.desktop.single_instance import InstanceLock; "
    "l = InstanceLock(Path(sys.argv[1])); print(l.acquire(), flush=True); time.sleep(60)"
)


def test_the_lock_is_exclusive_between_processes_and_freed_when_its_holder_dies(tmp_path: Path) -> None:
    path = tmp_path / "instance.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "True"
        assert InstanceLock(path).acquire() is False
    finally:
        holder.kill()  # no clean-up of its own: the operating system drops the lock
        holder.wait()
    mine = InstanceLock(path)
    assert mine.acquire() is True
    assert path.read_text() == str(os.getpid())
    mine.release()
    assert InstanceLock(path).acquire() is True


def test_commands_reach_the_handler_only_with_the_secret(tmp_path: Path) -> None:
    instance = tmp_path / "instance.json"
    seen = []
    server = ControlServer(instance, lambda request: seen.append(request) or {"ok": True, "echo": request.get("path")})
    server.start()
    try:
        info = json.loads(instance.read_text())
        assert instance.stat().st_mode & 0o077 == 0
        assert info["port"] == server.port
        assert send_command(instance, "focus", path="/library") == {"ok": True, "echo": "/library"}
        assert seen[-1]["command"] == "focus"
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:  # a stranger without the secret
            conn.sendall(json.dumps({"secret": "guess", "command": "quit"}).encode() + b"\n")
            assert json.loads(conn.makefile().readline()) == {"ok": False, "error": "refused"}
        assert len(seen) == 1
    finally:
        server.stop()
    assert not instance.exists()
    assert send_command(instance, "focus") is None  # nobody answers now


def test_a_stale_instance_file_gets_no_answer(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    instance = tmp_path / "instance.json"
    instance.write_text(json.dumps({"port": port, "secret": "x", "pid": 1}))
    assert send_command(instance, "focus", timeout=2) is None
