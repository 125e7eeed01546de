"""Build the FastAPI app that serves /api/v1 and wraps Reflex's backend."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter, FastAPI

from resolutionflow_app.api import routers as routers_pkg
from resolutionflow_app.api.body_limit import BodyLimitMiddleware
from resolutionflow_app.api.errors import install_error_handlers
from resolutionflow_app.api.json_not_found import JsonNotFoundMiddleware
from resolutionflow_app.api.middleware import SecurityHeadersMiddleware
from resolutionflow_app.api.nul_guard import NulGuardMiddleware

API_PREFIX = "/api/v1"


def api_routers() -> list[APIRouter]:
    """The `router` of every module in `api/routers/` that defines one, in name order."""
    found = []
    for info in sorted(pkgutil.iter_modules(routers_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{routers_pkg.__name__}.{info.name}")
        router = getattr(module, "router", None)
        if router is not None:
            found.append(router)
    return found


def create_api() -> FastAPI:
    """The FastAPI app: /api/v1 routes, OpenAPI docs at /api/v1/docs, JSON errors."""
    app = FastAPI(
        title="ResolutionFlow API",
        version="1.0",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    install_error_handlers(app)
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(JsonNotFoundMiddleware, prefix=API_PREFIX, routes=lambda: app.router.routes)
    app.add_middleware(SecurityHeadersMiddleware)  # NUL-guard refusals get the share headers too
    app.add_middleware(BodyLimitMiddleware)  # outermost: oversized bodies never reach parsing or auth
    # Each module's router straight into the app under the prefix, not through one more /api/v1 router: FastAPI
    # matches a request again at every level of included routers, and that extra level made route matching a
    # visible share of the cost of cheap requests (health, share links).
    for router in api_routers():
        app.include_router(router, prefix=API_PREFIX)
    return app
