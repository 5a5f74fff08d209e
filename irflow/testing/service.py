"""Start the real `irflow up` in a subprocess on free loopback ports, for end-to-end tests.

On the PostgreSQL pass (DATABASE_URL set to postgres://…) the service gets a database of its
own, created here and dropped afterwards; otherwise SQLite in a temporary data directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
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


@contextlib.contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database URL when the suite runs on PostgreSQL, else None."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield None
        return
    import psycopg

    name = f"irflow_e2e_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(url)
    # Drop irflow-only options such as ?test_name= that psycopg does not know.
    parts = parts._replace(query="")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def running_service(
    data_dir: Path,
    *args: str,
    demo_patients: int = 30,
    # A ceiling, not a measure: migrating, collecting static files and creating the demo take
    # well under a minute alone, several on a machine shared with other test runs.
    timeout: float = 300,
    env: dict | None = None,
) -> Iterator[Service]:
    """`irflow up` on free ports; yields once /health answers; stops it with SIGINT."""
    port, dicom_port, hl7_port = free_port(), free_port(), free_port()
    with postgres_database() as db_url:
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("IRFLOW_")}
        child_env.update(
            IRFLOW_DATA_DIR=str(data_dir),
            PYTHONUNBUFFERED="1",
            IRFLOW_WEB_WORKERS="1",
            DJANGO_SETTINGS_MODULE="irflow.settings",
        )
        child_env.pop("DATABASE_URL", None)
        if db_url:
            child_env["DATABASE_URL"] = db_url
        child_env.update(env or {})
        log_path = data_dir / "irflow-up.log"
        data_dir.mkdir(parents=True, exist_ok=True)
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
