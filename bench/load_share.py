"""Public share-link load: `GET /api/v1/shares/by-token/{token}` vs `GET /api/v1/health`, same server, same run.

Starts the API (`create_api()`) on 127.0.0.1 on a throwaway SQLite database (`--postgres`: a throwaway PostgreSQL
cluster, tests.pg_cluster), creates an account, a published flow, a session and a public share link through the
API, then, for each server set-up in `--servers`, drives each endpoint with N concurrent closed-loop clients (one
keep-alive connection each) for a fixed time: health first, then the share link. Server set-ups:
`uvicorn:1` is one uvicorn process as tests/live_api.py runs it (uvicorn's pure-Python h11 parser: httptools is
not installed); `granian:N` is granian with N worker processes, the server Reflex runs in production
(`reflex run --env prod`, GRANIAN_WORKERS=2 in scripts/prod_demo.py).

Prints, per set-up, requests/s, p50/p99 latency and the error count of both endpoints, the server's and the load
generator's CPU, the ratio share/health and the goals (share >= 0.3 x health, share p99 < 100 ms, no errors). No
asserts: exit status 0 whatever the figures (non-zero only when the bench itself cannot run).

The client (`--client raw`, the default) is a minimal HTTP/1.1 GET over asyncio streams in this process: a few tens
of microseconds of CPU per request, where `--client httpx` (httpx.AsyncClient, what the first version used) costs
several hundred, which on a 2-core machine is taken from the server. The client in use is printed.

Every lookup comes from 127.0.0.1, so the per-IP share limit (RF_SHARE_LOOKUP_RATE_LIMIT, default
120/minute) is raised to 1000000000/minute for the server: the bench measures throughput, not the
limiter. The load generator and the server share this machine's cores.

    .venv/bin/python bench/load_share.py [--duration 30] [--clients 64] [--servers uvicorn:1,granian:1,granian:2]
                                         [--client raw|httpx] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from proc_cpu import tree_cpu_seconds  # noqa: E402  (bench/, this script's folder)

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
    client_cpu: float = 0.0

    def error(self, what: str) -> None:
        self.errors += 1
        self.error_samples[what] = self.error_samples.get(what, 0) + 1

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def server_ms_per_request(self) -> float:
        return self.server_cpu / len(self.latencies) * 1000 if self.latencies else float("nan")

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        if len(self.latencies) < 2:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(q) - 1]


class Server:
    """The API in its own uvicorn process; stderr goes to a file in the bench's temp dir."""

    def __init__(self, database_url: str, workdir: Path, kind: str = "uvicorn", workers: int = 1) -> None:
        self.kind, self.workers = kind, workers
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
            # This checkout's app in every server process, granian's spawned workers included.
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
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

    @property
    def label(self) -> str:
        return f"{self.kind} x{self.workers}"

    def command(self) -> list[str]:
        target = "resolutionflow_app.api.app:create_api"
        address = ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        if self.kind == "granian":
            return [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "asgi",
                "--factory",
                target,
                *address,
                "--log-level",
                "warning",
            ]
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            target,
            *address,
            "--log-level",
            "warning",
            "--no-access-log",
        ]

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                self.command(),
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


