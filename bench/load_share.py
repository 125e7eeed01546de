"""Public share-link load: `GET /api/v1/shares/by-token/{token}` vs `GET /api/v1/health`, same server, same run.

Starts the API (`create_api()` under one uvicorn process on 127.0.0.1, as tests/live_api.py does) on a
throwaway SQLite database (`--postgres`: a throwaway PostgreSQL cluster, tests.pg_cluster), creates an
account, a published flow, a session and a public share link through the API, then drives each
endpoint with N concurrent clients (one httpx.AsyncClient, i.e. one keep-alive connection, each) for
a fixed time: health first, then the share link.

Prints requests/s, p50/p99 latency and the error count of both, the ratio share/health and the
goals (share >= 0.3 x health, share p99 < 100 ms, no errors). No asserts: exit status 0 whatever
the figures (non-zero only when the bench itself cannot run).

Every lookup comes from 127.0.0.1, so the per-IP share limit (RF_SHARE_LOOKUP_RATE_LIMIT, default
120/minute) is raised to 1000000000/minute for the server: the bench measures throughput, not the
limiter. The load generator and the server share this machine's cores.

    .venv/bin/python bench/load_share.py [--duration 30] [--clients 64] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.live_api import free_port  # noqa: E402

SHARE_LIMIT = "1000000000/minute"
PASSWORD = "bench-password-123"
TREE = {
    "start_node_id": "q_power",
    "nodes": [
        {
            "id": "q_power",
            "type": "decision",
            "title": "Is the AP powered?",
            "description": "Check the LED on the access point.",
            "options": [{"label": "Yes", "next": "a_reboot"}, {"label": "No", "next": "s_power"}],
        },
        {
            "id": "a_reboot",
            "type": "action",
            "title": "Reboot the AP",
            "description": "Hold reset 5 s",
            "commands": [{"language": "bash", "code": "ssh ap1 reboot", "label": "Reboot"}],
            "next": "s_done",
        },
        {"id": "s_power", "type": "solution", "title": "Restore PoE power"},
        {"id": "s_done", "type": "solution", "title": "AP back online"},
    ],
}


@dataclass
class Result:
    """What one endpoint did under load."""

    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: dict[str, int] = field(default_factory=dict)
    server_cpu: float = 0.0

    def error(self, what: str) -> None:
        self.errors += 1
        self.error_samples[what] = self.error_samples.get(what, 0) + 1

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        if len(self.latencies) < 2:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(q) - 1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), 0 when unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class Server:
    """The API in its own uvicorn process; stderr goes to a file in the bench's temp dir."""

    def __init__(self, database_url: str, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/v1"
        self.log = workdir / "api.log"
        self.env = {
            **os.environ,
            "RF_DATABASE_URL": database_url,
            "RF_SECRET_KEY": os.environ.get("RF_SECRET_KEY") or secrets.token_urlsafe(32),
            "RF_WORKER_MODE": "external",
            "RF_SCHEDULER_ENABLED": "false",
            "RF_AUTH_RATE_LIMIT": "1000/minute",
            "RF_SHARE_LOOKUP_RATE_LIMIT": SHARE_LIMIT,
            "RF_REDIS_URL": "",
            "RF_LOG_LEVEL": "WARNING",
        }
        self.proc: subprocess.Popen | None = None

    def migrate(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "resolutionflow_app.cli", "migrate"],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self) -> None:
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "resolutionflow_app.api.app:create_api",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"API process exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("API process did not answer within 60 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _ok(resp: httpx.Response, code: int) -> dict:
    if resp.status_code != code:
        raise RuntimeError(f"{resp.request.method} {resp.request.url.path}: {resp.status_code} {resp.text[:300]}")
    return resp.json() if resp.content else {}


def create_share(base_url: str) -> str:
    """Owner account -> published flow -> session walked to a solution -> public link; returns the raw token."""
    with httpx.Client(base_url=base_url, timeout=30) as c:
        reg = _ok(
            c.post(
                "/auth/register",
                json={
                    "email": "bench-owner@example.com",
                    "password": PASSWORD,
                    "name": "Bench Owner",
                    "account_name": "Bench",
                },
            ),
            201,
        )
        c.headers["Authorization"] = f"Bearer {reg['access_token']}"
        tree = _ok(
            c.post("/trees", json={"name": "Wi-Fi AP offline", "tree_type": "troubleshooting", "tree_structure": TREE}),
            201,
        )
        _ok(c.put(f"/trees/{tree['id']}", json={"status": "published"}), 200)
        sess = _ok(c.post("/sessions", json={"tree_id": tree["id"]}), 201)
        _ok(
            c.post(
                f"/sessions/{sess['id']}/advance", json={"node_id": "q_power", "answer": "Yes", "notes": "LED is green"}
            ),
            200,
        )
        _ok(c.post(f"/sessions/{sess['id']}/advance", json={"node_id": "a_reboot", "notes": "Rebooted via SSH"}), 200)
        _ok(
            c.post(
                f"/sessions/{sess['id']}/complete",
                json={"outcome": "resolved", "summary": "AP rebooted; clients reconnected."},
            ),
            200,
        )
        share = _ok(
            c.post(f"/sessions/{sess['id']}/shares", json={"visibility": "public", "share_name": "Bench link"}), 201
        )
    return share["share_token"]


