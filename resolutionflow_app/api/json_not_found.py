"""Unknown paths under /api/v1 answer the JSON error shape, not the web app's plain-text 404."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_BODY = json.dumps({"detail": "Not found."}).encode()


class JsonNotFoundMiddleware:
    """Rewrites a non-JSON 404 for an /api/v1 path (it fell through to Reflex) into `{"detail": ...}`."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        rewriting = False

        async def _send(message: Message) -> None:
            nonlocal rewriting
            if message["type"] == "http.response.start" and message["status"] == 404:
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                if not headers.get(b"content-type", b"").startswith(b"application/json"):
                    rewriting = True
                    kept = [
                        (k, v)
                        for k, v in message.get("headers", [])
                        if k.lower() not in (b"content-type", b"content-length")
                    ]
                    kept += [(b"content-type", b"application/json"), (b"content-length", str(len(_BODY)).encode())]
                    await send({**message, "headers": kept})
                    return
            if rewriting and message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": _BODY, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, _send)
