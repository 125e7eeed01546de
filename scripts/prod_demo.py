"""`make prod-demo`: the production topology on one machine, for trying it out and for operators to copy.

Starts, under data/prod-demo/:
  * PostgreSQL (initdb + pg_ctl, loopback only) and Redis (Debian `redis-server`, loopback only),
  * migrations and the demo data,
  * the app with Reflex's Redis state manager and 2 backend workers (granian),
  * 2 `resolutionflow worker` processes taking automation runs from procrastinate's queue (RF_QUEUE=auto
    on PostgreSQL); both defer and run the periodic jobs, which procrastinate executes once per period,
then prints where to log in and stops everything on Ctrl+C. Logs are JSON lines in data/prod-demo/logs/.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = Path(os.environ.get("RF_PROD_DEMO_DIR", ROOT / "data" / "prod-demo"))
BIN = Path(sys.executable).parent
APP_PORT = int(os.environ.get("RF_PROD_DEMO_PORT", "3000"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: run its tools as the `postgres` user then.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def start_postgres(data: Path, port: int) -> str:
    """A cluster in `data` (created on first use) on 127.0.0.1:`port`; returns the database URL."""
    fresh = not (data / "PG_VERSION").exists()
    data.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(data, pw.pw_uid, pw.pw_gid)
    if fresh:
        subprocess.run(
            _as_postgres(["initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c max_connections=200"
    subprocess.run(
        _as_postgres(["pg_ctl", "-D", str(data), "-l", str(data / "server.log"), "-o", opts, "-w", "start"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if fresh:
        import psycopg  # noqa: PLC0415

        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute('CREATE DATABASE "resolutionflow"')
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/resolutionflow"


def stop_postgres(data: Path) -> None:
    """Stop the cluster (its files stay for the next start)."""
    subprocess.run(
        _as_postgres(["pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_http(url: str, proc: subprocess.Popen, seconds: int) -> bool:
    import httpx  # noqa: PLC0415

    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(1)
    return False


def main() -> int:
    """Start the topology, print where to log in, stop it on Ctrl+C (or after RF_PROD_DEMO_SECONDS)."""
    if not shutil.which("redis-server") or not shutil.which("initdb"):
        print(
            "prod-demo needs PostgreSQL server binaries (initdb, pg_ctl) and redis-server on PATH (`make setup-test` "
            "installs redis-server).",
            file=sys.stderr,
        )
        return 2
    (BASE / "logs").mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        BASE.chmod(0o755)  # the `postgres` user must reach its data directory inside it
    key_file = BASE / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    pg_port, redis_port = _free_port(), _free_port()
    db_url = start_postgres(BASE / "pg", pg_port)
    procs: list[subprocess.Popen] = []

    def spawn(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(BASE / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child for its lifetime
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(proc)
        return proc

    base_env = {
        **os.environ,
        "RF_DATABASE_URL": db_url,
        "RF_SECRET_KEY": key_file.read_text().strip(),
        "RF_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "REFLEX_REDIS_URL": f"redis://127.0.0.1:{redis_port}/1",
        "RF_WORKER_MODE": "external",
        "RF_LOG_FORMAT": "json",
        "RF_PUBLIC_BASE_URL": f"http://localhost:{APP_PORT}",
        "RF_CORS_ORIGINS": f"http://127.0.0.1:{APP_PORT}",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "GRANIAN_WORKERS": "2",
    }
    try:
        spawn(
            "redis",
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            base_env,
        )
        # Where things run, for tools that drive this topology (the test passes of `make test`).
        (BASE / "topology.json").write_text(
            json.dumps(
                {
                    "app_url": f"http://127.0.0.1:{APP_PORT}",
                    "database_url": db_url,
                    "redis_url": base_env["RF_REDIS_URL"],
                }
            )
        )
        subprocess.run([str(BIN / "resolutionflow"), "migrate"], env=base_env, cwd=ROOT, check=True)
        subprocess.run([str(BIN / "resolutionflow"), "demo-data"], env=base_env, cwd=ROOT, check=True)
        spawn("worker-1", [str(BIN / "resolutionflow"), "worker"], base_env)
        spawn("worker-2", [str(BIN / "resolutionflow"), "worker"], base_env)
        # The app runs no periodic jobs: procrastinate's periodic tasks run in the workers.
        app = spawn(
            "app",
            [
                str(BIN / "reflex"),
                "run",
                "--env",
                "prod",
                "--frontend-port",
                str(APP_PORT),
                "--backend-port",
                str(APP_PORT),
                "--loglevel",
                "warning",
            ],
            {**base_env, "RF_SCHEDULER_ENABLED": "false"},
        )
        print("Starting (the first start builds the frontend: a minute or two)…", flush=True)
        if not _wait_http(f"http://127.0.0.1:{APP_PORT}/api/v1/health", app, 600):
            print(f"The app did not come up; see {BASE / 'logs' / 'app.log'}.", file=sys.stderr)
            return 1
        password = subprocess.run(
            [
                str(BIN / "python"),
                "-c",
                "from resolutionflow_app.settings import get_settings; print(get_settings().demo_password)",
            ],
            env=base_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        print(
            f"""
  ResolutionFlow production topology is up:
    app        http://localhost:{APP_PORT}  (2 backend workers, Reflex state in Redis)   health: /api/v1/health
    database   PostgreSQL on 127.0.0.1:{pg_port} ({BASE / "pg"})
    redis      127.0.0.1:{redis_port}  (rate limits db 0, Reflex state db 1)
    workers    2 × `resolutionflow worker` (procrastinate queue; periodic jobs once per period between them)
    logs       {BASE / "logs"} (JSON lines)
  Log in as owner@example.com, author@example.com or engineer@example.com, password: {password}
  Ctrl+C stops everything.
""",
            flush=True,
        )
        deadline = time.time() + float(os.environ.get("RF_PROD_DEMO_SECONDS", "inf"))
        while time.time() < deadline and all(p.poll() is None for p in procs):
            time.sleep(1)
        dead = [p.args[0] for p in procs if p.poll() is not None]
        if dead:
            print(f"A process stopped ({', '.join(map(str, dead))}); see {BASE / 'logs'}.", file=sys.stderr)
            return 1
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        stop_postgres(BASE / "pg")


if __name__ == "__main__":
    raise SystemExit(main())
