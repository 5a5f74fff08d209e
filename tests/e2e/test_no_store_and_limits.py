"""Over real HTTP against `irflow up`: no answer with patient data may be kept by a cache
(pages, API answers, report PDFs), and a request's uploaded files count toward its size limit
(4 × 9 MB in one POST is refused, naming the limit, and nothing is stored)."""

from __future__ import annotations

import re

import pytest
import requests

from irflow.demo.staff import DEMO_PASSWORD
from irflow.testing.service import running_service

pytestmark = [pytest.mark.e2e]

NINE_MB = 9 * 1024 * 1024


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_service(tmp_path_factory.mktemp("up"), demo_patients=5) as svc:
        yield svc


def signed_in(base: str, username: str) -> tuple[requests.Session, str]:
    """A session signed in as a demo user, and its CSRF token."""
    session = requests.Session()
    page = session.get(base + "/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        base + "/accounts/login/",
        data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": base + "/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    return session, session.cookies["csrftoken"]


def not_kept(response: requests.Response) -> bool:
    return (
        "no-store" in response.headers.get("Cache-Control", "")
        and response.headers.get("Pragma") == "no-cache"
    )


def test_patient_data_is_never_kept_by_a_cache(service):
    base = service.url
    session, _ = signed_in(base, "physician")
    patients = session.get(base + "/api/patients", params={"q": "D1010000"}, timeout=30)
    assert patients.status_code == 200 and patients.json(), patients.text[:500]
    assert not_kept(patients), patients.headers
    chart = session.get(f"{base}/patients/{patients.json()[0]['id']}/", timeout=30)
    assert chart.status_code == 200 and not_kept(chart), chart.headers
    report_id = next(
        i for i in range(1, 500) if session.get(f"{base}/api/reports/{i}", timeout=30).ok
    )
    pdf = session.get(f"{base}/reports/{report_id}/pdf/", timeout=60)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert not_kept(pdf), pdf.headers
    # Refusals and redirects too; the static files may be kept (the probe answers as it
    # chooses: a health answer is never worth keeping either).
    assert not_kept(requests.get(base + "/api/patients", timeout=30))  # 401
    assert not_kept(requests.get(base + "/patients/", allow_redirects=False, timeout=30))
    css = re.search(r'href="(/static/[^"]+\.css)"', chart.text).group(1)
    assert "no-store" not in requests.get(base + css, timeout=30).headers["Cache-Control"]


def test_four_files_of_nine_megabytes_in_one_request_are_refused(service):
    base = service.url
    session, csrf = signed_in(base, "nurse")
    files = [("file", (f"scan{i}.pdf", b"%PDF-" + b"0" * (NINE_MB - 5))) for i in range(4)]
    stored_before = sorted(p for p in (service.data_dir / "files").rglob("*") if p.is_file())
    api = session.post(
        base + "/api/referrals/1/attachments",
        files=files,
        headers={"X-CSRFToken": csrf, "Referer": base + "/"},
        timeout=120,
    )
    assert api.status_code == 413, api.text[:500]
    body = api.json()
    assert body["code"] == "too_large" and body["limit"] == 20 * 1024 * 1024
    assert "more than the 20 MB one request may carry" in body["detail"]
    page = session.post(
        base + "/referrals/new/",
        files=[("attachments", f[1]) for f in files],
        data={"csrfmiddlewaretoken": csrf},
        headers={"Referer": base + "/referrals/new/"},
        timeout=120,
    )
    assert page.status_code == 413
    assert "more than the 20 MB one request may carry" in page.text
    stored_after = sorted(p for p in (service.data_dir / "files").rglob("*") if p.is_file())
    assert stored_after == stored_before
