"""Start a throwaway PostgreSQL cluster on 127.0.0.1 for the test run (initdb + pg_ctl)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    """A running cluster; `url` points at an empty database."""

    data_dir: str
    port: int
    url: str
    _as_postgres: bool

    def _run(self, args: list[str]) -> None:
        _run(args, self._as_postgres)

    def stop(self) -> None:
        """Stop the server and delete its files."""
        self._run(["pg_ctl", "-D", self.data_dir, "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _run(args: list[str], as_postgres: bool) -> None:
    if as_postgres:
        args = ["runuser", "-u", "postgres", "--", *args]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def start_cluster(dbname: str = "resolutionflow_test") -> Cluster:
    """initdb into a temp dir, start on a free loopback port, create `dbname`.

    As root the cluster runs as the `postgres` user (PostgreSQL refuses to run as root).
    """
    as_postgres = os.geteuid() == 0
    data_dir = tempfile.mkdtemp(prefix="rf-pg-")
    if as_postgres:
        pw = pwd.getpwnam("postgres")
        os.chown(data_dir, pw.pw_uid, pw.pw_gid)
    port = _free_port()
    _run(["initdb", "-D", data_dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], as_postgres)
    opts = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {data_dir} -c fsync=off -c synchronous_commit=off -c "
        "full_page_writes=off -c max_connections=200"
    )
    _run(["pg_ctl", "-D", data_dir, "-l", os.path.join(data_dir, "log"), "-o", opts, "-w", "start"], as_postgres)
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{dbname}"
    return Cluster(data_dir, port, url, as_postgres)
