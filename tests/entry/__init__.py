"""Tests of the application entry point."""
