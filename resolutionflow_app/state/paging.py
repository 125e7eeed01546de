"""PagedListMixin: the offset, filter and previous/next handlers every paged list page shares."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

# A filter value is a search text or a select's id: longer input is cut, not stored whole.
MAX_FILTER_LENGTH = 200


class PagedListMixin(rx.State, mixin=True):
    """Mix into a page state that defines `fetch` (load the current page) and filter vars.

    `FILTERS` names the vars the browser may set through `set_filter`; every other name (the login
    token, the user's role, `offset`, ...) is refused, whatever the websocket sends.
    """

    PAGE_SIZE: ClassVar[int] = 20
    FILTERS: ClassVar[frozenset[str]] = frozenset()
    offset: int = 0

    @classmethod
    def filter_names(cls) -> frozenset[str]:
        """The names `set_filter` may set: `FILTERS`, or for a state that has not declared it yet,
        the `str` vars declared in that state's own class body (never inherited ones such as `token`)."""
        if cls.FILTERS:
            return cls.FILTERS
        own = vars(cls).get("__annotations__", {})
        return frozenset(name for name, kind in own.items() if kind in ("str", str) and not name.startswith("_"))

    @rx.event
    def set_filter(self, name: str, value: str):
        """Change one filter (or the sort) and reload from the first page."""
        if not isinstance(name, str) or name not in type(self).filter_names():
            return rx.toast.error("This list cannot be filtered that way.")
        setattr(self, name, str(value if value is not None else "")[:MAX_FILTER_LENGTH])
        self.offset = 0
        return type(self).fetch

    @rx.event
    def page_by(self, delta: int):
        """Previous (-1) / next (+1) page."""
        try:
            step = int(delta)
        except (TypeError, ValueError):
            return rx.toast.error("This list cannot be paged that way.")
        self.offset = max(0, self.offset + max(-1, min(1, step)) * self.PAGE_SIZE)
        return type(self).fetch
