"""Step library search benchmark: full-text index vs a naive LIKE '%q%' scan, on SQLite and PostgreSQL.

Seeds 100,000 library steps (RF_BENCH_STEPS to change) into a throwaway database, then times, per
query, in the same process:
- "page": what the library page runs while the user types: `search_steps(q=..., limit=20,
  distinct=True)` (relevance, forks' copies folded, one page + the total counted up to TOTAL_CAP,
  shown as "1,000+");
- "api": the API's `list_steps(q=..., limit=50)` (relevance, exact total);
- "like": the same query as a LIKE '%word%' scan (the baseline).
Queries come in kinds: selective words, common words (the filler words are in 5-30% of steps),
and 1-3 letter prefixes (what type-ahead sends first). Prints p50/p95 per query and per kind and
the ratios against the LIKE scan, by wall clock (p95) and by CPU time (mean; for PostgreSQL on this
machine including its backend), which other load on the machine hardly changes. No asserts.
RF_BENCH_ONLY=common,prefix runs some kinds only.

PostgreSQL: uses the server of RF_BENCH_POSTGRES_URL / RF_DATABASE_URL when it is a PostgreSQL
URL (a scratch database is created and dropped there), otherwise starts a throwaway cluster
(tests.pg_cluster). RF_BENCH_SKIP_PG=1 / RF_BENCH_SKIP_SQLITE=1 run one engine only.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("RF_SCHEDULER_ENABLED", "false")

import sqlalchemy as sa
from sqlmodel import Session, select

from resolutionflow_app.db.engine import make_engine
from resolutionflow_app.db.models import Account, LibraryStep, User
from resolutionflow_app.db.types import utcnow
from resolutionflow_app.services import library_search as library
from resolutionflow_app.services.visibility import visible_steps

N_STEPS = int(os.environ.get("RF_BENCH_STEPS", "100000"))
ROUNDS = int(os.environ.get("RF_BENCH_ROUNDS", "40"))
TERMS = [
    "dns",
    "dhcp",
    "vpn",
    "printer",
    "spooler",
    "outlook",
    "mailbox",
    "firewall",
    "switch",
    "vlan",
    "wifi",
    "access",
    "point",
    "reboot",
    "restart",
    "certificate",
    "password",
    "reset",
    "license",
    "teams",
    "sharepoint",
    "onedrive",
    "backup",
    "restore",
    "firmware",
    "upgrade",
    "router",
    "gateway",
    "latency",
    "packet",
    "loss",
    "driver",
    "update",
    "windows",
    "macos",
    "linux",
    "ssh",
    "rdp",
    "citrix",
    "domain",
    "controller",
    "group",
    "policy",
    "kerberos",
    "ntp",
    "time",
    "sync",
    "disk",
    "space",
    "cleanup",
    "antivirus",
    "scan",
    "quarantine",
    "meraki",
    "dashboard",
    "poe",
    "injector",
    "cable",
    "port",
    "flap",
    "duplex",
    "mismatch",
    "mtu",
    "proxy",
]
QUERIES = [
    "dns",
    "printer spooler",
    "vpn",
    "meraki dashboard",
    "rebo",
    "kerberos time",
    "zzzz-nomatch",
    "firmware upgrade",
    "reset password",
    "cert",
]
COMMON = ["check", "the", "user", "device settings", "verify"]
PREFIXES = ["c", "ch", "che", "r", "re", "reb", "s", "se", "d", "v"]
KINDS = {"selective": QUERIES, "common": COMMON, "prefix": PREFIXES}
PAGE_SIZE = 20  # the library page's page size


FILLER = [
    "the",
    "and",
    "check",
    "then",
    "on",
    "if",
    "is",
    "to",
    "a",
    "of",
    "in",
    "for",
    "with",
    "open",
    "run",
    "make",
    "sure",
    "that",
    "it",
    "from",
    "user",
    "device",
    "settings",
    "click",
    "select",
    "verify",
    "not",
    "or",
    "be",
    "at",
]


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Zipf-distributed words: fillers most common, technical terms mid-frequency, a long tail."""
    tail = sorted(
        {
            "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))
            for _ in range(6000)
        }
    )
    rng.shuffle(tail)
    terms = TERMS[:]
    rng.shuffle(terms)
    words = (
        FILLER
        + tail[:20]
        + [w for pair in zip(terms, tail[20 : 20 + len(terms)], strict=False) for w in pair]
        + tail[20 + len(terms) :]
    )
    weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(words))]
    return words, weights


