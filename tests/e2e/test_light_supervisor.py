"""`irflow up`'s supervisor, the process that stays for as long as irflow runs, is plain
Python: Django loads only in its children (the short-lived start-up step, web, worker,
listener). Checked over its whole life: start, announcement, supervision, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from irflow.testing.service import free_port, postgres_database

pytestmark = [pytest.mark.e2e]

NO_LISTENERS = ("--no-demo", "--no-dicom", "--no-hl7")

# Runs `irflow up` exactly as the `irflow` command does, and says on the way out which Django
# modules the process ever imported.
DRIVER = """
import atexit, sys
def report():
    django = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
    print("django modules in the supervisor:", len(django), django[:5], flush=True)
atexit.register(report)
from irflow.cli import main
main(["up", *sys.argv[1:]])
"""


def test_the_supervisor_never_imports_django(tmp_path):
    port = free_port()
    with postgres_database() as db_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("IRFLOW_")}
        env.pop("DATABASE_URL", None)
        env.update(IRFLOW_DATA_DIR=str(tmp_path), IRFLOW_WEB_WORKERS="1", PYTHONUNBUFFERED="1")
        if db_url:
            env["DATABASE_URL"] = db_url
        log_path = tmp_path / "up.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", DRIVER, *NO_LISTENERS, "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 300  # a ceiling: migrating a new database included
            while "irflow is running at" not in log_path.read_text():
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.3)
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=60) == 0
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    out = log_path.read_text()
    assert "irflow: started web" in out and "irflow: stopped" in out, out
    assert "django modules in the supervisor: 0 []" in out, out
