"""Benchmark: publish a 2,000-step procedure, then re-publish it with 10 steps changed (prints figures only)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STEPS = int(os.environ.get("BENCH_STEPS", "2000"))
CHANGED = 10
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))


def main() -> int:
    """Run on a fresh temp SQLite DB (or RF_DATABASE_URL when BENCH_USE_ENV_DB=1) and print timings."""
    if os.environ.get("BENCH_USE_ENV_DB") != "1":
        os.environ["RF_DATABASE_URL"] = f"sqlite:///{Path(tempfile.mkdtemp(prefix='rf-bench-')) / 'bench.db'}"
    os.environ.setdefault("RF_SCHEDULER_ENABLED", "false")
    os.environ.setdefault("RF_WORKER_MODE", "external")
    from sqlmodel import Session

    from resolutionflow_app.cli import migrate
    from resolutionflow_app.db.engine import get_engine
    from resolutionflow_app.db.models import Account, User
    from resolutionflow_app.services import library_sync
    from resolutionflow_app.services import trees as ts
    from tests.tree_helpers import big_procedure

    migrate("head", url=os.environ["RF_DATABASE_URL"])
    engine = get_engine()
    with Session(engine, expire_on_commit=False) as session:
        account = Account(name="Bench")
        session.add(account)
        session.flush()
        user = User(
            account_id=account.id,
            email=f"bench-{time.time_ns()}@example.com",
            name="Bench",
            role="owner",
            password_hash="x",
        )
        session.add(user)
        session.flush()
        firsts, seconds = [], []
        for _ in range(REPEATS):  # fresh flow each round; the minimum is the least disturbed figure
            tree = ts.create_tree(
                session=session,
                actor=user,
                name="Big procedure",
                tree_type="procedural",
                tree_structure=big_procedure(STEPS),
            )
            session.commit()
            t0 = time.perf_counter()
            ts.update_tree(session=session, actor=user, tree_id=tree.id, changes={"status": "published"})
            session.commit()
            firsts.append(time.perf_counter() - t0)

            changed = big_procedure(STEPS)
            step_nodes = [n for n in changed["steps"] if n["type"] == "procedure_step"]
            for n in step_nodes[:: max(1, len(step_nodes) // CHANGED)][:CHANGED]:
                n["description"] += " (revised)"
            t0 = time.perf_counter()
            ts.update_tree(session=session, actor=user, tree_id=tree.id, changes={"tree_structure": changed})
            session.commit()
            seconds.append(time.perf_counter() - t0)
        first, second = min(firsts), min(seconds)

        # The sync alone, without validation, versioning and DTO building.
        from resolutionflow_app.db.models import Tree

        row = session.get(Tree, tree.id)
        changed2 = big_procedure(STEPS, variant=1)  # every step changed: the worst case
        row.tree_structure = changed2
        t0 = time.perf_counter()
        all_changed = library_sync.sync_tree(session=session, tree=row)
        session.commit()
        full_sync = time.perf_counter() - t0
        import copy

        previous = copy.deepcopy(changed2)
        for n in [x for x in changed2["steps"] if x["type"] == "procedure_step"][:CHANGED]:
            n["title"] += "!"
        row.tree_structure = dict(changed2)
        t0 = time.perf_counter()
        # What a published -> published edit does: only the nodes that differ are extracted, read and written.
        ten = library_sync.sync_tree(session=session, tree=row, previous_structure=previous)
        session.commit()
        ten_sync = time.perf_counter() - t0

    print(f"database: {engine.dialect.name}; procedure with {STEPS} steps; best of {REPEATS} rounds")
    print(f"first publish (validate + version + sync {STEPS} inserts): {first * 1000:.1f} ms")
    print(f"re-publish with {CHANGED} steps changed (PUT tree_structure): {second * 1000:.1f} ms")
    print(f"ratio re-publish / first publish: {second / first:.3f}")
    print(f"sync only, all {all_changed.updated} rows changed: {full_sync * 1000:.1f} ms")
    print(
        f"sync only, {ten.updated} rows changed (edit of a published flow; unchanged nodes not read): "
        f"{ten_sync * 1000:.1f} ms"
    )
    print(f"ratio sync(10 changed) / sync(all changed): {ten_sync / full_sync:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
