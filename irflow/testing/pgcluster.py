"""A private PostgreSQL cluster for a test that must stop and start PostgreSQL (never the
suite's shared one): initdb in a temporary folder, on a free loopback port, run as the
`postgres` user when we are root (as scripts/pg.sh does)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from irflow.testing.service import free_port

MSG_NO_POSTGRES = "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"


def pg_bin() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(Path(candidate) / "initdb", os.X_OK):
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class Cluster:
    bin: Path
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://irflow:irflow@127.0.0.1:{self.port}/irflow"

    def _run(self, *argv: str, timeout: float = 120) -> None:
        subprocess.run(
            _as_owner([str(self.bin / argv[0]), *argv[1:]]),
            check=True,
            capture_output=True,
            timeout=timeout,
        )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder), "-l", str(self.folder / "server.log"), "-w",
                  "start")  # fmt: skip

    def stop(self) -> None:
        """`pg_ctl stop -m fast`: sessions are cut off at once, as in the reported outage."""
        self._run("pg_ctl", "-D", str(self.folder), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.folder / "postmaster.pid").exists()

    def psql(self, sql: str) -> None:
        subprocess.run(
            [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-qc", sql],
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip


@contextlib.contextmanager
def private_cluster() -> Iterator[Cluster]:
    """A running cluster with a database `irflow` owned by `irflow`/`irflow`; removed after."""
    binaries = pg_bin()
    if binaries is None:
        raise FileNotFoundError(MSG_NO_POSTGRES)
    folder = Path(tempfile.mkdtemp(prefix="irflow-private-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(bin=binaries, folder=folder, port=free_port())
    try:
        cluster._run("initdb", "-D", str(folder), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--locale=C.UTF-8")  # fmt: skip
        with (folder / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {cluster.port}\n"
                f"unix_socket_directories = '{folder}'\nmax_connections = 100\n"
                # A clean stop writes everything out (the test's outage is `-m fast`); fsync
                # off only saves a loaded machine's disk.
                "fsync = off\n"
            )
        cluster.start()
        cluster.psql("CREATE ROLE irflow LOGIN SUPERUSER PASSWORD 'irflow'")
        cluster.psql("CREATE DATABASE irflow OWNER irflow")
        yield cluster
    finally:
        if cluster.running():
            with contextlib.suppress(subprocess.SubprocessError):
                cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
