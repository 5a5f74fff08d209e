"""Scale-out on one PostgreSQL: two `irflow web`, two `irflow worker` and two `irflow dicom`
processes, as on two machines (docs/operations.md, "Scale-out"), spoken to on loopback.

- background tasks enqueued through either web run exactly once, with both workers polling;
- the worklist answers the same from both DICOM listeners (dcmtk's findscu);
- an MPPS step created through one listener and completed through the other stays one step,
  and is final for both;
- the same N-CREATE sent to both listeners at once is accepted by one and refused (0x0111,
  duplicate SOP instance) by the other, leaving one step.

SQLite is one machine's file: there the test is skipped.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import requests
from django.utils import timezone
from pydicom import dcmread
from pydicom.uid import generate_uid
from pynetdicom import AE
from pynetdicom.sop_class import ModalityPerformedProcedureStep  # type: ignore[attr-defined]

from irflow.dicomserver.simulator import _step, mpps_final, mpps_in_progress
from irflow.testing.service import free_port, postgres_database
from irflow.testing.tools import require_tool

pytestmark = [pytest.mark.e2e]

STATION = "ANGIO1"
ADDENDA = 24
# Ceilings, not measures: six processes start on a machine shared with other test runs.
START_TIMEOUT_S = 120
TASKS_TIMEOUT_S = 60

SETUP = """
import json
from datetime import datetime, time
from django.utils import timezone
from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.catalogue.models import Room
from irflow.patients.services import patient_create
from irflow.reports import services as reports
from irflow.testing.cases import booked, completed, past_weekday_at
from irflow.testing.fixtures import make_booking, make_order, make_user

doctor = make_user("scale-physician", "physician")
make_user("scale-nurse", "nurse")  # the team present at the checklists
make_user("scale-technologist", "technologist")
room = Room.objects.create(code="ANGIO1", name="Angio suite 1", kind="angio", modality="XA",
                           station_ae_title="ANGIO1")

def patient(n):
    return patient_create(actor=doctor, mrn=f"SCALE{n:04d}", family_name=f"Scale{n}",
                          given_name="Test", birth_date="1950-01-01", sex="F")

# A final report: its addenda, signed through the API, each queue a background task.
done = completed(doctor, booked(doctor, patient(0), room, start=past_weekday_at(9)))
report = reports.report_start(actor=doctor, procedure_id=done.pk)
reports.report_update(actor=doctor, report_id=report.pk,
                      fields={"retrievable": "yes", "filter_position": "Infrarenal"},
                      sections={"impression": "Retrievable infrarenal IVC filter placed."})
reports.report_sign(actor=doctor, report_id=report.pk)
# Today's worklist at ANGIO1: three steps.
bookings = []
for n, hour in ((1, 19), (2, 20), (3, 21)):
    order = make_order(doctor, patient(n), "PICC", priority="emergent")
    start = datetime.combine(timezone.localdate(), time(hour), timezone.get_current_timezone())
    bookings.append(make_booking(doctor, order, room, start, primary_operator=doctor).sps_id)
