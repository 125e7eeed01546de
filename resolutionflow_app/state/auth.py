"""AuthState: the login token in local storage, the current user, and the one way states call services."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

import reflex as rx
from reflex.state import _override_base_method
from reflex_base.event import EventHandler

from resolutionflow_app import entry, routes
from resolutionflow_app.domain.errors import ServiceError
from resolutionflow_app.services import auth as auth_service
from resolutionflow_app.state.off_the_loop import ThreadedEventHandler, off_the_loop, runs_inline

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    """What `AuthState.try_call` gives back: the value, or the refusal's sentence and HTTP-like status."""

    value: T | None = None
    error: str = ""
    status: int = 200

    @property
    def ok(self) -> bool:
        """True when the call succeeded."""
        return not self.error


class ServiceCalls:
    """How states call services, in a plain (non-Reflex) base class.

    Reflex turns every public method of a state class into an event handler the browser can invoke;
    methods of a plain base class are not, so these helpers cannot be called from the browser.
    """

    # `token` and `router` come from the Reflex state this is mixed into (AuthState).

    # Reflex refuses a plain base that redefines a State method unless the method says it means to.
    @classmethod
    @_override_base_method
    def _create_event_handler(cls, fn: Any, event_handler_cls: type[EventHandler] = EventHandler) -> EventHandler:
        """Reflex makes every handler here: a sync one is run in a worker thread (see `off_the_loop`)."""
        if event_handler_cls is EventHandler and runs_inline(fn):
            fn, event_handler_cls = off_the_loop(fn), ThreadedEventHandler
        return super()._create_event_handler(fn, event_handler_cls)  # type: ignore[misc]

    def client_ip(self) -> str:
        """The browser's IP address: the same rate-limit key the API uses."""
        return self.router.session.client_ip or "unknown"

    def call(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Run service `fn` as the logged-in user in one committed transaction (`entry.call`).

        Raises `ServiceError` (incl. `Unauthorized` when logged out); `try_call` turns it into a message.
        Pass `budget=entry.AUTH` / `entry.SHARE` to charge the shared rate-limit budget.
        """
        return entry.call(fn, token=self.token or None, client=self.client_ip(), **kwargs)

    def try_call(self, fn: Callable[..., T], /, **kwargs: Any) -> Outcome[T]:
        """Like `call`, but a refusal comes back as `Outcome.error` (a sentence for a toast or callout)."""
        try:
            return Outcome(value=self.call(fn, **kwargs))
        except ServiceError as exc:
            return Outcome(error=exc.message, status=exc.status_code)

    async def try_call_async(self, fn: Callable[..., T], /, **kwargs: Any) -> Outcome[T]:
        """`try_call` from an async handler (uploads): the service runs in a worker thread, never on the event loop."""
        return await asyncio.to_thread(self.try_call, fn, **kwargs)

    def refused(self, outcome: Outcome) -> list[Any]:
        """The events that tell the user a call was refused: an error toast, or (logged out) the login page.

        Every handler returns this for a failed `try_call` (a list, so it also goes after other events:
        `[other, *self.refused(got)]`), so no refusal goes unseen.
        """
        if outcome.status == 401:
            to_login = rx.redirect(routes.login_url(self.router.url.path or routes.HOME))
            # A visitor who never logged in just lands on the login page; an expired login is told why.
            return [rx.toast.error(outcome.error), to_login] if self.token else [to_login]
        return [rx.toast.error(outcome.error)]

    def _route_part(self, from_end: int = 1) -> str:
        """The URL path's segment `from_end` places from its end ("" when the path is shorter): the id a page's load
        reads."""
        parts = (self.router.url.path or "").rstrip("/").split("/")
        return parts[-from_end] if len(parts) >= from_end else ""

    def actor(self, session: Any) -> Any:
        """The logged-in user as a DB row, or None.

        Only for pages not yet moved to `call` (the allow-list in tests/test_architecture.py);
        new code calls services through `call` / `try_call`.
        """
        return auth_service.user_for_token(session=session, token=self.token)


class AuthState(ServiceCalls, rx.State):
    """Base of every private page's state: knows who is logged in."""

    token: str = rx.LocalStorage("", name="rf_token", sync=True)
    user_id: str = ""
    user_name: str = ""
    user_email: str = ""
    user_role: str = ""
    account_id: str = ""
    account_name: str = ""

    @rx.var
    def is_logged_in(self) -> bool:
        """True once a valid token was checked."""
        return bool(self.user_id)

    @rx.var
    def can_author(self) -> bool:
        """True for owners and authors."""
        return self.user_role in ("owner", "author")

    @rx.var
    def is_owner(self) -> bool:
        """True for account owners."""
        return self.user_role == "owner"

    @rx.var
    def user_initials(self) -> str:
        """Two letters for the avatar."""
        parts = [p for p in self.user_name.split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    def _remember(self, who: entry.Identity) -> None:
        user = who.user
        self.user_id = str(user.id) if user else ""
        self.user_name = user.name if user else ""
        self.user_email = user.email if user else ""
        self.user_role = user.role if user else ""
        self.account_id = str(user.account_id) if user else ""
        self.account_name = who.account_name

    @rx.event
    def check_login(self):
        """on_load of private pages: load the user, or send the visitor to the login page."""
        got = self.try_call(entry.whoami, login=False)
        if not got.ok:
            return rx.toast.error(got.error)
        self._remember(got.value)
        if got.value.user is None:
            return rx.redirect(routes.login_url(self.router.url.path or routes.HOME))

    @rx.event
    def logout(self):
        """Revoke the token and go to the login page."""
        if self.token:
            got = self.try_call(partial(auth_service.logout, token=self.token), actor_arg="")
            if not got.ok:
                # The token stays valid on the server: say so instead of pretending it was revoked.
                return rx.toast.error(got.error)
        self.token = ""
        self._remember(entry.Identity())
        return rx.redirect(routes.LOGIN)
