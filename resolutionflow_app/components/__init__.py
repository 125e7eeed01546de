"""Reusable UI pieces; they read state vars and never touch services or the DB."""