print(json.dumps({
    "token": api_token_create(actor=SYSTEM, user_id=doctor.pk, name="scale-out")[1],
    "report_id": report.pk,
    "sps_ids": bookings,
}))
"""


@dataclass
class Cluster:
    db_url: str
    env: dict[str, str]
    webs: list[str]
    dicom_ports: list[int]
    processes: dict[str, subprocess.Popen]
    logs: dict[str, Path]

    def log(self) -> str:
        return "\n".join(
            f"--- {name}\n{path.read_text(errors='replace')[-3000:]}"
            for name, path in self.logs.items()
        )

    def sql(self, query: str, *params) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.db_url) as conn:
            return conn.execute(query, params).fetchall()


def irflow(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "irflow", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[tuple[Cluster, dict]]:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip(
            "Scale-out needs PostgreSQL: several machines' processes share one database server, "
            "SQLite is one machine's file (run with DATABASE_URL=postgres://…)."
        )
    data_dir = tmp_path_factory.mktemp("scale-out")
    with postgres_database() as db_url:
        assert db_url is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("IRFLOW_")}
        env.update(
            DATABASE_URL=db_url,
            # Every machine: the same database, secret key and (shared) data directory.
            IRFLOW_DATA_DIR=str(data_dir),
            IRFLOW_SECRET_KEY="scale-out-test-" + "k" * 40,
            IRFLOW_SECURE_COOKIES="false",
            PYTHONUNBUFFERED="1",
            DJANGO_SETTINGS_MODULE="irflow.settings",
        )
        irflow(env, "migrate", "-v0")
        world = json.loads(irflow(env, "shell", "-c", SETUP).strip().splitlines()[-1])
        web_ports = [free_port(), free_port()]
        dicom_ports = [free_port(), free_port()]
        commands = {
            **{
                f"web{i}": ["web", "--port", str(p), "--workers", "1", "--threads", "4", "--quiet"]
                for i, p in enumerate(web_ports)
            },
            "worker0": ["worker", "--interval", "0.5"],
            "worker1": ["worker", "--interval", "0.5"],
            **{
                f"dicom{i}": ["dicom", "--port", str(p), "--quiet"]
                for i, p in enumerate(dicom_ports)
            },
        }
        processes: dict[str, subprocess.Popen] = {}
        logs: dict[str, Path] = {}
        for name, args in commands.items():
            logs[name] = data_dir / f"{name}.log"
            with logs[name].open("w") as log:
                processes[name] = subprocess.Popen(
                    [sys.executable, "-m", "irflow", *args],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        running = Cluster(
            db_url=db_url,
            env=env,
            webs=[f"http://127.0.0.1:{p}" for p in web_ports],
            dicom_ports=dicom_ports,
            processes=processes,
            logs=logs,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                exited = [n for n, p in processes.items() if p.poll() is not None]
                assert not exited, f"{exited} exited:\n{running.log()}"
                if ready(running):
                    break
                assert time.monotonic() < deadline, f"not all parts started:\n{running.log()}"
                time.sleep(0.5)
            yield running, world
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes.values():
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def ready(cluster: Cluster) -> bool:
    """Both webs answer, both listeners accept connections, both workers beat."""
    for web in cluster.webs:
        try:
            if requests.get(web + "/health", timeout=2).status_code != 200:
                return False
        except requests.RequestException:
            return False
    if not all(accepts(port) for port in cluster.dicom_ports):
        return False
    return len(workers_alive(cluster)) == 2


def workers_alive(cluster: Cluster) -> set[str]:
    rows = cluster.sql(
        "SELECT worker_id FROM runtime_workerheartbeat "
        "WHERE last_seen > now() - interval '30 seconds'"
    )
    return {worker for (worker,) in rows}


def test_tasks_queued_through_either_web_run_exactly_once(cluster):
    running, world = cluster
    auth = {"Authorization": f"Bearer {world['token']}"}
    url = "{web}/api/reports/{report}/addenda"

    def sign_addendum(n: int) -> int:
        web = running.webs[n % 2]
        answer = requests.post(
            url.format(web=web, report=world["report_id"]),
            json={"text": f"Addendum {n} through web {n % 2}.", "sign": True},
            headers=auth,
            timeout=60,
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        addenda = sorted(pool.map(sign_addendum, range(ADDENDA)))
    assert len(set(addenda)) == ADDENDA

    query = (
        "SELECT (args_kwargs->'kwargs'->>'addendum_id')::int, status, worker_ids "
        "FROM django_tasks_database_dbtaskresult WHERE task_path LIKE '%%report_outbound_task' "
        "AND args_kwargs->'kwargs'->>'addendum_id' IS NOT NULL"
    )
    deadline = time.monotonic() + TASKS_TIMEOUT_S
    while True:
        rows = running.sql(query)
        if len(rows) >= ADDENDA and all(
            status in ("SUCCESSFUL", "FAILED") for _, status, _ in rows
        ):
            break
        assert time.monotonic() < deadline, f"tasks not run: {rows}\n{running.log()}"
        time.sleep(0.5)
    # One task per addendum, none twice; each claimed once, by one worker, and successful.
    assert sorted(addendum for addendum, _, _ in rows) == addenda
    assert {status for _, status, _ in rows} == {"SUCCESSFUL"}
    assert all(len(workers) == 1 for _, _, workers in rows), rows
    # Both workers polled the queue meanwhile (how the tasks fell between them is up to
    # timing: on a fast machine one may drain a burst alone), and ran nothing else.
    ran_by = {workers[0] for _, _, workers in rows}
    alive = workers_alive(running)
    assert len(alive) == 2 and ran_by <= alive


def worklist(port: int, out: Path) -> list[tuple[str, ...]]:
    findscu = require_tool("findscu", "dcmtk")
    out.mkdir()
    today = timezone.localdate().strftime("%Y%m%d")  # the department's day, as booked
    keys = [
        "PatientName",
        "PatientID",
        "AccessionNumber",
        "StudyInstanceUID",
        f"ScheduledProcedureStepSequence[0].ScheduledStationAETitle={STATION}",
        f"ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate={today}",
        "ScheduledProcedureStepSequence[0].ScheduledProcedureStepID",
        "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStatus",
    ]
    query = subprocess.run(
        [findscu, "-W", "-X", "-od", str(out), "-aet", STATION, "-aec", "IRFLOW"]
        + [arg for key in keys for arg in ("-k", key)]
        + ["127.0.0.1", str(port)],
        capture_output=True,
        env={**os.environ, "TCP_NODELAY": "1"},
        timeout=60,
    )
    assert query.returncode == 0, query.stderr
    answers = [dcmread(path) for path in sorted(out.glob("rsp*.dcm"))]
    return sorted(
        (
            str(a.PatientID),
            str(a.PatientName),
            str(a.AccessionNumber),
            str(a.StudyInstanceUID),
            str(a.ScheduledProcedureStepSequence[0].ScheduledProcedureStepID),
        )
        for a in answers
    )


def steps_found(port: int, out: Path) -> dict:
    """The worklist's steps by SPS ID, as a modality picks them."""
    worklist(port, out)
    return {s.sps_id: s for s in (_step(dcmread(p)) for p in sorted(out.glob("rsp*.dcm")))}


