"""Map service errors and validation failures to `{"detail": ...}` JSON; never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from resolutionflow_app.domain.errors import ServiceError
from resolutionflow_app.integrations.http_guard import OutboundHTTPError

log = logging.getLogger(__name__)

_STATUS_TEXT = {404: "Not found.", 405: "Method not allowed.", 401: "Not logged in."}


def _clean_errors(errors: list) -> list:
    # Drop echoed input/ctx: they may hold passwords and are not always JSON-serialisable.
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors]


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on the API app."""

    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        body: dict = {"detail": exc.message}
        if exc.problems is not None:
            body = {"detail": exc.message, "problems": exc.problems}
        # The same N as in the message (and the login page's): both come from the limiter.
        headers = {"Retry-After": str(getattr(exc, "retry_after", 60))} if exc.status_code == 429 else None
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if errors and all(tuple(e.get("loc", ()))[:1] == ("path",) for e in errors):
            # API.md: a malformed id in a path is "not found", like an unknown one.
            return JSONResponse({"detail": "Not found."}, status_code=404)
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse({"detail": "The request body is not valid JSON."}, status_code=400)
        return JSONResponse({"detail": _clean_errors(errors)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = (
            exc.detail if isinstance(exc.detail, str) and exc.detail else _STATUS_TEXT.get(exc.status_code, "Error.")
        )
        if detail in ("Not Found",):
            detail = "Not found."
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(OutboundHTTPError)
    async def _outbound_error(_request: Request, exc: OutboundHTTPError) -> JSONResponse:
        # A refused or unreachable outbound URL (SSRF guard, DNS failure) is the caller's to fix: never a 500.
        return JSONResponse({"detail": str(exc) or "The address could not be reached."}, status_code=422)

    @app.exception_handler(IntegrityError)
    async def _integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        # A race lost to a concurrent request (e.g. two sign-ups with one email): nothing was saved.
        log.info("integrity conflict: %s", exc.orig)
        return JSONResponse(
            {"detail": "This conflicts with existing data (it may have just been created). Nothing was saved."},
            status_code=409,
        )

    @app.exception_handler(OperationalError)
    async def _db_busy(_request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.orig)
        return JSONResponse(
            {"detail": "The database is busy or unavailable. Please retry."},
            status_code=503,
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("Unhandled error in API", exc_info=exc)
        return JSONResponse({"detail": "Something went wrong on our side. Please try again."}, status_code=500)
