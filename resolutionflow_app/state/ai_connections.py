"""State of the AI models and MCP servers page: list, add, edit, delete, refresh tools; keys never come back."""

from __future__ import annotations

import dataclasses

import reflex as rx

from resolutionflow_app.services import completion_models as models_service
from resolutionflow_app.services import mcp_servers as servers_service
from resolutionflow_app.state.auth import AuthState


@dataclasses.dataclass
class ModelRow:
    """A model as the page shows it (never its API key, only whether one is set)."""

    id: str = ""
    name: str = ""
    provider: str = "offline"
    model: str = ""
    base_url: str = ""
    security_level: int = 0
    token_limit: str = ""
    supports_vision: bool = False
    supports_audio: bool = False
    has_api_key: bool = False


@dataclasses.dataclass
class ServerRow:
    """An MCP server with its tools; header values masked."""

    id: str = ""
    name: str = ""
    url: str = ""
    description: str = ""
    headers_text: str = ""
    tools: list[str] = dataclasses.field(default_factory=list)
    refreshed: str = ""


def _int_or_none(value: object, what: str) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{what} must be a whole number.")
    return int(text)


def parse_headers(text: str) -> dict[str, str]:
    """`Name: value` lines into a dict; masked values (``••••xy``) are sent back as they are and keep the stored value.

    Raises:
        ValueError: a line without a colon, or an empty name.
    """
    headers: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"Header line {number} needs the form “Name: value”.")
        headers[name.strip()] = value.strip()
    return headers


class AIConnectionsState(AuthState):
    """Models (owners manage) and MCP servers (owners and authors manage)."""

    models: list[ModelRow] = []
    servers: list[ServerRow] = []
    model_dialog_open: bool = False
    editing_model: ModelRow = ModelRow()
    model_error: str = ""
    server_dialog_open: bool = False
    editing_server: ServerRow = ServerRow()
    server_error: str = ""
    refreshing_id: str = ""
    loaded: bool = False

    @rx.event
    def load(self):
        """on_load: the account's models and MCP servers."""
        return self._reload()

    def _reload(self):
        models = self.try_call(models_service.list_models, limit=200)
        servers = self.try_call(servers_service.list_servers, limit=200) if models.ok else models
        if not servers.ok:
            return self.refused(servers)
        self.models = [
            ModelRow(
                id=str(m.id),
                name=m.name,
                provider=m.provider,
                model=m.model,
                base_url=m.base_url or "",
                security_level=m.security_level,
                token_limit="" if m.token_limit is None else str(m.token_limit),
                supports_vision=m.supports_vision,
                supports_audio=m.supports_audio,
                has_api_key=m.has_api_key,
            )
            for m in models.value[0]
        ]
        self.servers = [self._server_row(s) for s in servers.value[0]]
        self.loaded = True
        return None

    @staticmethod
    def _server_row(s: servers_service.MCPServerDTO) -> ServerRow:
        return ServerRow(
            id=str(s.id),
            name=s.name,
            url=s.url,
            description=s.description or "",
            headers_text="\n".join(f"{k}: {v}" for k, v in s.headers.items()),
            tools=[t.name for t in s.tools],
            refreshed=s.tools_refreshed_at.strftime("%Y-%m-%d %H:%M UTC") if s.tools_refreshed_at else "",
        )

    # ------------------------------------------------------------ models

    @rx.event
    def open_model(self, model_id: str):
        """Open the model form: empty for "" (new), filled for an existing model."""
        self.editing_model = next((m for m in self.models if m.id == model_id), ModelRow())
        self.model_error, self.model_dialog_open = "", True

    @rx.event
    def model_dialog_changed(self, is_open: bool):
        """Escape or Cancel closes the model form."""
        self.model_dialog_open = is_open
        if not is_open:
            self.model_error = ""

    @rx.event
    def save_model(self, form: dict):
        """Create or change a model; an empty API key field keeps the stored key."""
        try:
            data = {
                "name": form.get("name", ""),
                "provider": form.get("provider") or "offline",
                "model": form.get("model") or ("offline" if form.get("provider") == "offline" else ""),
                "base_url": form.get("base_url") or None,
                "security_level": _int_or_none(form.get("security_level"), "Security level") or 0,
                "token_limit": _int_or_none(form.get("token_limit"), "Token limit"),
                "supports_vision": form.get("supports_vision") == "on",
                "supports_audio": form.get("supports_audio") == "on",
            }
        except ValueError as exc:
            self.model_error = str(exc)
            return None
        if form.get("api_key"):
            data["api_key"] = form["api_key"]
        if self.editing_model.id:
            out = self.try_call(models_service.update_model, model_id=self.editing_model.id, data=data)
        else:
            out = self.try_call(models_service.create_model, data=data)
        if out.error:
            self.model_error = out.error
            return None
        self.model_dialog_open = False
        return self._reload() or rx.toast.success(f"Saved “{out.value.name}”.")

    @rx.event
    def delete_model(self, model_id: str):
        """Delete a model (refused while automations use it: the reason is shown)."""
        out = self.try_call(models_service.delete_model, model_id=model_id)
        if out.error:
            return self.refused(out)
        self.models = [m for m in self.models if m.id != model_id]
        return rx.toast.success("Model deleted.")

    # ------------------------------------------------------------ MCP servers

    @rx.event
    def open_server(self, server_id: str):
        """Open the server form: empty for "" (new), filled (headers masked) for an existing server."""
        self.editing_server = next((s for s in self.servers if s.id == server_id), ServerRow())
        self.server_error, self.server_dialog_open = "", True

    @rx.event
    def server_dialog_changed(self, is_open: bool):
        """Escape or Cancel closes the server form."""
        self.server_dialog_open = is_open
        if not is_open:
            self.server_error = ""

    @rx.event
    def save_server(self, form: dict):
        """Create or change an MCP server (URL checked at save; headers stored encrypted)."""
        try:
            headers = parse_headers(str(form.get("headers") or ""))
        except ValueError as exc:
            self.server_error = str(exc)
            return None
        data = {
            "name": form.get("name", ""),
            "url": form.get("url", ""),
            "description": form.get("description") or None,
            "headers": headers,
        }
        if self.editing_server.id:
            out = self.try_call(servers_service.update_server, server_id=self.editing_server.id, data=data)
        else:
            out = self.try_call(servers_service.create_server, data=data)
        if out.error:
            self.server_error = out.error
            return None
        self.server_dialog_open = False
        return self._reload() or rx.toast.success(
            f"Saved “{out.value.name}”. Use “Refresh tools” to list what it offers."
        )

    @rx.event
    def delete_server(self, server_id: str):
        """Delete an MCP server."""
        out = self.try_call(servers_service.delete_server, server_id=server_id)
        if out.error:
            return self.refused(out)
        self.servers = [s for s in self.servers if s.id != server_id]
        return rx.toast.success("MCP server deleted.")

    @rx.event
    def start_refresh(self, server_id: str):
        """Show the spinner, then ask the server for its tools (a network call: the spinner says so)."""
        self.refreshing_id = server_id
        return AIConnectionsState.refresh_tools(server_id)

    @rx.event
    def refresh_tools(self, server_id: str):
        """List the server's tools through the guarded client and store them; a failure is said in words."""
        out = self.try_call(servers_service.refresh_tools, server_id=server_id)
        self.refreshing_id = ""
        if out.error:
            return self.refused(out)
        self.servers = [self._server_row(out.value) if s.id == server_id else s for s in self.servers]
        return rx.toast.success(f"{len(out.value.tools)} tools listed for “{out.value.name}”.")
