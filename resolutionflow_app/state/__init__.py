"""Cross-page Reflex state (the logged-in user)."""
