"""Periodic jobs run once per period across replicas: schedulers race for a claim, exactly one wins."""

from __future__ import annotations

import threading

from sqlmodel import Session

from resolutionflow_app.services.jobs import claim_job, finish_job


def _race(engine, name: str, contenders: int = 8) -> list[bool]:
    barrier = threading.Barrier(contenders)
    results: list[bool] = []
    lock = threading.Lock()

    def contend(i: int) -> None:
        with Session(engine) as session:
            barrier.wait()
            won = claim_job(session=session, name=name, interval_seconds=3600, claimer=f"replica-{i}")
            session.commit()
        with lock:
            results.append(won)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_one_claim_per_period_under_a_real_race(engine) -> None:
    assert _race(engine, "race-first").count(True) == 1  # the first claim (INSERT) races too
    assert _race(engine, "race-first").count(True) == 0  # same period: nobody runs it again
    with Session(engine) as session:
        finish_job(session=session, name="race-first", count=3)
        assert claim_job(session=session, name="race-first", interval_seconds=0, claimer="later")  # next period
        session.commit()
