"""Response headers: share pages and share lookups are never indexed nor leak referrers."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_PRIVATE_PREFIXES = ("/share/", "/api/v1/shares/by-token")  # no trailing slash: the empty-token path too


class SecurityHeadersMiddleware:
    """Adds `Referrer-Policy: no-referrer` and `X-Robots-Tag: noindex` to share responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        is_share = path.startswith(_PRIVATE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                if is_share:
                    headers.append((b"referrer-policy", b"no-referrer"))
                    headers.append((b"x-robots-tag", b"noindex, nofollow"))
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
