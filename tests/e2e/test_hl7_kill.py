"""The HL7 listener killed (SIGKILL) in the middle of a burst of 500 messages on one
connection, restarted, and sent what got no ACK again, as an interface engine does: every
message that got AA is stored and applied exactly once, and none is half-applied.

`irflow hl7` runs as a subprocess on a migrated data directory (SQLite) or its own
PostgreSQL database (the PostgreSQL pass).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from irflow.testing.mllp_sender import Ack, Sender, adt_a04
from irflow.testing.service import free_port, postgres_database

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BURST = 500
KILL_AFTER = 150  # ACKs received before the kill


def _env(data_dir: Path, db_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRFLOW_")}
    env.pop("DATABASE_URL", None)
    env.update(IRFLOW_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="irflow.settings")
    env["PYTHONUNBUFFERED"] = "1"
    if db_url:
        env["DATABASE_URL"] = db_url
    return env


class Database:
    """Read the listener's database from the test (SQLite file or PostgreSQL)."""

    def __init__(self, data_dir: Path, db_url: str | None) -> None:
        self.data_dir, self.db_url = data_dir, db_url

    def rows(self, sql: str) -> list[tuple]:
        if self.db_url:
            import psycopg

            with psycopg.connect(self.db_url.split("?", 1)[0]) as conn:
                return conn.execute(sql).fetchall()
        with sqlite3.connect(self.data_dir / "irflow.db") as conn:
            return conn.execute(sql).fetchall()


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    before = log.read_text().count("HL7 listener on") if log.exists() else 0
    process = subprocess.Popen(
        [sys.executable, "-m", "irflow", "hl7", "--port", str(port)],
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while log.read_text().count("HL7 listener on") == before:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"irflow hl7 did not start:\n{log.read_text()}")
        time.sleep(0.1)
    return process


def _mrn(i: int) -> str:
    return f"KILL{i:04d}"


def test_a_listener_killed_mid_burst_loses_nothing_and_applies_nothing_twice(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    log = tmp_path / "hl7.log"
    with postgres_database() as db_url:
        env = _env(data_dir, db_url)
        subprocess.run([sys.executable, "-m", "irflow", "migrate", "-v", "0"], env=env, check=True)
        port = free_port()
        messages = {f"K-{i}": adt_a04(_mrn(i), control_id=f"K-{i}") for i in range(BURST)}
        acked: dict[str, str] = {}
        process = _start(env, port, log)
        try:
            # The burst: one connection, sent without waiting for each ACK (a pipelining
            # engine); the listener is killed once KILL_AFTER ACKs are in.
            sender = Sender("127.0.0.1", port)
            sender.send_raw(b"".join(b"\x0b" + m + b"\x1c\r" for m in messages.values()))
            while True:
                answer = sender.read_ack()
                if not answer:
                    break
                got = Ack.read(answer)
                acked[got.control_id] = got.code
                if len(acked) == KILL_AFTER:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
            sender.close()
            assert KILL_AFTER <= len(acked) < BURST
            # Restarted; the engine resends everything that got no ACK, in order.
            process = _start(env, port, log)
            with Sender("127.0.0.1", port) as engine:
                for control_id, raw in messages.items():
                    if control_id not in acked:
                        got = Ack.read(engine.send(raw))
                        assert got.control_id == control_id
                        acked[control_id] = got.code
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
        assert set(acked) == set(messages) and set(acked.values()) == {"AA"}
        db = Database(data_dir, db_url)
        stored = db.rows(
            "SELECT control_id, count(*), min(status), max(ack_code) "
            "FROM hl7server_inboundmessage GROUP BY control_id"
        )
        by_id = {row[0]: row[1:] for row in stored}
        assert set(by_id) == set(messages)
        assert all(count == 1 and code == "AA" for count, _, code in by_id.values())
        check_patients_applied_once(db)


def check_patients_applied_once(db: Database) -> None:
    """Every MRN of the burst: exactly one patient, linked from its message."""
    rows = db.rows(
        "SELECT pi.value, count(DISTINCT pi.patient_id) FROM patients_patientidentifier pi "
        "WHERE pi.value LIKE 'KILL%' GROUP BY pi.value"
    )
    counts = dict(rows)
    assert set(counts) == {_mrn(i) for i in range(BURST)}
    assert set(counts.values()) == {1}
    linked = db.rows(
        "SELECT count(*) FROM hl7server_inboundmessage WHERE control_id LIKE 'K-%' "
        "AND patient_id IS NULL"
    )
    assert linked == [(0,)]
