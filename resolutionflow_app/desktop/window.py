"""The native window (pywebview on Qt): title, icon, menu, remembered geometry, focus and navigation."""

from __future__ import annotations

import html
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from resolutionflow_app import routes
from resolutionflow_app.desktop.window_state import MIN_HEIGHT, MIN_WIDTH, WindowState, save_window_state
from resolutionflow_app.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

TITLE = "ResolutionFlow"
ICON = PROJECT_ROOT / "assets" / "desktop-icon.png"
NEW_SESSION_PATH = f"{routes.SESSIONS}?new=1"
# (menu, item, path): what each menu entry opens; "&" marks the Alt-key mnemonic (Alt+G, then L: Library).
# "Quit" (File) closes the window like its close button.
MENU_PAGES = (
    ("&File", "&New session", NEW_SESSION_PATH),
    ("&Go", "&Home", routes.HOME),
    ("&Go", "&Flows", routes.FLOWS),
    ("&Go", "&Library", routes.LIBRARY),
    ("&Go", "&Sessions", routes.SESSIONS),
)
_PAGE_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body style="margin:0;height:100vh;display:flex;align-items:center;justify-content:center;
font-family:system-ui,sans-serif;background:#f8f9fb;color:#1c2024"><div style="text-align:center;max-width:560px">
<h1 style="font-weight:600;color:#3e63dd">ResolutionFlow</h1><p>{message}</p></div></body></html>"""


def message_page(message: str, title: str = TITLE) -> str:
    """A small self-contained HTML page (the splash while the server starts, or an error)."""
    return _PAGE_HTML.format(title=html.escape(title), message=html.escape(message))


def _webengine_environment() -> None:
    """QtWebEngine (Chromium) refuses to start as root with its sandbox on: turn the sandbox off for root only."""
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "QTWEBENGINE_DISABLE_SANDBOX" not in os.environ:
        log.warning("running as root: QtWebEngine's sandbox is turned off (QTWEBENGINE_DISABLE_SANDBOX=1)")
        os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"


class DesktopWindow:
    """The one pywebview window of the desktop app."""

    def __init__(self, state: WindowState, state_file: Path) -> None:
        """Create the (not yet shown) window at the remembered geometry, showing the splash page.

        Args:
            state: the geometry to open with.
            state_file: where the geometry is saved when the window closes.
        """
        _webengine_environment()
        import webview  # noqa: PLC0415 - the optional `desktop` extra

        self._webview = webview
        self.state = state
        self.state_file = state_file
        self.base_url = ""
        self.window = webview.create_window(
            TITLE,
            html=message_page("Starting… the first start builds the app and takes a little while."),
            width=state.width,
            height=state.height,
            x=state.x,
            y=state.y,
            maximized=state.maximized,
            min_size=(MIN_WIDTH, MIN_HEIGHT),
            background_color="#F8F9FB",
        )
        self.window.events.closing += self._remember_geometry

    def menu(self, on_quit: Callable[[], None]) -> list[Any]:
        """The application menu: File (New session, Quit) and Go (Home, Flows, Library, Sessions).

        Args:
            on_quit: what Quit does (closes the window).

        Returns:
            pywebview menus for `webview.start(menu=...)`.
        """
        from webview.menu import Menu, MenuAction, MenuSeparator  # noqa: PLC0415

        def opener(path: str) -> Callable[[], None]:
            return lambda: self.navigate(path)

        menus: dict[str, list[Any]] = {"&File": [], "&Go": []}
        for menu, item, path in MENU_PAGES:
            menus[menu].append(MenuAction(item, opener(path)))
        menus["&File"] += [MenuSeparator(), MenuAction("&Quit", on_quit)]
        return [Menu(title, items) for title, items in menus.items()]

    def run(self, on_start: Callable[[], None], on_quit: Callable[[], None]) -> None:
        """Show the window and run the GUI loop on this (main) thread until the window closes.

        Args:
            on_start: runs in a thread once the loop is up (starts the server, then loads the app).
            on_quit: the Quit menu's action.
        """
        self._webview.start(
            on_start, gui="qt", icon=str(ICON) if ICON.exists() else None, menu=self.menu(on_quit), private_mode=True
        )

    def open_app(self, base_url: str, first_url: str) -> None:
        """Show the app: remember its base URL and load `first_url` (the one-time sign-in link)."""
        self.base_url = base_url.rstrip("/")
        self.window.load_url(first_url)

    def navigate(self, path: str) -> None:
        """Open an app page (`/library`, ...) in the window; ignored until the app is loaded."""
        if self.base_url and path.startswith("/") and not path.startswith("//"):
            self.window.load_url(self.base_url + path)

    def show_message(self, message: str) -> None:
        """Replace the page with a message (e.g. why the server could not start)."""
        self.window.load_html(message_page(message))

    def focus(self) -> None:
        """Bring the window to the front (restoring it when minimized; keeping it maximized when it was)."""
        native = self.window.native
        was_maximized = bool(native is not None and native.isMaximized())
        # Without a window manager Qt focuses with the time of the last X event it saw, and the X server
        # ignores a focus request older than the last focus change: a title change brings a fresh
        # PropertyNotify (and so a fresh timestamp) first.
        self.window.set_title(TITLE + " ")
        self.window.set_title(TITLE)
        time.sleep(0.3)
        self.window.show()
        self.window.restore()  # raises and activates the window
        if was_maximized:
            self.window.maximize()

    def close(self) -> None:
        """Close the window as its close button does (the GUI loop then ends)."""
        self.window.destroy()

    def status(self) -> dict[str, Any]:
        """What the window shows: URL, page title and the start of the page's text."""
        info = self.window.evaluate_js(
            "({url: location.href, title: document.title,"
            " text: document.body ? document.body.innerText.slice(0, 4000) : ''})"
        )
        return info if isinstance(info, dict) else {"raw": info}

    def _remember_geometry(self) -> None:
        """`closing` handler (GUI thread): save the normal geometry and the maximized flag."""
        native = self.window.native
        if native is None:
            return
        try:
            self.state.maximized = bool(native.isMaximized())
            if self.state.maximized:
                rect = native.normalGeometry()
                self.state.width, self.state.height = rect.width(), rect.height()
            else:
                pos, size = native.pos(), native.size()
                self.state.x, self.state.y = pos.x(), pos.y()
                self.state.width, self.state.height = size.width(), size.height()
            save_window_state(self.state_file, self.state)
        except Exception:
            log.exception("could not save the window state")
