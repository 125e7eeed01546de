"""`scripts/prod_demo.py` (PostgreSQL, Redis, 2 app + 2 automation workers) started for a test pass, in a temp dir."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


@dataclass(frozen=True)
class Topology:
    """Where the running topology answers, and what a test process needs to share its database."""

    url: str
    database_url: str
    secret_key: str
    base: Path  # RF_PROD_DEMO_DIR: its logs/ and data
    proc: subprocess.Popen  # scripts/prod_demo.py (a test may stop it itself)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def production_topology(log_name: str, **env: str) -> Iterator[Topology]:
    """Start `make prod-demo`'s topology on a free port with `env` added; stop it (process group) afterwards."""
    port = _free_port()
    base = Path(tempfile.mkdtemp(prefix="rf-prod-topology-"))
    full_env = {**os.environ, "RF_PROD_DEMO_PORT": str(port), "RF_PROD_DEMO_DIR": str(base), **env}
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / log_name, "w+")  # noqa: SIM115 - read back on failure
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "prod_demo.py")],
        cwd=ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 600
        while True:
            log.seek(0)
            if "topology is up" in log.read():
                break
            if proc.poll() is not None or time.time() > deadline:
                log.seek(0)
                raise RuntimeError(f"prod-demo did not come up:\n{log.read()[-3000:]}")
            time.sleep(2)
        urls = json.loads((base / "topology.json").read_text())
        yield Topology(
            url=f"http://127.0.0.1:{port}",
            database_url=urls["database_url"],
            secret_key=(base / "secret_key").read_text().strip(),
            base=base,
            proc=proc,
        )
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