def _text(rng: random.Random, words: int, vocab: tuple[list[str], list[float]]) -> str:
    return " ".join(rng.choices(vocab[0], weights=vocab[1], k=words))


def seed(url: str) -> User:
    """Fill a migrated database with N_STEPS steps over 20 accounts; returns the viewing user."""
    engine = make_engine(url)
    rng = random.Random(42)
    vocab = _vocabulary(rng)
    with Session(engine, expire_on_commit=False) as s:
        accounts = [Account(name=f"Acct {i}") for i in range(20)]
        s.add_all(accounts)
        s.flush()
        users = [
            User(
                account_id=a.id,
                email=f"bench{i}-{uuid.uuid4().hex[:6]}@example.com",
                name=f"U{i}",
                role="owner",
                password_hash="x",
            )
            for i, a in enumerate(accounts)
        ]
        s.add_all(users)
        s.commit()
        viewer = users[0]
    table = LibraryStep.__table__
    batch: list[dict] = []
    now = utcnow()
    with engine.begin() as conn:
        for _ in range(N_STEPS):
            k = rng.randrange(20)
            batch.append(
                {
                    "id": uuid.uuid4(),
                    "account_id": accounts[k].id,
                    "created_by": users[k].id,
                    "category_id": None,
                    "title": _text(rng, rng.randint(3, 7), vocab).capitalize(),
                    "step_type": rng.choice(("action", "action", "solution")),
                    "content": {
                        "instructions": _text(rng, rng.randint(10, 40), vocab),
                        "help_text": None,
                        "commands": [],
                        "group_label": None,
                    },
                    "visibility": rng.choice(("team", "team", "public", "private")),
                    "usage_count": rng.randrange(50),
                    "rating_sum": 0,
                    "rating_count": 0,
                    "is_active": rng.random() > 0.02,
                    "source_tree_id": None,
                    "source_node_id": None,
                    "is_flow_synced": False,
                    "last_synced_at": None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(batch) == 5000:
                conn.execute(table.insert(), batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
        if engine.dialect.name != "postgresql":
            conn.execute(sa.text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        # What autovacuum reaches soon after a bulk load (the term table is tuned to vacuum after 1%
        # new rows, migration 0015): statistics, and all-visible pages for index-only scans.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE step_library, step_library_terms"))
    engine.dispose()
    return viewer


def naive_search(session: Session, actor: User, q: str, limit: int = 50) -> tuple[list, int]:
    """The baseline: every word as LIKE '%word%' over title and instructions (a full scan)."""
    conds = [visible_steps(actor), LibraryStep.is_active.is_(True)]
    instructions = LibraryStep.content["instructions"].as_string()
    for token in library.search_tokens(q):
        pattern = f"%{token}%"
        conds.append(sa.or_(sa.func.lower(LibraryStep.title).like(pattern), sa.func.lower(instructions).like(pattern)))
    total = session.exec(select(sa.func.count()).select_from(LibraryStep).where(*conds)).one()
    rows = session.exec(
        select(LibraryStep)
        .where(*conds)
        .order_by(LibraryStep.usage_count.desc(), LibraryStep.created_at.desc())
        .limit(limit)
    ).all()
    return list(rows), int(total)


def _time(fn, rounds: int, cpu: list[float] | None = None, server_cpu=None) -> list[float]:
    """Wall-clock ms per call; `cpu` (if given) also gets the CPU ms per call of this process plus,
    with `server_cpu` (see _backend_cpu), of the PostgreSQL backend serving the session.

    On a loaded machine the wall clock includes waiting for a core; the CPU time (SQLite works in
    this process, PostgreSQL in its backend) shows what the search itself costs.
    """
    fn()  # warm caches
    out = []
    for _ in range(rounds):
        start, cpu_start = time.perf_counter(), time.process_time()
        server_start = server_cpu() if server_cpu else 0.0
        fn()
        out.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            server = server_cpu() - server_start if server_cpu else 0.0
            cpu.append((time.process_time() - cpu_start) * 1000 + server)
    return out


def _backend_cpu(session: Session):
    """A function returning the CPU ms used so far by the session's PostgreSQL backend, or None.

    Reads /proc/<pid>/stat, so only for a server on this machine (the throwaway cluster); its
    clock ticks are 10 ms, so only means over many calls are meaningful.
    """
    if session.get_bind().dialect.name != "postgresql":
        return None
    pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return None
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")

    def read() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * tick_ms  # utime + stime

    return read


def _mean(values: list[float]) -> float:
    return sum(values) / max(len(values), 1)


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def _page_search(session: Session, actor: User, q: str) -> tuple[int, bool]:
    """What the library page runs per keystroke: one page of 20 and a capped total."""
    if hasattr(library, "search_steps"):
        got = library.search_steps(session=session, actor=actor, q=q, limit=PAGE_SIZE, distinct=True)
        return got.total, got.total_capped
    return library.list_steps(session=session, actor=actor, q=q, limit=PAGE_SIZE)[
        1
    ], False  # before search_steps existed


def run(label: str, url: str) -> None:
    """Seed, then time the page search, the API search and the LIKE scan for each query on one database."""
    from resolutionflow_app.cli import migrate

    t0 = time.perf_counter()
    migrate("head", url=url)
    viewer = seed(url)
    print(f"\n== {label}: {N_STEPS:,} steps seeded in {time.perf_counter() - t0:.1f} s ==")
    measure(url, viewer.id)


def measure(url: str, viewer_id: uuid.UUID) -> None:
    """Time every query kind on a seeded database and print the table and the per-kind ratios."""
    only = [k for k in os.environ.get("RF_BENCH_ONLY", "").split(",") if k]
    engine = make_engine(url)
    per_kind: dict[str, dict[str, list[float]]] = {}
    with Session(engine, expire_on_commit=False) as s:
        actor = s.get(User, viewer_id)
        server_cpu = _backend_cpu(s)
        cpu_what = "this process" + (" + PostgreSQL backend" if server_cpu else "")
        print(
            f"{'kind':<10}{'query':<17}{'total':>8}{'exact':>8}{'page p50':>10}"
            f"{'page p95':>10}{'api p95':>9}{'like p50':>10}{'like p95':>10}{'ratio p95':>11}{'CPU ratio':>11}"
        )
        for kind, queries in KINDS.items():
            if only and kind not in only:
                continue
            acc = per_kind.setdefault(kind, {"page": [], "api": [], "like": [], "page_cpu": [], "like_cpu": []})
            for q in queries:
                total, capped = _page_search(s, actor, q)
                exact = library.list_steps(session=s, actor=actor, q=q, limit=50)[1]
                naive_total = naive_search(s, actor, q)[1]
                page_cpu: list[float] = []
                like_cpu: list[float] = []
                page = _time(lambda q=q: _page_search(s, actor, q), ROUNDS, page_cpu, server_cpu)
                api = _time(lambda q=q: library.list_steps(session=s, actor=actor, q=q, limit=50), max(5, ROUNDS // 2))
                slow = _time(lambda q=q: naive_search(s, actor, q), max(5, ROUNDS // 4), like_cpu, server_cpu)
                acc["page_cpu"] += page_cpu
                acc["like_cpu"] += like_cpu
                acc["page"] += page
                acc["api"] += api
                acc["like"] += slow
                shown = f"{total:,}+" if capped else f"{total:,}"
                print(
                    f"{kind:<10}{q:<17}{shown:>8}{exact:>8}{_pct(page, 0.5):>10.2f}{_pct(page, 0.95):>10.2f}"
                    f"{_pct(api, 0.95):>9.2f}{_pct(slow, 0.5):>10.2f}{_pct(slow, 0.95):>10.2f}"
                    f"{_pct(slow, 0.95) / max(_pct(page, 0.95), 1e-6):>10.1f}x"
                    f"{_mean(like_cpu) / max(_mean(page_cpu), 1e-6):>10.1f}x"
                    + ("" if naive_total >= exact else "  (!) index found more than the scan")
                )
    engine.dispose()
    print(
        "per kind (page = library page search, capped total; api = exact total; like = LIKE scan; "
        f"CPU = mean CPU ms per call of {cpu_what}, which other load hardly changes):"
    )
    everything: dict[str, list[float]] = {"page": [], "api": [], "like": [], "page_cpu": [], "like_cpu": []}
    for kind, acc in per_kind.items():
        for key in everything:
            everything[key] += acc[key]
        _summary(kind, acc)
    _summary("ALL", everything)
    worst = max(per_kind, key=lambda k: _pct(per_kind[k]["page"], 0.95))
    worst_ratio = min(_pct(acc["like"], 0.95) / max(_pct(acc["page"], 0.95), 1e-6) for acc in per_kind.values())
    worst_cpu = min(_mean(acc["like_cpu"]) / max(_mean(acc["page_cpu"]), 1e-6) for acc in per_kind.values())
    met = _pct(per_kind[worst]["page"], 0.95) < 15 and worst_ratio >= 20
    print(
        f"goal: page p95 < 15 ms and >= 20x the LIKE scan for every kind: {'met' if met else 'NOT met'} "
        f"(slowest kind {worst}: {_pct(per_kind[worst]['page'], 0.95):.2f} ms; lowest ratio {worst_ratio:.1f}x); "
        f"by CPU (mean per call, {cpu_what}): page {_mean(everything['page_cpu']):.2f} ms, "
        f"lowest ratio of a kind {worst_cpu:.1f}x"
    )


def _summary(kind: str, acc: dict[str, list[float]]) -> None:
    page, api, like = (_pct(acc[k], 0.95) for k in ("page", "api", "like"))
    page_cpu, like_cpu = _mean(acc["page_cpu"]), _mean(acc["like_cpu"])
    print(
        f"  {kind:<10} page p50 {_pct(acc['page'], 0.5):7.2f} ms  p95 {page:7.2f} ms  api p95 {api:7.2f} ms  "
        f"like p50 {_pct(acc['like'], 0.5):8.2f} ms  p95 {like:8.2f} ms  "
        f"(CPU: page {page_cpu:6.2f} ms, like {like_cpu:7.2f} ms, ratio "
        f"{like_cpu / max(page_cpu, 1e-6):6.1f}x; "
        f"fastest runs, least disturbed by other load: page {min(acc['page']):6.2f} ms, like {min(acc['like']):7.2f} "
        "ms)  "
        f"ratio like/page p95 {like / max(page, 1e-6):6.1f}x  like/api p95 {like / max(api, 1e-6):6.1f}x"
    )


def _explain(url: str) -> None:
    """Print the PostgreSQL plan of the page query for the first query (RF_BENCH_EXPLAIN=1)."""
    engine = make_engine(url)
    captured: list = []
    sa.event.listen(engine, "before_cursor_execute", lambda c, cur, st, p, ctx, many: captured.append((st, p)))
    with Session(engine) as s:
        actor = s.exec(select(User).where(User.name == "U0")).first()
        captured.clear()
        library.list_steps(session=s, actor=actor, q=QUERIES[0])
        for statement, params in captured[:2]:
            for row in s.connection().exec_driver_sql("EXPLAIN ANALYZE " + statement, params).all():
                print("   ", row[0])
    engine.dispose()


def _pg_urls() -> tuple[str, callable]:
    """A scratch PostgreSQL database URL and a cleanup function."""
    given = os.environ.get("RF_BENCH_POSTGRES_URL") or os.environ.get("RF_DATABASE_URL", "")
    if given.startswith("postgresql"):
        import psycopg

        base = given.rsplit("/", 1)[0]
        name = "rf_bench_" + uuid.uuid4().hex[:8]
        admin = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return f"{base}/{name}", drop
    from tests.pg_cluster import start_cluster

    cluster = start_cluster("rf_bench")
    return cluster.url, cluster.stop


def main() -> int:
    if os.environ.get("RF_BENCH_SKIP_SQLITE") != "1":
        tmp = Path(tempfile.mkdtemp(prefix="rf-bench-"))
        try:
            run("SQLite (FTS5)", f"sqlite:///{tmp / 'bench.db'}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # the seeded database is ~100 MB
    if os.environ.get("RF_BENCH_SKIP_PG") != "1":
        try:
            url, cleanup = _pg_urls()
        except Exception as exc:  # noqa: BLE001 - no PostgreSQL on this machine
            print(f"\nPostgreSQL skipped: {exc}")
            return 0
        try:
            run("PostgreSQL (prefix term table; tsvector + GIN)", url)
            if os.environ.get("RF_BENCH_EXPLAIN") == "1":
                _explain(url)
        finally:
            cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