async def drive(name: str, url: str, *, clients: int, seconds: float, server: Server) -> Result:
    """`clients` loops, each on its own connection, GET `url` back to back until the time is up."""
    result = Result(name)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    pool = [httpx.AsyncClient(timeout=30, limits=limits) for _ in range(clients)]
    try:
        # Warm-up: open every connection once (not counted).
        await asyncio.gather(*(c.get(url) for c in pool), return_exceptions=True)
        started = time.perf_counter()
        deadline = started + seconds
        cpu0 = cpu_seconds(server.proc.pid)

        async def one(client: httpx.AsyncClient) -> None:
            while True:
                t0 = time.perf_counter()
                if t0 >= deadline:
                    return
                try:
                    resp = await client.get(url)
                    await resp.aread()
                    if resp.status_code != 200:
                        result.error(f"HTTP {resp.status_code} {resp.text[:120]}")
                        continue
                except httpx.HTTPError as exc:
                    result.error(f"{type(exc).__name__}: {exc}"[:160])
                    continue
                result.latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(one(c) for c in pool))
        result.seconds = time.perf_counter() - started
        result.server_cpu = cpu_seconds(server.proc.pid) - cpu0
    finally:
        await asyncio.gather(*(c.aclose() for c in pool), return_exceptions=True)
    return result


def report(r: Result) -> None:
    print(
        f"  {r.name:<7} {r.rps:9.1f} req/s   p50 {r.pct(50) * 1000:7.1f} ms   p99 {r.pct(99) * 1000:7.1f} ms   "
        f"errors {r.errors:>5}   ({len(r.latencies)} ok in {r.seconds:.1f} s; API process CPU "
        f"{r.server_cpu / r.seconds * 100 if r.seconds else 0:.0f}%)"
    )
    for what, n in sorted(r.error_samples.items(), key=lambda kv: -kv[1])[:5]:
        print(f"          {n} x {what}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per endpoint (default 30)")
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients (default 64)")
    parser.add_argument(
        "--postgres", action="store_true", help="run the API on a throwaway PostgreSQL cluster instead of SQLite"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="rf-bench-share-"))
    cluster = None
    server = None
    try:
        if args.postgres:
            from tests.pg_cluster import start_cluster

            cluster = start_cluster("rf_bench_share")
            database_url = cluster.url
        else:
            database_url = f"sqlite:///{workdir / 'bench.db'}"
        server = Server(database_url, workdir)
        server.migrate()
        server.start()
        token = create_share(server.url)
        share_url = f"{server.url}/shares/by-token/{token}"
        body = httpx.get(share_url, timeout=10).json()
        backend = httpx.get(f"{server.url}/health", timeout=10).json().get("database_backend")
        print(
            f"share-link load: {args.clients} concurrent clients x {args.duration:.0f} s per endpoint, one uvicorn "
            f"process, {backend}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start"
        )
        print(
            f"  RF_SHARE_LOOKUP_RATE_LIMIT={SHARE_LIMIT} for this bench (default 120/minute per client IP): every "
            "client is 127.0.0.1,"
        )
        print(
            "  so the limit is raised to measure throughput; each lookup still writes a view row and bumps view_count."
        )
        print(
            f"  share answer: {len(httpx.get(share_url, timeout=10).content)} bytes, session with "
            f"{len(body['session'].get('history', []))} history entries"
        )
        health = asyncio.run(
            drive("health", f"{server.url}/health", clients=args.clients, seconds=args.duration, server=server)
        )
        share = asyncio.run(drive("share", share_url, clients=args.clients, seconds=args.duration, server=server))
        print("results:")
        report(health)
        report(share)
        ratio = share.rps / health.rps if health.rps else float("nan")
        p99_ms = share.pct(99) * 1000
        print(f"  ratio share/health throughput {ratio:6.3f}   (goal >= 0.3: {'met' if ratio >= 0.3 else 'NOT met'})")
        print(f"  share p99 {p99_ms:.1f} ms                  (goal < 100 ms: {'met' if p99_ms < 100 else 'NOT met'})")
        errors = share.errors + health.errors
        print(f"  errors {errors}                          (goal 0: {'met' if errors == 0 else 'NOT met'})")
        if errors:
            tail = server.log_tail()
            if tail:
                print("  API log tail:\n    " + tail.replace("\n", "\n    "))
        return 0
    finally:
        if server is not None:
            server.stop()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
