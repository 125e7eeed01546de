"""`call()`: run one service use case in one committed transaction as the caller."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from resolutionflow_app.db.engine import session_scope
from resolutionflow_app.domain.errors import Conflict, Unauthorized, Unavailable
from resolutionflow_app.entry.limits import check_rate
from resolutionflow_app.services import auth as auth_service

T = TypeVar("T")
log = logging.getLogger(__name__)

LOGGED_OUT = "Your session has ended. Please log in again."
CONFLICT = "This conflicts with existing data (it may have just been created). Nothing was saved."
UNAVAILABLE = "The database is busy or unavailable. Please retry."


def unit_of_work() -> AbstractContextManager[Session]:
    """One transaction: committed when the block ends without error (before anyone answers)."""
    return session_scope()


def call(
    fn: Callable[..., T],
    /,
    *,
    token: str | None,
    client: str = "",
    budget: str | None = None,
    login: bool = True,
    actor_arg: str = "actor",
    **kwargs: Any,
) -> T:
    """Run `fn(session=..., actor=..., **kwargs)` for the caller behind `token`.

    The transaction commits before this returns, so the caller's answer (an HTTP 2xx or a page
    update) always describes stored data; a commit error propagates instead of a result.

    Args:
        fn: a service function taking keyword-only `session` (and `actor` unless `actor_arg` is "").
        token: the caller's login token (None when anonymous).
        client: the caller's IP address, the key of rate limits.
        budget: a rate-limit bucket (`entry.AUTH`, `entry.SHARE`) to charge before anything runs.
        login: when True (default) an anonymous or expired token raises `Unauthorized`.
        actor_arg: the keyword `fn` takes the user as ("" to pass none, e.g. login itself).
        **kwargs: the use case's own arguments.

    Returns:
        Whatever `fn` returned (DTOs; rows are detached but loaded).

    Raises:
        ServiceError: the use case's refusal, `Unauthorized`, `RateLimited`, and the database's
            own failures as sentences: `Conflict` (a lost race on a unique key; nothing was
            saved) and `Unavailable` (busy or unreachable database).
    """
    if budget:
        check_rate(budget, client)
    try:
        with unit_of_work() as session:
            if actor_arg:
                actor = auth_service.user_for_token(session=session, token=token) if token else None
                if actor is None and login:
                    raise Unauthorized(LOGGED_OUT)
                kwargs[actor_arg] = actor
            return fn(session=session, **kwargs)
    except IntegrityError as exc:
        # Browser and API say the same sentence; the API's handler maps a raw IntegrityError alike.
        log.info("integrity conflict: %s", exc.orig)
        raise Conflict(CONFLICT) from exc
    except OperationalError as exc:
        log.warning("database unavailable: %s", exc.orig)
        raise Unavailable(UNAVAILABLE) from exc
