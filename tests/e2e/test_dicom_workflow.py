"""Scheduled workflow against `irflow up` as it ships: a modality (the simulator, and dcmtk's
findscu) finds today's booking on the worklist, reports it started and completed, and the
booking, the order and the room follow."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from pydicom import dcmread

from irflow.testing.service import Service, running_service
from irflow.testing.tools import require_tool

pytestmark = [pytest.mark.e2e]

BOOK_TODAY = """
import json
from datetime import datetime, time
from django.utils import timezone
from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import User
from irflow.catalogue.models import ProcedureType, Room
from irflow.orders.services import order_create
from irflow.patients.services import patient_create
from irflow.scheduling.services import booking_create

from irflow.accounts.services import user_create

doctor = User.objects.filter(username="e2e-physician").first() or user_create(
    actor=SYSTEM, username="e2e-physician", role="physician", password=None, first_name="Ada",
    last_name="Lovelace")
room, _ = Room.objects.get_or_create(
    code="ANGIO1",
    defaults={{"name": "Angio suite 1", "kind": "angio", "modality": "XA",
               "station_ae_title": "ANGIO1"}})
patient = patient_create(actor=doctor, mrn="{mrn}", family_name="Müller", given_name="Jörg",
                         birth_date="1956-04-12", sex="M")
order = order_create(actor=doctor, patient_id=patient.pk, priority="emergent",
                     procedure_type=ProcedureType.objects.get(code="PICC"))
start = timezone.make_aware(datetime.combine(timezone.localdate(), time({hour}, 0)))
# Booked ahead of time (a run late in the evening is not a retrospective entry).
booking = booking_create(actor=doctor, order_id=order.pk, room=room, start=start,
                         now=min(timezone.now(), start))
print(json.dumps({{"sps_id": booking.sps_id, "accession": order.accession_number}}))
"""

STATE = """
import json
from irflow.procedures.models import PerformedProcedureStep
from irflow.scheduling.models import Booking

booking = Booking.objects.select_related("order").get(sps_id="{sps_id}")
steps = PerformedProcedureStep.objects.filter(booking=booking)
print(json.dumps({{
    "booking": booking.status,
    "order": booking.order.status,
    "steps": [[s.status, s.dose_sr_uids, s.discontinuation_reason] for s in steps],
}}))
"""


def shell(service: Service, code: str) -> dict:
    done = service.irflow("shell", "-c", code)
    return json.loads(done.stdout.strip().splitlines()[-1])


def simulate(service: Service, *args: str) -> subprocess.CompletedProcess:
    return service.irflow(
        "simulate-modality",
        "--station",
        "ANGIO1",
        "--port",
        str(service.ports["dicom"]),
        *args,
        check=False,
    )


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    # No demo data: the test books what it needs, and the service starts fast.
    with running_service(
        tmp_path_factory.mktemp("dicom-up"), "--no-demo", "--simulate-modality", timeout=300
    ) as svc:
        yield svc


def test_up_runs_a_simulated_modality_at_start(service):
    # Nothing is booked at start-up: the simulated modality says what it found, and stops.
    # It writes what it found, then that it stopped: wait for the second line.
    deadline = time.monotonic() + 60
    while "simulate-modality: stopped:" not in service.log() and time.monotonic() < deadline:
        time.sleep(0.5)
    log = service.log()
    assert "simulate-modality: Worklist: 0 step(s) for ANGIO1" in log, log[-3000:]
    assert "simulate-modality: stopped: No scheduled step for ANGIO1" in log
    assert "Traceback" not in log


def test_simulator_end_to_end(service, tmp_path):
    booked = shell(service, BOOK_TODAY.format(mrn="E2E0000001", hour=20))

    # A real modality-side tool sees the step, with the name in UTF-8.
    findscu = require_tool("findscu", "dcmtk")
    keys = [
        "PatientName",
        "PatientID=E2E0000001",
        "AccessionNumber",
        "ScheduledProcedureStepSequence[0].ScheduledStationAETitle=ANGIO1",
    ]
    query = subprocess.run(
        [findscu, "-W", "-X", "-od", str(tmp_path), "-aet", "ANGIO1", "-aec", "IRFLOW"]
        + [arg for key in keys for arg in ("-k", key)]
        + ["127.0.0.1", str(service.ports["dicom"])],
        capture_output=True,
        env={**os.environ, "TCP_NODELAY": "1"},
        timeout=60,
    )
    assert query.returncode == 0, query.stderr
    [answer] = [dcmread(path) for path in sorted(Path(tmp_path).glob("rsp*.dcm"))]
    assert answer.AccessionNumber == booked["accession"]
    assert answer.PatientName == "Müller^Jörg"

    run = simulate(service, "--patient-id", "E2E0000001")
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "Worklist: 1 step(s) for ANGIO1" in out
    assert f"Picked {booked['sps_id']}: Müller^Jörg (E2E0000001)" in out
    assert "IN PROGRESS: accepted" in out and "COMPLETED: accepted" in out
    state = shell(service, STATE.format(sps_id=booked["sps_id"]))
    assert state["booking"] == "recovery" and state["order"] == "completed"
    [(status, dose_reports, _)] = state["steps"]
    assert status == "COMPLETED"
    # The dose report is referenced when the listener stored it; refused cleanly otherwise.
    if ": stored" in out:
        assert len(dose_reports) == 1 and dose_reports[0] in out
    else:
        assert "Dose report not sent" in out or "refused" in out
        assert dose_reports == []

    # The step has left the worklist: a second run finds nothing and says so.
    again = simulate(service, "--patient-id", "E2E0000001")
    assert again.returncode != 0
    assert "No scheduled step for ANGIO1" in again.stderr


def test_simulator_discontinues(service):
    booked = shell(service, BOOK_TODAY.format(mrn="E2E0000002", hour=21))
    run = simulate(service, "--patient-id", "E2E0000002", "--discontinue")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "DISCONTINUED: accepted" in run.stdout
    state = shell(service, STATE.format(sps_id=booked["sps_id"]))
    assert state["booking"] == "recovery" and state["order"] == "discontinued"
    assert state["steps"][0][2] == "Patient condition prevented continuing"
