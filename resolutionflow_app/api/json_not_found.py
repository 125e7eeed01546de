"""Unknown paths and methods under /api/v1 answer the JSON error shape, not the web app's HTML or plain text."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_NOT_FOUND = json.dumps({"detail": "Not found."}).encode()
_NOT_ALLOWED = json.dumps({"detail": "Method not allowed."}).encode()
# The API answers its own 404s and 405s in JSON; a non-JSON one comes from the web app behind it (its static
# files route answers 405 to anything but GET). The web app is mounted at "" after the API's routes, so it also
# takes an API path called with a method the API does not serve there: that is the API's 405, not a 404.
_FELL_THROUGH = (404, 405)
# How a response's body can go out: ASGI body chunks, or a file the server sends itself (granian and uvicorn
# offer `http.response.pathsend` / `zerocopysend`; Starlette's FileResponse uses them for the web app's 404 page).
_BODY_MESSAGES = ("http.response.body", "http.response.pathsend", "http.response.zerocopysend")


class JsonNotFoundMiddleware:
    """Rewrites a non-JSON 404 or 405 for an /api/v1 path (it fell through to Reflex) into the API's JSON 404 or 405."""

    def __init__(self, app: ASGIApp, prefix: str, routes: Callable[[], Sequence[BaseRoute]] = list) -> None:
        self.app, self.prefix, self.routes = app, prefix, routes

    def _other_methods_serve(self, scope: Scope) -> bool:
        """True when an API route serves this path with another method (Starlette's partial match)."""
        return any(not isinstance(route, Mount) and route.matches(scope)[0] == Match.PARTIAL for route in self.routes())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        body: bytes | None = None  # the JSON that replaces the web app's answer, once its status is known

        async def _send(message: Message) -> None:
            nonlocal body
            if message["type"] == "http.response.start" and message["status"] in _FELL_THROUGH:
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                if not headers.get(b"content-type", b"").startswith(b"application/json"):
                    allowed = self._other_methods_serve(scope)
                    body, status = (_NOT_ALLOWED, 405) if allowed else (_NOT_FOUND, 404)
                    # The web app's headers about its body (a gzipped HTML file: encoding, etag, ranges) would
                    # describe a body that is not sent.
                    dropped = (
                        b"content-type",
                        b"content-length",
                        b"content-encoding",
                        b"etag",
                        b"last-modified",
                        b"accept-ranges",
                    )
                    kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dropped]
                    kept += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                    await send({**message, "status": status, "headers": kept})
                    return
            if body is not None and message["type"] in _BODY_MESSAGES:
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, _send)
