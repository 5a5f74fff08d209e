"""Dose reports over real DICOM: dcmtk's storescu sends to the real listener, the real worker
reads them, the dose appears on the procedure — and nothing acknowledged is lost when the
listener is killed right after it answered success."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events
from irflow.testing.service import free_port, postgres_database, running_service
from irflow.testing.tools import require_tool

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "dose-e2e-password-1"
SETUP = """
import json
from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import User
from irflow.accounts.services import user_create
from irflow.catalogue.models import ProcedureType
from irflow.orders.services import order_create
from irflow.patients.services import patient_create
user = User.objects.filter(username="doc").first() or user_create(
    actor=SYSTEM, username="doc", role="physician", password=%(password)r, check_password=False)
patient = patient_create(actor=user, mrn="E2EDOSE1", family_name="Dose", given_name="Denise",
                         birth_date="1961-02-03", sex="F")
order = order_create(actor=user, patient_id=patient.pk,
                     procedure_type=ProcedureType.objects.get(code="TACE"))
print(json.dumps({"order_id": order.pk, "accession": order.accession_number,
                  "study_uid": order.study_instance_uid}))
"""
STATE = """
import json
from django_tasks_db.models import DBTaskResult
from irflow.dose.models import RadiationDoseReport, ReceivedObject
print(json.dumps({
    "received": list(ReceivedObject.objects.values_list("status", flat=True)),
    "reports": RadiationDoseReport.objects.count(),
    "queued": DBTaskResult.objects.filter(
        task_path="irflow.dose.tasks.received_process_task", status="READY").count(),
}))
"""


def child_env(data_dir: Path, db_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRFLOW_")}
    env.pop("DATABASE_URL", None)
    env.update(
        IRFLOW_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="irflow.settings",
    )
    if db_url:
        env["DATABASE_URL"] = db_url
    return env


def irflow(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "irflow", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def shell(env: dict[str, str], code: str) -> dict:
    return json.loads(irflow(env, "shell", "-c", code).strip().splitlines()[-1])


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the listener exited"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("the listener did not open its port")


def storescu(port: int, path: Path) -> subprocess.CompletedProcess:
    tool = require_tool("storescu", "dcmtk")
    return subprocess.run(
        [tool, "-aet", "ANGIO1", "-aec", "IRFLOW", "127.0.0.1", str(port), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"TCP_NODELAY": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )


def login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        base + "/accounts/login/",
        data={"username": "doc", "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": base + "/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:300]
    return session


def wait_for_dose(session: requests.Session, base: str, order_id: int, reports: int) -> dict:
    deadline = time.monotonic() + 90
    while True:
        body = session.get(f"{base}/api/dose/orders/{order_id}", timeout=10).json()
        if len(body.get("reports", [])) >= reports or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


def test_killed_listener_loses_nothing_and_storescu_reaches_the_procedure(tmp_path):
    events = make_events(9, seed=316)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with postgres_database() as db_url:
        env = child_env(data_dir, db_url)
        irflow(env, "migrate", "--verbosity", "0")
        case = shell(env, SETUP % {"password": PASSWORD})

        def rdsr(part, uid) -> Path:
            report = ProjectionRdsr(
                events=part,
                sop_instance_uid=uid,
                patient_id="E2EDOSE1",
                accession_number=case["accession"],
                study_instance_uid=case["study_uid"],
                mpps_uid=None,
            )
            return report.write(tmp_path / f"{uid}.dcm")

        # 1. The listener alone (no worker): storescu succeeds, then SIGKILL at once.
        port = free_port()
        listener = subprocess.Popen(
            [sys.executable, "-m", "irflow", "dicom", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_port(port, listener)
            sent = storescu(port, rdsr(events[:6], "2.25.316001"))
            os.killpg(listener.pid, signal.SIGKILL)
        finally:
            if listener.poll() is None:
                os.killpg(listener.pid, signal.SIGKILL)
            listener.wait()
        assert sent.returncode == 0, sent.stderr
        state = shell(env, STATE)
        assert state == {"received": ["received"], "reports": 0, "queued": 1}
        stored = list((data_dir / "dicom" / "dose").glob("*/*.dcm"))
        assert len(stored) == 1

        # 2. Restart: `irflow up` (web, worker, listener) reads what was acknowledged.
        with running_service(data_dir, env={"DATABASE_URL": db_url} if db_url else None) as service:
            session = login(service.url)
            first = wait_for_dose(session, service.url, case["order_id"], reports=1)
            assert len(first["reports"]) == 1, first
            assert first["totals"]["ka_r_mgy"] == pytest.approx(
                sum(e.dose_rp_mgy for e in events[:6])
            )

            # 3. storescu to the running service: a continuation report adds its events.
            sent = storescu(service.ports["dicom"], rdsr(events, "2.25.316002"))
            assert sent.returncode == 0, sent.stderr
            both = wait_for_dose(session, service.url, case["order_id"], reports=2)
            assert len(both["reports"]) == 2, both
            assert both["events"] == 9
            assert both["totals"]["ka_r_mgy"] == pytest.approx(sum(e.dose_rp_mgy for e in events))
            page = session.get(f"{service.url}/dose/orders/{case['order_id']}/", timeout=10)
            assert page.status_code == 200 and "Dose review" in page.text
        assert shell(env, STATE)["received"] == ["processed", "processed"]
