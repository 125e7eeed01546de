"""Migrations: upgrade, downgrade to base, upgrade again; autogenerate finds no drift."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import resolutionflow_app.db.models  # noqa: F401
from alembic import command
from resolutionflow_app.db.engine import make_engine
from resolutionflow_app.db.migration_filters import include_object
from resolutionflow_app.settings import PROJECT_ROOT


@pytest.fixture
def fresh_url(database_url: str):
    """An empty database of the kind under test (its own file / database)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{Path(tempfile.mkdtemp()) / 'mig.db'}"
        return
    import psycopg

    base, _, _ = database_url.rpartition("/")
    name = "rf_mig_" + os.urandom(4).hex()
    dsn = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _config(url: str) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _procrastinate_functions(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%'")).scalar()
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(fresh_url: str) -> None:
    cfg = _config(fresh_url)
    command.upgrade(cfg, "head")
    assert {"accounts", "users", "trees", "step_library", "sessions", "session_shares", "automation_runs"} <= _tables(
        fresh_url
    )
    postgres = not fresh_url.startswith("sqlite")
    # procrastinate's queue (0010) exists on PostgreSQL only.
    assert (
        {"procrastinate_jobs", "procrastinate_workers", "procrastinate_periodic_defers"} <= _tables(fresh_url)
    ) == postgres
    if postgres:
        assert _procrastinate_functions(fresh_url) > 10
    command.downgrade(cfg, "base")
    assert _tables(fresh_url) <= {"alembic_version"}
    if postgres:
        assert _procrastinate_functions(fresh_url) == 0, "the downgrade left procrastinate functions behind"
    command.upgrade(cfg, "head")
    assert "session_share_views" in _tables(fresh_url)


def test_models_and_migrations_agree(fresh_url: str) -> None:
    command.upgrade(_config(fresh_url), "head")
    engine = make_engine(fresh_url)

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        diff = compare_metadata(ctx, SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models differ from migrations: {diff}"
