"""Where the desktop app keeps its files: the user's data directory, by the platform's conventions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "ResolutionFlow"


@dataclass(frozen=True)
class DesktopPaths:
    """The files of one desktop installation, all under `root`."""

    root: Path

    @classmethod
    def default(cls, root: Path | str | None = None) -> DesktopPaths:
        """The paths under `root`, or under the user's data directory (Linux: $XDG_DATA_HOME/ResolutionFlow).

        Args:
            root: an explicit data directory (e.g. `--data-dir`); None for the platform's default.

        Returns:
            The paths, with the directory created (mode 0700 when new).
        """
        base = Path(root) if root else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        return cls(base.resolve())

    @property
    def database(self) -> Path:
        """The SQLite database file."""
        return self.root / "resolutionflow.db"

    @property
    def database_url(self) -> str:
        """SQLAlchemy URL of the SQLite database."""
        return f"sqlite:///{self.database}"

    @property
    def window_state(self) -> Path:
        """The remembered window size and position (JSON)."""
        return self.root / "window.json"

    @property
    def lock(self) -> Path:
        """The lock file held by the running instance."""
        return self.root / "instance.lock"

    @property
    def instance(self) -> Path:
        """Where the running instance's control socket can be found (JSON, mode 0600)."""
        return self.root / "instance.json"

    @property
    def login_code(self) -> Path:
        """The hash of the window's one-time sign-in code (read by the server)."""
        return self.root / "login-code.json"

    @property
    def server_log(self) -> Path:
        """The app server's output."""
        return self.root / "logs" / "server.log"
