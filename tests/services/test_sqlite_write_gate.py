"""SQLite's write gate: writers of one process queue on a lock, which every way a transaction ends gives back."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from resolutionflow_app.db.engine import make_engine, session_scope_for


@pytest.fixture
def gated(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO counter (id, n) VALUES (1, 0)")
    yield engine
    engine.dispose()


def _gate_taken(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return type(conn.connection.dbapi_connection).gate_taken()


def test_reads_never_take_the_gate_and_a_write_holds_it_until_commit(gated) -> None:
    with gated.connect() as conn:
        conn.execute(sa.text("SELECT n FROM counter")).all()
        assert not _gate_taken(gated)
        conn.execute(sa.text("UPDATE counter SET n = n + 1"))
        assert _gate_taken(gated)
        conn.commit()
    assert not _gate_taken(gated)


def test_rollback_a_failed_statement_and_a_connection_given_back_mid_transaction_release_it(gated) -> None:
    with gated.connect() as conn:
        conn.execute(sa.text("UPDATE counter SET n = 5"))
        conn.rollback()
    assert not _gate_taken(gated)

    with pytest.raises(sa.exc.IntegrityError), session_scope_for(gated) as session:
        session.execute(sa.text("INSERT INTO counter (id, n) VALUES (1, 1)"))  # the primary key exists
    assert not _gate_taken(gated)

    session = Session(gated)
    session.execute(sa.text("UPDATE counter SET n = 7"))
    assert _gate_taken(gated)
    session.close()  # never committed: the pool rolls the connection back
    assert not _gate_taken(gated)
    with gated.connect() as conn:
        assert conn.execute(sa.text("SELECT n FROM counter")).scalar_one() == 0


def test_a_writer_waits_for_the_gate_not_for_sqlite_and_goes_on_once_it_is_free(gated) -> None:
    first_wrote, second_done = threading.Event(), threading.Event()
    release = threading.Event()

    def first() -> None:
        with gated.connect() as conn:
            conn.execute(sa.text("UPDATE counter SET n = n + 1"))
            first_wrote.set()
            release.wait(10)
            conn.commit()

    def second() -> None:
        first_wrote.wait(10)
        with gated.connect() as conn:
            conn.execute(sa.text("UPDATE counter SET n = n + 10"))
            conn.commit()
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    assert first_wrote.wait(10)
    assert not second_done.wait(0.5)  # queued behind the open writing transaction
    release.set()
    for t in threads:
        t.join(20)
    assert second_done.is_set()
    with gated.connect() as conn:
        assert conn.execute(sa.text("SELECT n FROM counter")).scalar_one() == 11


def test_many_threads_writing_at_once_all_succeed_with_exact_counts(gated) -> None:
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(25):
                with session_scope_for(gated) as session:
                    session.execute(sa.text("SELECT n FROM counter")).all()
                    session.execute(sa.text("UPDATE counter SET n = n + 1"))
        except BaseException as exc:  # noqa: BLE001 - collected and shown by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert not _gate_taken(gated)
    with gated.connect() as conn:
        assert conn.execute(sa.text("SELECT n FROM counter")).scalar_one() == 16 * 25
