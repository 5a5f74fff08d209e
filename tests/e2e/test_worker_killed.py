"""A worker killed (SIGKILL) in the middle of reading a dose report: with nothing more sent,
the report is read within 2 minutes — the workers' own sweep finds the task its dead worker
left RUNNING, and queues the reading again. Default timings (heartbeat, gone-after, sweep).

To catch the worker mid-reading every time, the test holds a lock on the dose report table
(SHARE: the listener records and queues as usual; the reader's insert waits). PostgreSQL has
table locks, SQLite does not: this runs in the PostgreSQL pass of the suite.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import psycopg
import pytest
import requests

from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events
from irflow.lib.workers import WORKER_GONE_PATH
from irflow.testing.service import running_service
from irflow.testing.tools import require_tool

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="catches the worker mid-reading with a PostgreSQL table lock: PostgreSQL pass",
    ),
]

READ_WITHIN_S = 120
UID = "2.25.4242001"


def plain(url: str) -> str:
    return url.split("?", 1)[0]


def one(conn, sql: str, *args):
    row = conn.execute(sql, args).fetchone()
    return row[0] if row else None


def wait_for(what: str, check, within: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < within:
        if check():
            return time.monotonic() - start
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {within} s")


def test_a_reading_cut_off_by_a_killed_worker_is_read_again_without_new_traffic(tmp_path):
    storescu = require_tool("storescu", "dcmtk")
    path = ProjectionRdsr(
        events=make_events(3, seed=42),
        sop_instance_uid=UID,
        patient_id="KILLED1",
        accession_number="",
        study_instance_uid=f"{UID}.1",
        mpps_uid=None,
    ).write(tmp_path / "report.dcm")
    with running_service(tmp_path / "data", "--no-demo") as service:
        url = plain(service.env["DATABASE_URL"])
        with psycopg.connect(url, autocommit=True) as look:
            wait_for(
                "a worker's heartbeat",
                lambda: requests.get(service.url + "/health", timeout=5).json()["worker"]["ok"],
                60,
            )
            holder = psycopg.connect(url)  # a transaction, held open
            try:
                holder.execute("LOCK TABLE dose_radiationdosereport IN SHARE MODE")
                sent = subprocess.run(
                    [storescu, "-aet", "ANGIO1", "-aec", "IRFLOW", "127.0.0.1",
                     str(service.ports["dicom"]), str(path)],
                    capture_output=True, text=True, timeout=60,
                    env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                )  # fmt: skip
                assert sent.returncode == 0, sent.stderr
                task = one(
                    look, "SELECT task_id FROM dose_receivedobject WHERE sop_instance_uid=%s", UID
                )
                assert task

                # The reader is on it, waiting for the report table: kill it now.
                def reading() -> bool:
                    waiting = one(
                        look,
                        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                        "WHERE NOT l.granted AND c.relname = 'dose_radiationdosereport'",
                    )
                    return bool(waiting)

                wait_for("the reader waiting on the report table", reading, 60)
                status, workers = look.execute(
                    "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE id=%s",
                    (task,),
                ).fetchone()
                assert status == "RUNNING"
                pid = one(
                    look, "SELECT pid FROM runtime_workerheartbeat WHERE worker_id=%s", workers[-1]
                )
                os.kill(pid, signal.SIGKILL)
                killed = time.monotonic()
            finally:
                holder.rollback()
                holder.close()

            # Nothing more is sent. The report is read within 2 minutes.
            def read() -> bool:
                received = one(
                    look, "SELECT status FROM dose_receivedobject WHERE sop_instance_uid=%s", UID
                )
                return received not in (None, "received")

            wait_for("the reading", read, READ_WITHIN_S - (time.monotonic() - killed))
            status, path_ = look.execute(
                "SELECT status, exception_class_path "
                "FROM django_tasks_database_dbtaskresult WHERE id=%s",
                (task,),
            ).fetchone()
            assert (status, path_) == ("FAILED", WORKER_GONE_PATH)
            assert one(look, "SELECT status FROM dose_receivedobject WHERE sop_instance_uid=%s",
                       UID) == "processed"  # fmt: skip
            assert (
                one(
                    look,
                    "SELECT count(*) FROM dose_radiationdosereport WHERE sop_instance_uid=%s",
                    UID,
                )
                == 1
            )
        log = service.log()
        assert "worker exited with -9; restarting" in log, log[-3000:]
        assert "left running by worker" in log, log[-3000:]
    print(json.dumps({"killed_then_read": True}))
