"""Reflex configuration: bun from the npm registry, telemetry off, SQLite by default."""

import os
from pathlib import Path

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin
from reflex_components_radix.plugin import RadixThemesPlugin

from resolutionflow_app.settings import get_settings

_ROOT = Path(__file__).resolve().parent
_BUN = Path(os.environ.get("REFLEX_BUN_PATH", _ROOT / ".tools/node_modules/@oven/bun-linux-x64/bin/bun"))

# Dev-mode hot reload watches the repo root: keep the SQLite database, test output and non-app
# folders out of it, or every database write restarts the backend.
os.environ.setdefault(
    "REFLEX_HOT_RELOAD_EXCLUDE_PATHS",
    ":".join(
        str(p)
        for p in (_ROOT / d for d in ("data", "test-artifacts", "tests", "bench", "alembic", "scripts"))
        if p.exists()
    ),
)

config = rx.Config(
    app_name="resolutionflow_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    bun_path=_BUN,
    disable_plugins=[SitemapPlugin],
    # Only the app's own origin(s) may call the API and the websocket with credentials (not "*").
    cors_allowed_origins=get_settings().cors_allowed_origins(),
    # The pages' client IP (rate limits) follows the same trusted proxies as the API's (RF_TRUSTED_PROXY_HOPS).
    trusted_proxy_hops=get_settings().trusted_proxy_hops,
    plugins=[
        RadixThemesPlugin(
            theme=rx.theme(appearance="inherit", accent_color="indigo", gray_color="slate", radius="medium")
        )
    ],
)
