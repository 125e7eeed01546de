"""Response headers: a CSP and framing/referrer policy on pages, no caching of API answers, and share pages never
indexed nor leaking referrers."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolutionflow_app.settings import get_settings

_PRIVATE_PREFIXES = ("/share/", "/api/v1/shares/by-token")  # no trailing slash: the empty-token path too
_API_PREFIX = "/api/v1"


def content_security_policy(origins: list[str]) -> str:
    """The pages' CSP: everything from the app's own origin. Reflex's compiled pages need inline
    styles (Radix/emotion) and inline bootstrap scripts; the websocket goes to the allowed origins."""
    sockets = " ".join(o.replace("http://", "ws://").replace("https://", "wss://") for o in origins)
    return (
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; "
        f"connect-src 'self' {' '.join(origins)} {sockets}; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeadersMiddleware:
    """Adds `Referrer-Policy: no-referrer` and `X-Robots-Tag: noindex` to share responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.csp = content_security_policy(get_settings().cors_allowed_origins()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        is_share = path.startswith(_PRIVATE_PREFIXES)
        is_api = path.startswith(_API_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers.append((b"x-content-type-options", b"nosniff"))
                if is_api and b"cache-control" not in names and not is_share:
                    headers.append((b"cache-control", b"no-store"))  # answers may carry tokens and private data
                if not is_api:
                    headers.append((b"x-frame-options", b"DENY"))
                    headers.append((b"content-security-policy", self.csp))
                    if not is_share:
                        headers.append((b"referrer-policy", b"strict-origin-when-cross-origin"))
                if is_share:
                    headers.append((b"referrer-policy", b"no-referrer"))
                    headers.append((b"x-robots-tag", b"noindex, nofollow"))
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
