"""The `resolutionflow` command: migrate, demo data, workers and maintenance jobs."""

from __future__ import annotations

import argparse
import contextlib
import sys

from resolutionflow_app.settings import PROJECT_ROOT, get_settings


def migrate(revision: str = "head", url: str | None = None) -> None:
    """Apply Alembic migrations to RF_DATABASE_URL (or `url`)."""
    from alembic.config import Config  # noqa: PLC0415

    from alembic import command  # noqa: PLC0415

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if url:
        cfg.attributes["url"] = url
    command.upgrade(cfg, revision)


def _cmd_migrate(args: argparse.Namespace) -> int:
    migrate(args.revision)
    print(f"Database is at revision {args.revision}.")
    return 0


def _cmd_demo_data(_args: argparse.Namespace) -> int:
    from resolutionflow_app.db.engine import session_scope  # noqa: PLC0415
    from resolutionflow_app.services.demo_data import load_demo_data  # noqa: PLC0415

    settings = get_settings()
    with session_scope() as session:
        result = load_demo_data(session=session, password=settings.demo_password)
    print("Demo data loaded." if result.created else "Demo data already present; nothing changed.")
    print(f"Demo logins (password: {settings.demo_password}): {', '.join(result.emails)}")
    return 0


def _cmd_run_job(args: argparse.Namespace) -> int:
    from resolutionflow_app.background import run_job_now  # noqa: PLC0415
    from resolutionflow_app.workers_registry import periodic_jobs  # noqa: PLC0415

    jobs = periodic_jobs()
    if args.name not in jobs:
        print(f"Unknown job {args.name!r}. Jobs: {', '.join(sorted(jobs))}", file=sys.stderr)
        return 2
    print(f"{args.name}: {run_job_now(args.name)} item(s) processed.")
    return 0


def _cmd_jobs(_args: argparse.Namespace) -> int:
    from resolutionflow_app.workers_registry import periodic_jobs  # noqa: PLC0415

    for name, job in sorted(periodic_jobs().items()):
        print(f"{name:32} every {int(job.interval_seconds)}s  {job.description}")
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415
    import logging  # noqa: PLC0415
    import signal  # noqa: PLC0415

    from resolutionflow_app import workers_registry  # noqa: PLC0415
    from resolutionflow_app.background import scheduler_loop  # noqa: PLC0415

    async def main() -> None:
        tasks = [asyncio.create_task(w()) for w in workers_registry.workers()]
        if args.with_scheduler and workers_registry.scheduler_runs_jobs():
            tasks.append(asyncio.create_task(scheduler_loop()))
        elif args.with_scheduler:
            logging.getLogger(__name__).info(
                "--with-scheduler: periodic jobs are procrastinate periodic tasks here; every worker runs them"
            )
        # SIGTERM stops like Ctrl+C: runs in flight are handed back to the queue (completed steps kept).
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: [t.cancel() for t in tasks])
        await asyncio.gather(*tasks, return_exceptions=True)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    return 0


def _cmd_desktop(args: argparse.Namespace) -> int:
    from resolutionflow_app.desktop.launcher import run_desktop  # noqa: PLC0415 - needs the `desktop` extra

    return run_desktop(args.data_dir, args.page)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; job shortcuts (cleanup-shares, ...) map onto `run-job`."""
    parser = argparse.ArgumentParser(prog="resolutionflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("migrate", help="apply database migrations (RF_DATABASE_URL)")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(fn=_cmd_migrate)
    sub.add_parser("demo-data", help="load the demo account and flows once").set_defaults(fn=_cmd_demo_data)
    p = sub.add_parser("worker", help="run automation workers (and optionally the job scheduler)")
    p.add_argument("--with-scheduler", action="store_true", help="also run periodic jobs")
    p.set_defaults(fn=_cmd_worker)
    p = sub.add_parser("desktop", help="open the app in a native window (SQLite in the user's data directory)")
    p.add_argument("--data-dir", default=None, help="data directory (default: the platform's user data directory)")
    p.add_argument("--page", default="/", help="app page to open, e.g. /library")
    p.set_defaults(fn=_cmd_desktop)
    sub.add_parser("jobs", help="list periodic jobs").set_defaults(fn=_cmd_jobs)
    p = sub.add_parser("run-job", help="run one periodic job now")
    p.add_argument("name")
    p.set_defaults(fn=_cmd_run_job)
    for shortcut in (
        "cleanup-shares",
        "cleanup-zombie-runs",
        "cleanup-retention",
        "cleanup-hidden-assistants",
        "purge-expired-tokens",
    ):
        p = sub.add_parser(shortcut, help=f"run the {shortcut} job now")
        p.set_defaults(fn=_cmd_run_job, name=shortcut)
    from resolutionflow_app.sync_cli import add_commands as add_sync_commands  # noqa: PLC0415

    add_sync_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `resolutionflow` command."""
    from resolutionflow_app import log_setup  # noqa: PLC0415

    settings = get_settings()
    log_setup.configure(settings.log_level, settings.log_format)
    args = build_parser().parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    raise SystemExit(main())
