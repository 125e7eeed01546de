"""The desktop's app server settings: loopback origin, desktop sign-in on, shared-state stores off; no start after
stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolutionflow_app.desktop.server import AppServer, free_port, port_is_listening, server_env


def test_the_server_environment_is_the_embedded_default_on_loopback(tmp_path: Path) -> None:
    port = free_port()
    assert port not in (3000, 8000)
    assert not port_is_listening(port)
    env = server_env(
        database_url="sqlite:////x/rf.db",
        login_code_file=tmp_path / "code.json",
        port=port,
        base={"REFLEX_REDIS_URL": "redis://h", "RF_REDIS_URL": "redis://h", "RF_WORKER_MODE": "external", "KEEP": "1"},
    )
    origin = f"http://127.0.0.1:{port}"
    assert env["RF_DATABASE_URL"] == "sqlite:////x/rf.db"
    assert env["RF_DESKTOP_LOGIN_FILE"] == str(tmp_path / "code.json")
    assert env["RF_PUBLIC_BASE_URL"] == env["REFLEX_API_URL"] == env["REFLEX_DEPLOY_URL"] == origin
    assert env["RF_WORKER_MODE"] == "inprocess"
    assert env["KEEP"] == "1"
    assert "REFLEX_REDIS_URL" not in env
    assert "RF_REDIS_URL" not in env


def test_a_stopped_server_never_starts(tmp_path: Path) -> None:
    server = AppServer(
        database_url="sqlite:///" + str(tmp_path / "rf.db"),
        login_code_file=tmp_path / "c.json",
        log_path=tmp_path / "log",
    )
    server.stop()  # the window closed while the database was being prepared
    with pytest.raises(RuntimeError):
        server.start()
    assert server.proc is None
