"""Start the real `irflow up` in a subprocess on free loopback ports, for end-to-end tests.

On the PostgreSQL pass (DATABASE_URL set to postgres://…) the service gets a database of its
own, created here and dropped afterwards; otherwise SQLite in a temporary data directory.

The migrations are the same for every service a test run starts: they run once per test
process, into a database kept for the run, and each new service's database starts as a copy
of it (a copied file on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL). `irflow up`
still checks the migrations, collects the static files and creates the demo itself. A test of
what a new installation does on its very first start passes `first_run=True`: an empty
database, migrated by `irflow up`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Service:
    url: str
    process: subprocess.Popen
    data_dir: Path
    log_path: Path
    ports: dict[str, int]
    env: dict[str, str]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def irflow(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        """Run another `irflow` command against the same data directory and database."""
        return subprocess.run(
            [sys.executable, "-m", "irflow", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )


def _suite_postgres() -> str | None:
    """The suite's PostgreSQL server (DATABASE_URL without irflow-only options such as
    ?test_name=, which psycopg does not know), or None on the SQLite pass."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    return urlunsplit(urlsplit(url)._replace(query=""))


def _admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def _child_env(data_dir: Path, db_url: str | None) -> dict[str, str]:
    """The environment of an `irflow` child: none of this process's IRFLOW_ settings, its own
    data directory, and its own database (SQLite in the data directory when `db_url` is None)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRFLOW_")}
    env.update(
        IRFLOW_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
        IRFLOW_WEB_WORKERS="1",
        DJANGO_SETTINGS_MODULE="irflow.settings",
    )
    env.pop("DATABASE_URL", None)
    if db_url:
        env["DATABASE_URL"] = db_url
    return env


def _migrate(data_dir: Path, db_url: str | None) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "irflow", "migrate", "--verbosity", "0"],
        env=_child_env(data_dir, db_url),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"irflow migrate exited with {done.returncode}:\n{done.stderr}")


# What this process made for its services to copy: the folders, the PostgreSQL database's
# name, and (once migrated) the SQLite file and the PostgreSQL template's name.
_MIGRATED: dict[str, Path | str] = {}


def _migrated_sqlite() -> Path:
    """A SQLite database with every migration applied, made once per process."""
    if "sqlite" not in _MIGRATED:
        folder = Path(tempfile.mkdtemp(prefix="irflow-migrated-"))
        _MIGRATED["sqlite-folder"] = folder
        atexit.register(migrated_drop)
        _migrate(folder, None)
        _MIGRATED["sqlite"] = folder / "irflow.db"
    path = _MIGRATED["sqlite"]
    assert isinstance(path, Path)
    return path


def _migrated_postgres(server: str) -> str:
    """The name of a PostgreSQL database with every migration applied, made once per process;
    new databases are made from it as from a template."""
    if "postgres" not in _MIGRATED:
        import psycopg

        name = f"irflow_e2e_migrated_{uuid.uuid4().hex[:10]}"
        folder = Path(tempfile.mkdtemp(prefix="irflow-migrated-"))
        _MIGRATED["postgres-folder"] = folder
        atexit.register(migrated_drop)
        with psycopg.connect(_admin_url(server), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        _MIGRATED["postgres-made"] = name
        _migrate(folder, _database_url(server, name))
        _MIGRATED["postgres"] = name
    template = _MIGRATED["postgres"]
    assert isinstance(template, str)
    return template


def migrated_drop() -> None:
    """Remove what `_migrated_sqlite` and `_migrated_postgres` made in this process (at the
    end of a test session, and at exit)."""
    made = dict(_MIGRATED)
    _MIGRATED.clear()
    for key in ("sqlite-folder", "postgres-folder"):
        if isinstance(folder := made.get(key), Path):
            shutil.rmtree(folder, ignore_errors=True)
    server = _suite_postgres()
    if server is not None and isinstance(name := made.get("postgres-made"), str):
        _drop(server, name)


def _database_url(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def _drop(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def postgres_database(*, migrated: bool = False) -> Iterator[str | None]:
    """A new PostgreSQL database URL when the suite runs on PostgreSQL, else None: empty, or
    with every migration applied when `migrated`."""
    server = _suite_postgres()
    if server is None:
        yield None
        return
    import psycopg

    template = f' TEMPLATE "{_migrated_postgres(server)}"' if migrated else ""
    name = f"irflow_e2e_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_url(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{template}')
    try:
        yield _database_url(server, name)
    finally:
        _drop(server, name)


@contextlib.contextmanager
def running_service(
    data_dir: Path,
    *args: str,
    demo_patients: int = 30,
    # A ceiling, not a measure: migrating, collecting static files and creating the demo take
    # well under a minute alone, several on a machine shared with other test runs.
    timeout: float = 300,
    env: dict | None = None,
    first_run: bool = False,
) -> Iterator[Service]:
    """`irflow up` on free ports; yields once /health answers; stops it with SIGINT.

    The database is a new one, migrated already (see above), unless `first_run` (empty) or
    `env` names its own DATABASE_URL; on SQLite, a database already in `data_dir` is kept."""
    port, dicom_port, hl7_port = free_port(), free_port(), free_port()
    own_database = "DATABASE_URL" in (env or {})
    migrated = not first_run and not own_database
    with postgres_database(migrated=migrated) as db_url:
        child_env = _child_env(data_dir, db_url)
        child_env.update(env or {})
        log_path = data_dir / "irflow-up.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        sqlite_file = data_dir / "irflow.db"
        if migrated and db_url is None and not sqlite_file.exists():
            shutil.copyfile(_migrated_sqlite(), sqlite_file)
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "irflow",
                    "up",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--dicom-port",
                    str(dicom_port),
                    "--hl7-port",
                    str(hl7_port),
                    "--demo-patients",
                    str(demo_patients),
                    *args,
                ],
                env=child_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        service = Service(
            url=f"http://127.0.0.1:{port}",
            process=process,
            data_dir=data_dir,
            log_path=log_path,
            ports={"web": port, "dicom": dicom_port, "hl7": hl7_port},
            env=child_env,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"irflow up exited with {process.returncode}:\n{service.log()}"
                    )
                try:
                    with urllib.request.urlopen(service.url + "/health", timeout=2):  # noqa: S310
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"irflow up did not answer:\n{service.log()}") from None
                    time.sleep(0.3)
            yield service
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
