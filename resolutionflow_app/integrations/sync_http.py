"""HTTP adapter to a team server's /api/v1 for desktop sync, through the SSRF-guarded client."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from resolutionflow_app.integrations import http_guard
from resolutionflow_app.settings import get_settings

API_PREFIX = "/api/v1"


class SyncServerError(Exception):
    """The server could not be reached or refused a call; `message` is a sentence for the user."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def api_base(server_url: str) -> str:
    """The /api/v1 base of a server URL as a user types it ("http://host:3000" or ".../api/v1")."""
    url = (server_url or "").strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise SyncServerError("The server URL must start with http:// or https://.")
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


class SyncServer:
    """A team server's sync endpoints. Every request goes through `http_guard` (private addresses
    only with RF_ALLOWED_INTERNAL_CIDRS) with the pull-sized body cap."""

    def __init__(self, server_url: str, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base = api_base(server_url)
        self._transport = transport

    def _client(self, token: str | None) -> httpx.AsyncClient:
        settings = get_settings()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        cap = max(settings.http_max_body_bytes, settings.max_body_bytes * 4)
        if self._transport is not None:
            return httpx.AsyncClient(transport=self._transport, headers=headers, timeout=settings.http_timeout_seconds)
        return http_guard.make_client(headers=headers, max_body_bytes=cap)

    async def _arequest(self, method: str, path: str, token: str | None, **kwargs: Any) -> httpx.Response:
        async with self._client(token) as client:
            try:
                return await client.request(method, self.base + path, **kwargs)
            except http_guard.BlockedURLError as exc:
                raise SyncServerError(
                    f"{exc} Set RF_ALLOWED_INTERNAL_CIDRS to reach a server on a private network."
                ) from None
            except http_guard.OutboundHTTPError as exc:
                raise SyncServerError(str(exc)) from None
            except httpx.HTTPError as exc:
                raise SyncServerError(
                    f"Could not reach the server at {http_guard.safe_url(self.base)} ({type(exc).__name__})."
                ) from None

    def request(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        """One call; answers the JSON (or bytes for non-JSON), raises SyncServerError with the server's sentence."""
        resp = asyncio.run(self._arequest(method, path, token, **kwargs))
        if resp.status_code >= 400:
            try:
                detail = resp.json().get("detail")
            except ValueError:
                detail = None
            if not isinstance(detail, str):
                detail = f"The server answered {resp.status_code}."
            raise SyncServerError(detail, status=resp.status_code)
        if resp.headers.get("content-type", "").startswith("application/json"):
            return resp.json()
        return resp.content

    def login(self, email: str, password: str) -> str:
        """Sign in; answers the bearer token."""
        return str(self.request("POST", "/auth/login", json={"email": email, "password": password})["access_token"])

    def sync_token(self, token: str) -> str:
        """Exchange a login token for the desktop's long-lived sync token."""
        return str(self.request("POST", "/sync/token", token)["access_token"])

    def logout(self, token: str) -> None:
        """Revoke a token on the server."""
        self.request("POST", "/auth/logout", token)

    def bundle_key(self, token: str) -> str:
        """The signed-in user's bundle key on the server."""
        return str(self.request("GET", "/sync/bundle-key", token)["bundle_key"])

    def pull(self, token: str) -> dict[str, Any]:
        """GET /sync/pull."""
        return self.request("GET", "/sync/pull", token)

    def push(self, token: str, sessions: list[dict[str, Any]]) -> dict[str, Any]:
        """POST /sync/push with one batch of sessions."""
        return self.request("POST", "/sync/push", token, json={"sessions": sessions})
