"""Sign-up page: creates an account and its owner."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app import entry, routes
from resolutionflow_app.components.auth_card import auth_card
from resolutionflow_app.components.forms import error_callout, field
from resolutionflow_app.services import auth as auth_service
from resolutionflow_app.services.passwords import MIN_PASSWORD_LENGTH
from resolutionflow_app.settings import get_settings
from resolutionflow_app.state.auth import AuthState


class SignupState(AuthState):
    """Sign-up form state."""

    error: str = ""
    busy: bool = False

    @rx.event
    def signup(self, form: dict):
        """Register the account and log its owner in (charges the shared RF_AUTH_RATE_LIMIT budget)."""
        got = self.try_call(
            auth_service.register,
            budget=entry.AUTH,
            actor_arg="",
            email=form.get("email", ""),
            password=form.get("password", ""),
            name=form.get("name", ""),
            account_name=form.get("account_name", ""),
            ttl_hours=get_settings().token_ttl_hours,
        )
        self.error, self.busy = got.error, False
        if not got.ok:
            return
        self.token = got.value.access_token
        return [rx.redirect(routes.HOME), rx.toast.success("Welcome! Your account is ready.")]


@rx.page(route=routes.SIGNUP, title="Sign up · ResolutionFlow")
def signup_page() -> rx.Component:
    """Account name, your name, email, password."""
    return auth_card(
        "Create your account",
        "Set up a team account; you become its owner and can invite others.",
        rx.form(
            rx.vstack(
                error_callout(SignupState.error),
                field(
                    "Team / company",
                    rx.input(
                        name="account_name",
                        placeholder="Acme IT Services",
                        required=True,
                        auto_focus=True,
                        width="100%",
                        data_testid="signup-account",
                    ),
                ),
                field(
                    "Your name",
                    rx.input(
                        name="name", placeholder="Alex Morgan", required=True, width="100%", data_testid="signup-name"
                    ),
                ),
                field(
                    "Email",
                    rx.input(name="email", type="email", required=True, width="100%", data_testid="signup-email"),
                ),
                field(
                    "Password",
                    rx.input(
                        name="password",
                        type="password",
                        required=True,
                        min_length=MIN_PASSWORD_LENGTH,
                        width="100%",
                        data_testid="signup-password",
                    ),
                    hint=f"At least {MIN_PASSWORD_LENGTH} characters.",
                ),
                rx.button(
                    "Create account", type="submit", width="100%", loading=SignupState.busy, data_testid="signup-submit"
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=SignupState.signup,
            reset_on_submit=False,
            width="100%",
        ),
        rx.text("Already have an account? ", rx.link("Log in", href=routes.LOGIN), size="2"),
    )
