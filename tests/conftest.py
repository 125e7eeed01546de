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


@pytest.fixture
def api(engine: sa.Engine):
    """A TestClient over the /api/v1 FastAPI app (no Reflex, same database)."""
    from fastapi.testclient import TestClient

    from resolutionflow_app.api.app import create_api

    with TestClient(create_api(), raise_server_exceptions=False) as client:
        yield client
