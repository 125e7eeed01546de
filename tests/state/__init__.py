"""Tests of Reflex states driven directly (no browser)."""
