"""The database engine and `session_scope()`; SQLite gets WAL, foreign keys, a busy timeout and a write gate."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from resolutionflow_app.settings import get_settings


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MB page cache: library search reads many rows
    cursor.close()


def _postgresql_settings(dbapi_connection, _record) -> None:
    """Session settings for every PostgreSQL connection of the app.

    jit off: compiling a query costs tens of ms, more than any query of this app runs (the planner's
    estimate for a mid-frequency word's library search passes jit_above_cost). Custom plans always:
    psycopg prepares a statement after a few runs and PostgreSQL may then switch to one generic plan
    for every value; the library search's plan for "check" (an early-stopping scan) is the wrong one
    for "dns" (the GIN index) and the other way round. Set per connection rather than per
    transaction, which cost the search a round trip each time.
    """
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _write_gated_connection() -> type[sqlite3.Connection]:
    """A sqlite3 connection class whose transactions take one per-engine write gate while they write.

    SQLite allows one writer; a second connection that wants to write waits in SQLite's busy handler,
    which polls with sleeps of up to 100 ms, so under concurrent writes (share views, page handlers in
    threads) the slowest requests waited far longer than any write took. Here a connection takes the
    gate before its first write statement (`_take_write_gate`) and gives it back right after its
    commit or rollback, so this process's writers queue on a lock and start the moment it is free.
    Writers in other processes on the same file (a second app worker) still meet the busy handler.
    """
    gate = threading.Lock()

    class WriteGatedConnection(sqlite3.Connection):
        holds_gate = False

        @staticmethod
        def gate_taken() -> bool:
            """True while some connection of this engine is in a writing transaction."""
            return gate.locked()

        def take_gate(self) -> None:
            if not self.holds_gate:
                if not gate.acquire(timeout=15):  # as long as SQLite's own busy timeout
                    raise sqlite3.OperationalError("database is locked (waited 15 s for this process's writers)")
                self.holds_gate = True

        def _give_back(self) -> None:
            if self.holds_gate:
                self.holds_gate = False
                gate.release()

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self._give_back()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self._give_back()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self._give_back()

    return WriteGatedConnection


def _take_write_gate(conn, _cursor, statement: str, *_args) -> None:
    dbapi = conn.connection.dbapi_connection
    if not getattr(dbapi, "holds_gate", True) and statement.lstrip()[:7].upper().startswith(_WRITES):
        dbapi.take_gate()


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Build an engine for `url` with the settings this app relies on."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path  # noqa: PLC0415

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 15, "factory": _write_gated_connection()}
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "before_cursor_execute", _take_write_gate)
        return engine
    engine = sa.create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True, pool_timeout=30)
    if engine.dialect.name == "postgresql":
        sa.event.listen(engine, "connect", _postgresql_settings)
    return engine


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for RF_DATABASE_URL."""
    return make_engine(get_settings().database_url)


def reset_engine() -> None:
    """Dispose the cached engine (tests switch databases with this)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


@contextmanager
def session_scope_for(engine: Engine) -> Iterator[Session]:
    """A short-lived DB session on `engine`: commits on success, rolls back on error, always closes."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def session_scope() -> AbstractContextManager[Session]:
    """`session_scope_for` on the process-wide engine (RF_DATABASE_URL)."""
    return session_scope_for(get_engine())
