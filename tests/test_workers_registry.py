"""The workers and periodic jobs are listed in one place (workers_registry), not registered by import side effects."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from resolutionflow_app import workers_registry
from resolutionflow_app.services import assistants, automation_worker, jobs, shares
from resolutionflow_app.settings import PROJECT_ROOT, Settings, get_settings

EXPECTED_JOBS = {
    "cleanup-zombie-runs",
    "cleanup-retention",
    "cleanup-hidden-assistants",
    "cleanup-shares",
    "purge-expired-tokens",
}


def test_every_periodic_job_is_listed_once_with_its_service_function() -> None:
    names = [job.name for job in workers_registry.PERIODIC_JOBS]
    assert sorted(names) == sorted(EXPECTED_JOBS)
    assert len(set(names)) == len(names)
    by_name = workers_registry.periodic_jobs()
    assert by_name["cleanup-zombie-runs"].run is automation_worker.cleanup_zombie_runs
    assert by_name["cleanup-retention"].run is automation_worker.cleanup_retention
    assert by_name["cleanup-hidden-assistants"].run is assistants.cleanup_hidden_assistants
    assert by_name["cleanup-shares"].run is shares.cleanup_shares
    assert by_name["purge-expired-tokens"].run is jobs.purge_expired_tokens
    # Recovery of runs whose worker died must be looked for well within a minute.
    assert by_name["cleanup-zombie-runs"].interval_seconds <= 30


def test_no_module_registers_work_at_import_time() -> None:
    """No service appends itself to a global list or calls a register function on import any more."""
    offenders = []
    package = PROJECT_ROOT / "resolutionflow_app"
    # The app module's own wiring (add_page, register_lifespan_task) is explicit by design.
    for path in sorted(p for p in package.rglob("*.py") if p.name != "resolutionflow_app.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only
            call = node.value if isinstance(node, ast.Expr) else None
            if isinstance(call, ast.Call):
                name = getattr(call.func, "id", None) or getattr(call.func, "attr", "")
                if "register" in name or name == "append":
                    offenders.append(f"{path.name}: {name}()")
    assert offenders == []


def test_a_fresh_process_sees_all_jobs_without_importing_services_first() -> None:
    """The old registry was filled by importing every service module; the new one is complete by itself."""
    code = "from resolutionflow_app.workers_registry import periodic_jobs; print(','.join(sorted(periodic_jobs())))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert set(out.split(",")) == EXPECTED_JOBS


@pytest.mark.parametrize(
    ("url", "queue", "backend"),
    [
        ("sqlite:///x.db", "auto", "table"),
        ("postgresql+psycopg://u@h/db", "auto", "procrastinate"),
        ("postgresql+psycopg://u@h/db", "table", "table"),
        ("postgresql+psycopg://u@h/db", "procrastinate", "procrastinate"),
    ],
)
def test_queue_setting_picks_the_backend_and_its_workers(monkeypatch, url, queue, backend) -> None:
    monkeypatch.setenv("RF_DATABASE_URL", url)
    monkeypatch.setenv("RF_QUEUE", queue)
    get_settings.cache_clear()
    try:
        assert get_settings().queue_backend == backend
        assert workers_registry.uses_procrastinate() == (backend == "procrastinate")
        assert workers_registry.scheduler_runs_jobs() == (backend == "table")
        assert len(workers_registry.workers()) == 1
        dispatcher = automation_worker.get_dispatcher()
        assert type(dispatcher).__name__ == (
            "ProcrastinateDispatcher" if backend == "procrastinate" else "DatabaseDispatcher"
        )
    finally:
        get_settings.cache_clear()


def test_procrastinate_is_refused_on_sqlite() -> None:
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        Settings(database_url="sqlite:///x.db", queue="procrastinate")
