"""Run the whole suite: SQLite pass, PostgreSQL pass (own throwaway cluster), browser pass.

Each pass is its own pytest process (the browser pass starts the real app; the PostgreSQL pass
starts a cluster on 127.0.0.1). Exit status is non-zero when any pass fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

TOPOLOGY_E2E = (
    "test_auth_flow.py",
    "test_automation_run_page.py",
    "test_library_search.py",  # type-ahead over PostgreSQL's prefix term table
    "test_library_sessions.py",
    "test_session_automation.py",
    "test_shares.py",
)

TOPOLOGY_API = tuple(
    f"tests/api/test_contract_{name}.py" for name in ("accounts_flows", "library_sessions", "shares", "automations")
)

PASSES = [
    (
        "unit + services + API on SQLite",
        {"RF_TEST_DB": "sqlite"},
        ["tests", "--ignore=tests/e2e", "--ignore=tests/topology", "--ignore=tests/desktop"],
    ),
    (
        "services + API + migrations on PostgreSQL",
        {"RF_TEST_DB": "postgresql"},
        [
            "tests/services",
            "tests/api",
            "tests/test_migrations.py",
            "tests/integrations",
            "tests/test_workers_registry.py",
        ],
    ),
    ("browser (Playwright + Debian chromium)", {}, ["tests/e2e"]),
    ("desktop (resolutionflow desktop: Qt window on Xvfb)", {}, ["tests/desktop"]),
    ("production topology (PostgreSQL, Redis, 2 app + 2 automation workers)", {}, ["tests/topology"]),
    # The API contract suites over HTTP against that topology (its app workers, Redis, its automation workers running
    # the runs), sharing its database; tests that change settings in the test process are skipped there.
    ("API contract suites on the production topology", {"RF_API_TOPOLOGY": "prod"}, list(TOPOLOGY_API)),
    # The browser journeys that cross processes (login state in Redis, runs on external workers, live
    # progress, share links) again against that topology; the rest of the browser pass is UI-only.
    ("browser on the production topology", {"RF_E2E_TOPOLOGY": "prod"}, [f"tests/e2e/{name}" for name in TOPOLOGY_E2E]),
]


def main(argv: list[str]) -> int:
    """Run every pass (or those whose name contains argv[1]) and summarise."""
    only = argv[1] if len(argv) > 1 else ""
    results = []
    for name, env_extra, args in PASSES:
        if only and only not in name:
            continue
        print(f"\n=== {name} ===", flush=True)
        env = {**os.environ, **env_extra}
        started = time.monotonic()
        code = subprocess.call([PY, "-m", "pytest", "-q", "-rfE", *args], cwd=ROOT, env=env)
        results.append((name, code, time.monotonic() - started))
    print("\n=== summary ===")
    for name, code, seconds in results:
        print(f"{'PASS' if code == 0 else 'FAIL'}  {name}  ({seconds:.0f} s)")
    return 0 if results and all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
