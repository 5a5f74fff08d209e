"""A PostgreSQL outage of a minute under `irflow up`, with traffic: nothing stops for good,
web, API and DICOM answer calmly while it lasts, everything serves again within 30 s of
PostgreSQL's return, and nothing that was acknowledged is lost.

It runs its own PostgreSQL cluster (stopped and started here), so it runs once: in the
SQLite pass of the suite, and is skipped in the PostgreSQL pass (whose shared cluster must
never be stopped) and where PostgreSQL's server binaries are absent.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
import requests

from irflow.demo.staff import DEMO_PASSWORD
from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events
from irflow.testing.pgcluster import MSG_NO_POSTGRES, pg_bin, private_cluster
from irflow.testing.service import Service, running_service
from irflow.testing.tools import require_tool

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="stops a PostgreSQL cluster of its own: runs in the SQLite pass only",
    ),
    pytest.mark.skipif(pg_bin() is None, reason=MSG_NO_POSTGRES),
]

OUTAGE_S = 60
BACK_WITHIN_S = 30
STATE = """
import json
from irflow.dose.models import ReceivedObject
from irflow.patients.models import Patient
print(json.dumps({
    "received": list(ReceivedObject.objects.filter(sop_instance_uid__startswith="2.25.91")
                     .values_list("sop_instance_uid", "status")),
    "given_name": Patient.objects.get(pk=%(patient)d).given_name,
}))
"""


def dcmtk_env() -> dict[str, str]:
    return {"TCP_NODELAY": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def storescu(port: int, path: Path) -> tuple[bool, str]:
    """(acknowledged with success, what storescu said)."""
    tool = require_tool("storescu", "dcmtk")
    done = subprocess.run(
        [tool, "-v", "-aet", "ANGIO1", "-aec", "IRFLOW", "127.0.0.1", str(port), str(path)],
        capture_output=True,
        text=True,
        timeout=60,  # an upper bound: the listener must answer, not hang
        env=dcmtk_env(),
    )
    said = done.stdout + done.stderr
    return "Received Store Response (Success)" in said, said


def findscu(port: int, out: Path) -> tuple[bool, int, str]:
    """(final status was success, responses, what findscu said)."""
    tool = require_tool("findscu", "dcmtk")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("rsp*.dcm"):
        old.unlink()
    done = subprocess.run(
        [tool, "-v", "-W", "-X", "-od", str(out), "-aet", "ANGIO1", "-aec", "IRFLOW",
         "-k", "PatientName=*", "127.0.0.1", str(port)],
        capture_output=True,
        text=True,
        timeout=60,
        env=dcmtk_env(),
    )  # fmt: skip
    said = done.stdout + done.stderr
    final = re.search(r"Received Final Find Response[^\n]*", said)
    ok = done.returncode == 0 and final is not None and "Success" in final.group(0)
    return ok, len(list(out.glob("rsp*.dcm"))), said


def login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        base + "/accounts/login/",
        data={"username": "physician", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": base + "/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:300]
    return session


def state(service: Service, patient: int) -> dict:
    done = service.irflow("shell", "-c", STATE % {"patient": patient})
    return json.loads(done.stdout.strip().splitlines()[-1])


def rdsr(folder: Path, uid: str, seed: int) -> Path:
    report = ProjectionRdsr(
        events=make_events(2, seed=seed),
        sop_instance_uid=uid,
        patient_id="OUTAGE1",
        accession_number="",
        study_instance_uid=f"{uid}.1",
        mpps_uid=None,
    )
    return report.write(folder / f"{uid}.dcm")


def wait_until(what: str, check, *, within: float) -> float:
    """Seconds until `check()` holds; fails after `within` (an upper bound, from the issue)."""
    start = time.monotonic()
    last = None
    while time.monotonic() - start < within:
        try:
            if check():
                return time.monotonic() - start
        except (requests.RequestException, subprocess.SubprocessError) as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"{what} not back within {within} s (last error: {last})")


def test_a_minute_without_postgresql(tmp_path):
    require_tool("storescu", "dcmtk")
    with (
        private_cluster() as cluster,
        running_service(tmp_path / "data", env={"DATABASE_URL": cluster.url}) as service,
    ):
        base, dicom = service.url, service.ports["dicom"]
        session = login(base)
        csrf = {"X-CSRFToken": session.cookies["csrftoken"], "Referer": base + "/"}
        first = "from irflow.patients.models import Patient; print(Patient.objects.first().pk)"
        patient = int(service.irflow("shell", "-c", first).stdout.strip().splitlines()[-1])

        # Traffic before: a saved change, an acknowledged dose report, a worklist.
        saved = session.patch(
            f"{base}/api/patients/{patient}", json={"given_name": "Before"}, headers=csrf,
            timeout=10,
        )  # fmt: skip
        assert saved.status_code == 200, saved.text
        acknowledged = []
        ok, said = storescu(dicom, rdsr(tmp_path, "2.25.9100", 1))
        assert ok, said
        acknowledged.append("2.25.9100")
        ok, _, said = findscu(dicom, tmp_path / "find")
        assert ok, said

        # The outage.
        cluster.stop()
        stopped = time.monotonic()

        health = requests.get(base + "/health", timeout=10)
        assert health.status_code == 503, health.text
        assert health.json()["status"] == "unavailable"
        assert health.json()["database"]["ok"] is False

        api = session.get(f"{base}/api/patients/{patient}", timeout=10)
        assert api.status_code == 503
        assert api.headers["Content-Type"] == "application/json"
        assert api.json()["code"] == "database_unavailable" and api.headers["Retry-After"]

        refused = session.patch(
            f"{base}/api/patients/{patient}", json={"given_name": "During"}, headers=csrf,
            timeout=10,
        )  # fmt: skip
        assert refused.status_code == 503 and "nothing was saved" in refused.json()["detail"]

        page = session.get(f"{base}/patients/{patient}/", timeout=10)
        assert page.status_code == 503 and "cannot reach its database" in page.text

        form = session.post(
            f"{base}/patients/{patient}/edit/",
            data={"given_name": "Typed", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            headers={"Referer": base + "/"},
            timeout=10,
        )
        assert form.status_code == 503
        assert "Nothing was saved." in form.text and 'value="Typed"' in form.text

        # DICOM: a failure status, never a success for what could not be kept, never a hang.
        ok, said = storescu(dicom, rdsr(tmp_path, "2.25.9101", 2))
        assert not ok and "Refused: OutOfResources" in said, said
        ok, responses, said = findscu(dicom, tmp_path / "find")
        assert not ok and responses == 0, said

        while time.monotonic() - stopped < OUTAGE_S:
            assert service.process.poll() is None, service.log()[-3000:]
            time.sleep(2)
        assert requests.get(base + "/health", timeout=10).status_code == 503  # still away

        # PostgreSQL is back: everything serves again within 30 s.
        cluster.start()
        wait_until(
            "/health", lambda: requests.get(base + "/health", timeout=5).status_code == 200,
            within=BACK_WITHIN_S,
        )  # fmt: skip
        wait_until(
            "the API",
            lambda: session.get(f"{base}/api/patients/{patient}", timeout=5).status_code == 200,
            within=BACK_WITHIN_S,
        )
        wait_until(
            "pages",
            lambda: session.get(f"{base}/patients/{patient}/", timeout=5).status_code == 200,
            within=BACK_WITHIN_S,
        )
        wait_until("the worklist", lambda: findscu(dicom, tmp_path / "find")[0], within=30)
        # The modality sends again what was refused; and something new.
        for uid, seed in (("2.25.9101", 2), ("2.25.9102", 3)):
            ok, said = storescu(dicom, rdsr(tmp_path, uid, seed))
            assert ok, said
            acknowledged.append(uid)

        # The worker is back and reads everything acknowledged.
        wait_until(
            "the worker",
            lambda: requests.get(base + "/health", timeout=5).json()["worker"]["ok"],
            within=BACK_WITHIN_S,
        )

        def all_read() -> bool:
            received = dict(state(service, patient)["received"])
            return all(received.get(uid) not in (None, "received") for uid in acknowledged)

        wait_until("the reading of every acknowledged object", all_read, within=120)
        final = state(service, patient)
        # Each acknowledged object recorded once (none lost, none twice); the one refused
        # during the outage only once its resend was acknowledged.
        assert sorted(uid for uid, _ in final["received"]) == sorted(acknowledged)
        assert final["given_name"] == "Before"  # saved before; the refused change was not
        log = service.log()
        assert "keeps failing" not in log and "Traceback" not in log, log[-4000:]