def association(port: int):
    ae = AE(ae_title=STATION)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30
    ae.add_requested_context(ModalityPerformedProcedureStep)
    assoc = ae.associate("127.0.0.1", port, ae_title="IRFLOW")
    assert assoc.is_established
    return assoc


def step_rows(cluster: Cluster, uid: str) -> list[tuple]:
    return cluster.sql(
        "SELECT s.status, b.status FROM dicomserver_performedprocedurestep s "
        "LEFT JOIN scheduling_booking b ON b.id = s.booking_id WHERE s.sop_instance_uid = %s",
        uid,
    )


def test_both_listeners_answer_the_same_worklist(cluster, tmp_path):
    running, world = cluster
    first = worklist(running.dicom_ports[0], tmp_path / "a")
    second = worklist(running.dicom_ports[1], tmp_path / "b")
    assert first == second
    assert {row[4] for row in first} >= set(world["sps_ids"])


def test_mpps_created_on_one_listener_and_completed_on_the_other(cluster, tmp_path):
    running, world = cluster
    step = steps_found(running.dicom_ports[0], tmp_path / "wl")[world["sps_ids"][0]]
    uid = generate_uid()
    now = datetime.now()
    one, other = association(running.dicom_ports[0]), association(running.dicom_ports[1])
    try:
        create = mpps_in_progress(step, station=STATION, pps_id="PPS0001", now=now)
        status, _ = one.send_n_create(create, ModalityPerformedProcedureStep, uid)
        assert status is not None and status.Status == 0x0000
        final = mpps_final(
            status="COMPLETED",
            now=datetime.now(),
            series_uid=generate_uid(),
            dose_report=None,
            station=STATION,
        )
        status, _ = other.send_n_set(final, ModalityPerformedProcedureStep, uid)
        assert status is not None and status.Status in (0x0000, 0x0107), status
        # Final for both: a late N-SET on the first listener is refused, nothing changes.
        status, _ = one.send_n_set(final, ModalityPerformedProcedureStep, uid)
        assert status is not None and status.Status == 0x0110, status
    finally:
        one.release()
        other.release()
    assert step_rows(running, uid) == [("COMPLETED", "recovery")]


def test_the_same_n_create_on_both_listeners_at_once_is_accepted_once(cluster, tmp_path):
    running, world = cluster
    step = steps_found(running.dicom_ports[1], tmp_path / "wl")[world["sps_ids"][1]]
    uid = generate_uid()
    create = mpps_in_progress(step, station=STATION, pps_id="PPS0002", now=datetime.now())
    assocs = [association(port) for port in running.dicom_ports]
    together = threading.Barrier(2)
    statuses: list[int] = []

    def send(assoc) -> None:
        together.wait()
        status, _ = assoc.send_n_create(create, ModalityPerformedProcedureStep, uid)
        statuses.append(status.Status if status is not None else -1)

    threads = [threading.Thread(target=send, args=(a,)) for a in assocs]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        for a in assocs:
            a.release()
    assert sorted(statuses) == [0x0000, 0x0111]
    assert step_rows(running, uid) == [("IN PROGRESS", "in_room")]
    assert "Traceback" not in running.log()
