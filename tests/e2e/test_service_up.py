"""The product as it ships: `irflow up` in a subprocess, spoken to over real HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time

import pytest
import requests

from irflow.demo.staff import DEMO_PASSWORD
from irflow.testing.service import running_service
from irflow.testing.tools import require_tool

pytestmark = [pytest.mark.e2e]


def _login(session: requests.Session, base: str, username: str) -> None:
    page = session.get(base + "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        base + "/accounts/login/",
        data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": base + "/accounts/login/"},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    # A new installation's first start: `irflow up` migrates an empty database itself.
    with running_service(tmp_path_factory.mktemp("up"), first_run=True) as svc:
        yield svc


def test_login_search_and_chart_over_http(service):
    base = service.url
    assert requests.get(base + "/accounts/login/", timeout=10).status_code == 200
    s = requests.Session()
    _login(s, base, "physician")
    home = s.get(base + "/")
    assert home.status_code == 200 and "Patients" in home.text
    # Find a demo patient through the API with the same session, then open the chart page.
    me = s.get(base + "/api/accounts/me").json()
    assert me["role"] == "physician" and "patient.view" in me["permissions"]
    mrn = "D1010000"  # first MRN of demo seed 1
    found = s.get(base + "/api/patients", params={"q": mrn})
    assert found.status_code == 200 and len(found.json()) == 1, found.text
    patient = found.json()[0]
    chart = s.get(f"{base}/patients/{patient['id']}/")
    assert chart.status_code == 200
    assert patient["family_name"].upper() in chart.text
    assert "Content-Security-Policy" in chart.headers


def test_api_write_with_session_needs_csrf(service):
    base = service.url
    s = requests.Session()
    _login(s, base, "nurse")
    body = {
        "mrn": "E2E00001",
        "family_name": "Endtoend",
        "given_name": "Eve",
        "birth_date": "1970-03-04",
        "sex": "F",
    }
    refused = s.post(base + "/api/patients", json=body)
    assert refused.status_code == 403
    page = s.get(base + "/patients/new/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    created = s.post(
        base + "/api/patients", json=body, headers={"X-CSRFToken": token, "Referer": base + "/"}
    )
    assert created.status_code == 201, created.text
    bad = s.post(
        base + "/api/patients",
        json={**body, "birth_date": "1970-02-31"},
        headers={"X-CSRFToken": token, "Referer": base + "/"},
    )
    assert bad.status_code == 422 and "birth_date" in bad.json()["errors"]


def test_openapi_and_docs_are_served(service):
    schema = requests.get(service.url + "/api/openapi.json", timeout=10)
    assert schema.status_code == 200 and schema.json()["info"]["title"] == "irflow API"
    assert requests.get(service.url + "/api/docs", timeout=10).status_code == 200


def test_management_commands_reach_the_same_data_dir(service):
    out = service.irflow("showmigrations", "patients")
    assert "[X] 0001_initial" in out.stdout


def test_ctrl_c_stops_every_process(tmp_path):
    with running_service(tmp_path / "stop", demo_patients=0) as svc:
        children = subprocess.run(
            ["pgrep", "-g", str(os.getpgid(svc.process.pid))], capture_output=True, text=True
        ).stdout.split()
        assert len(children) >= 5  # up, web master + worker, task worker, DICOM listener
        svc.process.send_signal(signal.SIGINT)
        assert svc.process.wait(timeout=20) == 0
    left = subprocess.run(["pgrep", "-g", str(svc.process.pid)], capture_output=True, text=True)
    assert left.stdout.strip() == ""


def test_dicom_listener_answers_echo(service):
    echoscu = require_tool("echoscu", "dcmtk")
    result = subprocess.run(
        [echoscu, "-aet", "ANGIO1", "-aec", "IRFLOW", "127.0.0.1", str(service.ports["dicom"])],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "TCP_NODELAY": "1"},
    )
    assert result.returncode == 0, result.stderr


def _start_up_output(service) -> list[str]:
    """The console lines of `irflow up` until it said where it runs."""
    deadline = time.monotonic() + 60
    while "irflow is running at" not in service.log() and time.monotonic() < deadline:
        time.sleep(0.3)
    lines = service.log().splitlines()
    [end] = [i for i, line in enumerate(lines) if "irflow is running at" in line]
    return lines[: end + 1]


def test_start_up_output_is_short_and_ends_with_the_logins_and_the_url(service):
    lines = _start_up_output(service)
    assert len(lines) < 40, "\n".join(lines)
    assert lines[-1].startswith(f"irflow is running at {service.url}/"), lines[-1]
    logins = lines.index("Demo logins — password irflow-demo:")
    assert [line.split() for line in lines[logins + 1 : logins + 3]] == [
        ["physician", "physician"],
        ["physician2", "physician"],
    ]
    # One line per part started; no line per request or per background task.
    for part in ("web", "worker", "dicom"):
        assert sum(line.startswith(f"irflow: started {part} ") for line in lines) == 1, lines
    log = service.log()
    assert "Task id=" not in log and '"GET /health' not in log, log[-3000:]


def test_static_files_go_out_compressed(service):
    manifest = json.loads((service.data_dir / "static" / "staticfiles.json").read_text())
    plotly = manifest["paths"]["plotly/plotly.min.js"]
    # Pages name the hashed, compressed copies.
    login = requests.get(service.url + "/accounts/login/", timeout=10).text
    assert f"/static/{manifest['paths']['irflow/irflow.css']}" in login

    url = f"{service.url}/static/{plotly}"
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=30)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    size = len(plain.content)
    assert size > 1_000_000
    for encoding in ("gzip", "br"):
        packed = requests.get(url, headers={"Accept-Encoding": encoding}, timeout=30, stream=True)
        assert packed.headers["Content-Encoding"] == encoding
        assert "immutable" in packed.headers["Cache-Control"]
        sent = len(packed.raw.read(decode_content=False))
        assert sent == int(packed.headers["Content-Length"]) and sent < size / 3, (encoding, sent)
