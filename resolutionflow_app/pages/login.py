"""Login page."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import entry, routes
from resolutionflow_app.components.auth_card import auth_card
from resolutionflow_app.components.forms import error_callout, field
from resolutionflow_app.services import auth as auth_service
from resolutionflow_app.settings import get_settings
from resolutionflow_app.state.auth import AuthState


class LoginState(AuthState):
    """Login form state."""

    error: str = ""
    busy: bool = False

    @rx.event
    def login(self, form: dict):
        """Check the credentials, keep the token, go where the visitor was headed.

        Charges the same per-client budget as `POST /api/v1/auth/login` (RF_AUTH_RATE_LIMIT).
        """
        got = self.try_call(
            auth_service.login,
            budget=entry.AUTH,
            actor_arg="",
            email=form.get("email", ""),
            password=form.get("password", ""),
            ttl_hours=get_settings().token_ttl_hours,
        )
        self.error, self.busy = got.error, False
        if not got.ok:
            return
        self.token = got.value
        target = self.router.url.query_parameters.get("next") or routes.HOME
        return rx.redirect(target if target.startswith("/") and not target.startswith("//") else routes.HOME)


@rx.page(route=routes.LOGIN, title="Log in · ResolutionFlow")
def login_page() -> rx.Component:
    """Email + password form."""
    return auth_card(
        "Log in",
        "Welcome back. Log in to run and build flows.",
        rx.form(
            rx.vstack(
                error_callout(LoginState.error),
                field(
                    "Email",
                    rx.input(
                        name="email",
                        type="email",
                        placeholder="you@company.com",
                        required=True,
                        auto_focus=True,
                        width="100%",
                        data_testid="login-email",
                    ),
                ),
                field(
                    "Password",
                    rx.input(
                        name="password", type="password", required=True, width="100%", data_testid="login-password"
                    ),
                ),
                rx.button("Log in", type="submit", width="100%", loading=LoginState.busy, data_testid="login-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=LoginState.login,
            reset_on_submit=False,
            width="100%",
        ),
        rx.text("No account yet? ", rx.link("Create one", href=routes.SIGNUP, data_testid="to-signup"), size="2"),
    )
