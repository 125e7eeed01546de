"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when RF_TEST_DB=postgresql), clean tables per test, API
client."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Settings are read from the environment: fix them before the app is imported.
os.environ.setdefault("RF_SCHEDULER_ENABLED", "false")
os.environ.setdefault("RF_WORKER_MODE", "external")
os.environ.setdefault("RF_SECRET_KEY", "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
# The cheapest argon2id cost: thousands of test logins would otherwise spend minutes hashing. Servers the tests
# start inherit it; tests/services/test_auth_service.py checks the production default is the library's.
os.environ.setdefault("RF_PASSWORD_HASH_TIME_COST", "1")
os.environ.setdefault("RF_PASSWORD_HASH_MEMORY_KIB", "1024")
os.environ.setdefault("RF_PASSWORD_HASH_PARALLELISM", "1")

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from resolutionflow_app.db.engine import get_engine, reset_engine
from resolutionflow_app.settings import get_settings

TEST_DB = os.environ.get("RF_TEST_DB", "sqlite")


def pytest_report_header(config) -> str:
    return f"database under test: {TEST_DB}"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A freshly migrated database for the whole run."""
    cluster = None
    if TEST_DB == "postgresql":
        url = os.environ.get("RF_TEST_POSTGRES_URL")
        if not url:
            from tests.pg_cluster import start_cluster

            cluster = start_cluster()
            url = cluster.url
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='rf-test-')) / 'test.db'}"
    os.environ["RF_DATABASE_URL"] = url
    get_settings.cache_clear()
    reset_engine()
    from resolutionflow_app.cli import migrate

    migrate("head", url=url)
    yield url
    reset_engine()
    if cluster is not None:
        cluster.stop()


def wipe_tables(engine: sa.Engine) -> None:
    """Delete every row of every table (fast enough per test on both databases)."""
    import resolutionflow_app.db.models  # noqa: F401

    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def engine(database_url: str) -> sa.Engine:
    """The app engine, with every table emptied before the test."""
    eng = get_engine()
    wipe_tables(eng)
    return eng


@pytest.fixture
def session(engine: sa.Engine) -> Iterator[Session]:
    """A DB session for service tests (commit yourself when a test needs it)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s
        s.rollback()


@pytest.fixture(autouse=True)
def _reset_rate_limits() -> None:
    from resolutionflow_app.api.deps import reset_limiters

    reset_limiters()


# Building the FastAPI app costs about a second (FastAPI analyses every route's dependencies): one app serves every
# test while the settings stay the same object. A test that changes settings clears `get_settings` and gets a new app,
# since middleware reads some settings when the app starts (the CSP's allowed origins).
_APP_FOR_SETTINGS: list[tuple[object, object]] = []


def _api_app():
    from resolutionflow_app.api.app import create_api

    settings = get_settings()
    if not _APP_FOR_SETTINGS or _APP_FOR_SETTINGS[0][0] is not settings:
        _APP_FOR_SETTINGS[:] = [(settings, create_api())]
    return _APP_FOR_SETTINGS[0][1]


@pytest.fixture
def api(engine: sa.Engine):
    """A TestClient over the /api/v1 FastAPI app (no Reflex, same database)."""
    from fastapi.testclient import TestClient

    with TestClient(_api_app(), raise_server_exceptions=False) as client:
        yield client
