"""PagedListMixin: the offset, filter and previous/next handlers every paged list page shares."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx


class PagedListMixin(rx.State, mixin=True):
    """Mix into a page state that defines `fetch` (load the current page) and filter vars."""

    PAGE_SIZE: ClassVar[int] = 20
    offset: int = 0

    @rx.event
    def set_filter(self, name: str, value: str):
        """Change one filter (or the sort) and reload from the first page."""
        setattr(self, name, value)
        self.offset = 0
        return type(self).fetch

    @rx.event
    def page_by(self, delta: int):
        """Previous (-1) / next (+1) page."""
        self.offset = max(0, self.offset + delta * self.PAGE_SIZE)
        return type(self).fetch
