"""The Reflex app: theme, every page, the /api/v1 FastAPI app and background work."""

from __future__ import annotations

import importlib
import pkgutil

import reflex as rx

from resolutionflow_app import log_setup
from resolutionflow_app import pages as pages_pkg
from resolutionflow_app.api.app import create_api
from resolutionflow_app.background import background_lifespan
from resolutionflow_app.settings import get_settings

log_setup.configure(get_settings().log_level, get_settings().log_format)

# Every page module registers itself with @rx.page on import.
for _info in sorted(pkgutil.iter_modules(pages_pkg.__path__), key=lambda m: m.name):
    importlib.import_module(f"{pages_pkg.__name__}.{_info.name}")

app = rx.App(
    stylesheets=["/styles.css"],
    api_transformer=create_api(),
    head_components=[rx.el.meta(name="color-scheme", content="light dark")],
)
app.register_lifespan_task(background_lifespan)
