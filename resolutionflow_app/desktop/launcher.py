"""`resolutionflow desktop`: one instance per data directory, the local owner, the app server and the window, tied
together."""

from __future__ import annotations

import getpass
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from resolutionflow_app import routes
from resolutionflow_app.desktop.paths import DesktopPaths
from resolutionflow_app.desktop.server import AppServer
from resolutionflow_app.desktop.single_instance import ControlServer, InstanceLock, send_command
from resolutionflow_app.desktop.window_state import load_window_state

log = logging.getLogger(__name__)
ALREADY_RUNNING = "ResolutionFlow is already running; its window was brought to the front."


def prepare_database(paths: DesktopPaths) -> str | None:
    """Point this process at the desktop database, migrate it, and make sure the local owner exists.

    Args:
        paths: the desktop's files.

    Returns:
        The local owner's user id, or None when the database holds other accounts (the window then
        opens the login page).
    """
    from resolutionflow_app.cli import migrate  # noqa: PLC0415
    from resolutionflow_app.db.engine import reset_engine, session_scope  # noqa: PLC0415
    from resolutionflow_app.domain.errors import Conflict  # noqa: PLC0415
    from resolutionflow_app.services.desktop_login import ensure_local_owner  # noqa: PLC0415
    from resolutionflow_app.settings import get_settings  # noqa: PLC0415

    os.environ["RF_DATABASE_URL"] = paths.database_url
    get_settings.cache_clear()
    reset_engine()
    migrate()
    try:
        with session_scope() as session:
            return str(ensure_local_owner(session=session, name=_os_user_name()).id)
    except Conflict as exc:
        log.warning("%s", exc.message)
        return None


def first_url(paths: DesktopPaths, user_id: str | None, page: str) -> str:
    """The path the window opens first: a one-time sign-in link for the local owner, else the login page."""
    from resolutionflow_app.services.desktop_login import issue_login_code  # noqa: PLC0415

    if user_id is None:
        return routes.login_url(page)
    return routes.desktop_login_url(issue_login_code(user_id=user_id, code_file=paths.login_code), page)


def run_desktop(data_dir: Path | str | None = None, page: str = routes.HOME) -> int:
    """Run the desktop app until its window closes, or hand over to the instance already running.

    Args:
        data_dir: the data directory (default: the platform's user data directory).
        page: the app page to open (`/library`, ...).

    Returns:
        The process exit code.
    """
    paths = DesktopPaths.default(data_dir)
    lock = InstanceLock(paths.lock)
    if not lock.acquire():
        reply = send_command(paths.instance, "focus", path=page if page != routes.HOME else "")
        if reply and reply.get("ok"):
            print(ALREADY_RUNNING)
            return 0
        print(f"Another ResolutionFlow instance holds {paths.lock} but does not answer.", file=sys.stderr)
        return 1
    try:
        return _run_first_instance(paths, page)
    finally:
        lock.release()


def _run_first_instance(paths: DesktopPaths, page: str) -> int:
    from resolutionflow_app.desktop.window import DesktopWindow  # noqa: PLC0415 - imports pywebview

    window = DesktopWindow(load_window_state(paths.window_state), paths.window_state)
    server = AppServer(database_url=paths.database_url, login_code_file=paths.login_code, log_path=paths.server_log)
    control = ControlServer(paths.instance, lambda request: _answer(request, window, server))
    failure: list[str] = []
    closed = threading.Event()

    def start_app() -> None:
        try:
            user_id = prepare_database(paths)
            server.start()
            server.wait_ready()
            window.open_app(server.url, server.url + first_url(paths, user_id, page))
            print(f"ResolutionFlow is open (server {server.url}, data {paths.root}).", flush=True)
        except Exception as exc:
            if closed.is_set():  # the window was closed while the server was starting: nothing went wrong
                return
            log.exception("the desktop app could not start")
            failure.append(str(exc))
            window.show_message(f"ResolutionFlow could not start: {exc}")
        # The server dies with the thread that started it (PR_SET_PDEATHSIG is per thread): keep it alive.
        closed.wait()

    previous = signal.signal(signal.SIGTERM, lambda *_: window.close())
    control.start()
    try:
        window.run(start_app, on_quit=window.close)
    finally:
        closed.set()
        signal.signal(signal.SIGTERM, previous)
        control.stop()
        server.stop()
        paths.login_code.unlink(missing_ok=True)
    print("ResolutionFlow stopped.", flush=True)
    return 1 if failure else 0


def _answer(request: dict[str, Any], window: Any, server: AppServer) -> dict[str, Any]:
    """One control command from another launch (or a script): focus, open, status, quit."""
    command = request.get("command")
    if command == "focus":
        if request.get("path"):
            window.navigate(str(request["path"]))
        window.focus()
        return {"ok": True}
    if command == "open":
        window.navigate(str(request.get("path") or routes.HOME))
        return {"ok": True}
    if command == "status":
        ready = bool(window.base_url)
        return {
            "ok": True,
            "pid": os.getpid(),
            "server_url": server.url,
            "server_pid": server.proc.pid if server.proc else None,
            "ready": ready,
            "page": window.status() if ready else {},
        }
    if command == "quit":
        threading.Thread(target=window.close, daemon=True).start()
        return {"ok": True}
    return {"ok": False, "error": f"unknown command {command!r}"}


def _os_user_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (e.g. a container): a neutral name
        return "Local user"
