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
# RF_API_TOPOLOGY=prod: the API tests talk over HTTP to `make prod-demo`'s topology (2 app workers behind Reflex,
# Redis, 2 automation workers) and share its PostgreSQL database. Tests that change settings in this process
# (monkeypatch) are skipped there: the topology's servers cannot see the change.
API_TOPOLOGY = os.environ.get("RF_API_TOPOLOGY", "")
if API_TOPOLOGY:
    TEST_DB = "postgresql"


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "in_process: needs the in-process TestClient (skipped on RF_API_TOPOLOGY)")


def pytest_collection_modifyitems(config, items) -> None:
    if not API_TOPOLOGY:
        return
    skip = pytest.mark.skip(reason="works in the test process (settings, captured logs); the topology cannot see it")
    for item in items:
        if {"monkeypatch", "caplog"} & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("in_process"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def topology():
    """The running production topology (RF_API_TOPOLOGY=prod only)."""
    if not API_TOPOLOGY:
        pytest.skip("RF_API_TOPOLOGY is not set")
    from tests.prod_topology import production_topology

    with production_topology(
        "api-prod-topology.log",
        # Hundreds of registrations and lookups from one address in a few minutes; loopback fakes reachable.
        RF_AUTH_RATE_LIMIT="1000000/minute",
        RF_SHARE_LOOKUP_RATE_LIMIT="1000000/minute",
        RF_ALLOWED_INTERNAL_CIDRS="127.0.0.0/8",
    ) as running:
        yield running


def pytest_report_header(config) -> str:
    return f"database under test: {TEST_DB}"


@pytest.fixture(scope="session")
def database_url(request) -> Iterator[str]:
    """A freshly migrated database for the whole run."""
    cluster = None
    if API_TOPOLOGY:
        running = request.getfixturevalue("topology")
        url = running.database_url
        os.environ["RF_SECRET_KEY"] = running.secret_key  # what the servers encrypt stored secrets with
    elif TEST_DB == "postgresql":
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
    if API_TOPOLOGY:
        wait_until_the_topology_is_idle(engine)
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " CASCADE"))
                else:
                    for table in tables:
                        conn.execute(table.delete())
            return
        except sa.exc.OperationalError as exc:
            # On the production topology a periodic job can hold a table the TRUNCATE also wants: try again.
            if not API_TOPOLOGY or "deadlock" not in str(exc) or attempt == 4:
                raise


def wait_until_the_topology_is_idle(engine: sa.Engine, timeout: float = 60) -> None:
    """No run queued or running: the topology's workers have finished what the last test started."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if not conn.execute(
                sa.text("SELECT count(*) FROM automation_runs WHERE status IN ('queued', 'running')")
            ).scalar_one():
                return
        time.sleep(0.1)


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
def api(engine: sa.Engine, request):
    """A TestClient over the /api/v1 FastAPI app (no Reflex, same database)."""
    from fastapi.testclient import TestClient

    if API_TOPOLOGY:
        import httpx

        with httpx.Client(base_url=request.getfixturevalue("topology").url, timeout=60) as client:
            yield client
        return
    with TestClient(_api_app(), raise_server_exceptions=False) as client:
        yield client
