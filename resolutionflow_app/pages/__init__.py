"""One module per page; each registers itself with @rx.page and imports no other page."""
