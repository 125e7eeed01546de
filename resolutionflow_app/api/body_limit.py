"""Refuse request bodies over the configured size with 413, before anything reads or parses them."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolutionflow_app.settings import get_settings

# File uploads (the API and Reflex's upload endpoint used by the run page) have their own, larger limit.
UPLOAD_PATHS = ("/api/v1/files", "/_upload")


def _limit_for(path: str) -> int:
    settings = get_settings()
    return settings.max_upload_bytes if path.rstrip("/") in UPLOAD_PATHS else settings.max_body_bytes


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Checks `Content-Length` first, then counts streamed (chunked) bytes, for every HTTP request.

    It sits outermost in the API app, so an anonymous 200 MB body to /auth/login is refused before
    authentication, rate limiting and JSON parsing ever see it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = json.dumps({"detail": f"The request body is too large (limit {limit:,} bytes)."}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await self._refuse(send, limit)
                    return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge()
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, limit)
