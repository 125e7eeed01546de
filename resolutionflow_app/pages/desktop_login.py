"""Desktop sign-in page: redeems the one-time code the desktop launcher put in the window's URL."""

from __future__ import annotations

from functools import partial

import reflex as rx

from resolutionflow_app import entry, routes
from resolutionflow_app.components.auth_card import auth_card
from resolutionflow_app.components.forms import error_callout
from resolutionflow_app.services import desktop_login as desktop_service
from resolutionflow_app.settings import get_settings
from resolutionflow_app.state.auth import AuthState


class DesktopLoginState(AuthState):
    """Exchanges `?code=` for a login token (desktop mode and loopback callers only)."""

    error: str = ""

    @rx.event
    def redeem(self):
        """on_load: sign in with the code and go to `next`, or say why not."""
        params = self.router.url.query_parameters
        settings = get_settings()
        got = self.try_call(
            partial(desktop_service.redeem_login_code, code_file=settings.desktop_login_file, client=self.client_ip()),
            budget=entry.AUTH,
            actor_arg="",
            code=str(params.get("code") or ""),
            ttl_hours=settings.token_ttl_hours,
        )
        self.error = got.error
        if not got.ok:
            return
        self.token = got.value
        target = str(params.get("next") or routes.HOME)
        return rx.redirect(target if target.startswith("/") and not target.startswith("//") else routes.HOME)


@rx.page(route=routes.DESKTOP_LOGIN, title="Signing in · ResolutionFlow", on_load=DesktopLoginState.redeem)
def desktop_login_page() -> rx.Component:
    """A spinner while the code is redeemed; the refusal and a link to the login page otherwise."""
    return auth_card(
        "Signing in",
        "Opening your local workspace…",
        rx.cond(
            DesktopLoginState.error != "",
            rx.vstack(
                error_callout(DesktopLoginState.error),
                rx.link("Log in with a password", href=routes.LOGIN),
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), width="100%"),
        ),
    )
