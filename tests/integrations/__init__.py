"""Tests: integrations."""