class RawConnection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: a GET, the status line, a Content-Length body.

    Enough for these two endpoints (JSON answers always carry Content-Length); anything else is an error.
    """

    name = "raw asyncio HTTP/1.1 (keep-alive)"

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUser-Agent: rf-bench\r\n\r\n".encode()
        )
        try:
            head = (await self.reader.readuntil(b"\r\n\r\n")).lower()
            status = int(head[9:12])
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                raise ValueError("answer without Content-Length")
            length = int(head[at + 17 : head.index(b"\r\n", at + 2)])
            body = await self.reader.readexactly(length)
        except BaseException:
            await self.aclose()
            raise
        if b"\r\nconnection: close" in head:
            await self.aclose()
        return status, body

    async def aclose(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class HttpxConnection:
    """httpx.AsyncClient limited to one keep-alive connection (the first version of this bench)."""

    name = "httpx.AsyncClient (one keep-alive connection each)"

    def __init__(self, host: str, port: int) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self.client = httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=30, limits=limits)

    async def get(self, path: str) -> tuple[int, bytes]:
        resp = await self.client.get(path)
        return resp.status_code, await resp.aread()

    async def aclose(self) -> None:
        await self.client.aclose()


CLIENTS = {"raw": RawConnection, "httpx": HttpxConnection}
CLIENT_ERRORS = (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, httpx.HTTPError)


async def drive(name: str, path: str, *, clients: int, seconds: float, server: Server, client: str) -> Result:
    """`clients` loops, each on its own connection, GET `path` back to back until the time is up."""
    result = Result(name)
    pool = [CLIENTS[client]("127.0.0.1", server.port) for _ in range(clients)]
    counting = False

    async def one(conn: RawConnection | HttpxConnection, deadline: float) -> None:
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline:
                return
            try:
                status, body = await conn.get(path)
            except CLIENT_ERRORS as exc:
                if counting:
                    result.error(f"{type(exc).__name__}: {exc}"[:160])
                continue
            if not counting:
                continue
            if status != 200:
                result.error(f"HTTP {status} {body[:120].decode(errors='replace')}")
                continue
            result.latencies.append(time.perf_counter() - t0)

    try:
        # Warm-up, not counted: every connection opened, and every server worker past its first requests.
        await asyncio.gather(*(one(c, time.perf_counter() + 1.0) for c in pool))
        counting = True
        started = time.perf_counter()
        cpu0, client0 = tree_cpu_seconds(server.proc.pid), time.process_time()
        await asyncio.gather(*(one(c, started + seconds) for c in pool))
        result.seconds = time.perf_counter() - started
        result.server_cpu = tree_cpu_seconds(server.proc.pid) - cpu0
        result.client_cpu = time.process_time() - client0
    finally:
        await asyncio.gather(*(c.aclose() for c in pool), return_exceptions=True)
    return result


def report(r: Result) -> None:
    print(
        f"    {r.name:<7} {r.rps:8.1f} req/s   p50 {r.pct(50) * 1000:7.1f} ms   p99 {r.pct(99) * 1000:7.1f} ms   "
        f"errors {r.errors:>4}   server CPU {r.server_cpu / r.seconds * 100 if r.seconds else 0:4.0f}% "
        f"({r.server_ms_per_request:.2f} ms/request)   load generator CPU "
        f"{r.client_cpu / r.seconds * 100 if r.seconds else 0:3.0f}%"
    )
    for what, n in sorted(r.error_samples.items(), key=lambda kv: -kv[1])[:5]:
        print(f"          {n} x {what}")


def parse_servers(spec: str) -> list[tuple[str, int]]:
    """ "uvicorn:1,granian:2" -> [("uvicorn", 1), ("granian", 2)]."""
    servers = []
    for item in spec.split(","):
        kind, _, workers = item.strip().partition(":")
        if kind not in ("uvicorn", "granian") or not (workers or "1").isdigit():
            raise SystemExit(f"bad --servers item {item!r}: use uvicorn:N or granian:N")
        servers.append((kind, int(workers or "1")))
    return servers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per endpoint (default 30)")
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients (default 64)")
    parser.add_argument(
        "--servers",
        default="uvicorn:1,granian:1,granian:2",
        help="server set-ups, run one after the other (default uvicorn:1,granian:1,granian:2)",
    )
    parser.add_argument("--client", choices=sorted(CLIENTS), default="raw", help="load generator (default raw)")
    parser.add_argument(
        "--postgres", action="store_true", help="run the API on a throwaway PostgreSQL cluster instead of SQLite"
    )
    args = parser.parse_args()
    setups = parse_servers(args.servers)

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
        token = ""
        outcomes: list[tuple[str, Result, Result]] = []
        for n, (kind, workers) in enumerate(setups):
            server = Server(database_url, workdir, kind, workers)
            if n == 0:
                server.migrate()
            server.start()
            share_path = f"/api/v1/shares/by-token/{token}"
            if n == 0:
                token = create_share(server.url)
                share_path = f"/api/v1/shares/by-token/{token}"
                answer = httpx.get(f"{server.url}/shares/by-token/{token}", timeout=10)
                body = answer.json()
                backend = httpx.get(f"{server.url}/health", timeout=10).json().get("database_backend")
                print(
                    f"share-link load: {args.clients} concurrent closed-loop clients x {args.duration:.0f} s per "
                    f"endpoint, {backend}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start"
                )
                print(f"  client: {CLIENTS[args.client].name}, all {args.clients} connections in this one process")
                print(
                    f"  RF_SHARE_LOOKUP_RATE_LIMIT={SHARE_LIMIT} for this bench (default 120/minute per client IP): "
                    "every client is 127.0.0.1,"
                )
                print(
                    "  so the limit is raised to measure throughput; each lookup still writes a view row and bumps "
                    "view_count."
                )
                print(
                    f"  share answer: {len(answer.content)} bytes, session with "
                    f"{len(body['session'].get('history', []))} history entries"
                )
            print(f"  {server.label}:", flush=True)
            health = asyncio.run(
                drive(
                    "health",
                    "/api/v1/health",
                    clients=args.clients,
                    seconds=args.duration,
                    server=server,
                    client=args.client,
                )
            )
            report(health)
            share = asyncio.run(
                drive(
                    "share", share_path, clients=args.clients, seconds=args.duration, server=server, client=args.client
                )
            )
            report(share)
            ratio = share.rps / health.rps if health.rps else float("nan")
            print(f"    ratio share/health {ratio:.3f}", flush=True)
            if health.errors or share.errors:
                tail = server.log_tail()
                if tail:
                    print("    API log tail:\n      " + tail.replace("\n", "\n      "))
            outcomes.append((server.label, health, share))
            server.stop()
            server = None
        summarize(outcomes, args.clients)
        return 0
    finally:
        if server is not None:
            server.stop()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def summarize(outcomes: list[tuple[str, Result, Result]], clients: int) -> None:
    """The goals per server set-up, and what the share p99 goal asks of the machine."""
    print("goals (share >= 0.3 x health throughput, share p99 < 100 ms, no errors):")
    for label, health, share in outcomes:
        ratio = share.rps / health.rps if health.rps else float("nan")
        p99 = share.pct(99) * 1000
        errors = health.errors + share.errors
        print(
            f"  {label:<11} ratio {ratio:5.2f} {'met' if ratio >= 0.3 else 'NOT met':>7}   share p99 {p99:7.1f} ms "
            f"{'met' if p99 < 100 else 'NOT met':>7}   errors {errors} {'met' if errors == 0 else 'NOT met'}"
        )
    # Little's law for a closed loop: mean latency = clients / throughput, and p99 >= the mean.
    needed = clients / 0.1
    best = min((share.server_ms_per_request for _, _, share in outcomes), default=float("nan"))
    cores = os.cpu_count() or 1
    print(
        f"  p99 < 100 ms with {clients} closed-loop clients needs more than {needed:.0f} share views/s (Little's law: "
        f"mean latency = clients / throughput, and p99 >= mean). A share view cost the server {best:.2f} ms of CPU "
        f"at best here, so {cores} cores give at most {cores * 1000 / best:.0f}/s even with no load generator and "
        "nothing else on the machine."
    )


if __name__ == "__main__":
    raise SystemExit(main())
