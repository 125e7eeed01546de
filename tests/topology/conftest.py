"""Topology tests reuse the browser fixture of the e2e suite."""

from tests.e2e.conftest import browser  # noqa: F401 - fixture
