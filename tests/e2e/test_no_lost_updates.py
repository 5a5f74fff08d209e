"""No lost updates against the real service (`irflow up`, gunicorn with several workers and
threads): two simultaneous PATCHes of different fields of one patient both stay, round after
round; a PATCH with a stale If-Match is refused with 412 and writes nothing. On the
PostgreSQL pass the service runs on PostgreSQL."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from irflow.testing.service import running_service

pytestmark = [pytest.mark.e2e]

ROUNDS = 20
SETUP = """
import json
from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import User
from irflow.accounts.services import api_token_create
from irflow.patients.models import Patient

user = User.objects.get(username="physician")
token = api_token_create(actor=SYSTEM, user_id=user.pk, name="versions")[1]
patient = Patient.objects.filter(is_active=True).order_by("pk").first()
print(json.dumps({"token": token, "patient_id": patient.pk}))
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_service(
        tmp_path_factory.mktemp("versions-up"),
        demo_patients=1,
        env={"IRFLOW_WEB_WORKERS": "2", "IRFLOW_WEB_THREADS": "4"},
    ) as svc:
        yield svc


@pytest.fixture(scope="module")
def demo(service) -> dict:
    done = service.irflow("shell", "-c", SETUP)
    return json.loads(done.stdout.strip().splitlines()[-1])


def call(service, demo, method: str, body: dict | None = None, **headers: str):
    request = urllib.request.Request(  # noqa: S310 - loopback service
        f"{service.url}/api/patients/{demo['patient_id']}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Authorization": f"Bearer {demo['token']}",
            "Content-Type": "application/json",
            **headers,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_concurrent_patches_of_different_fields_keep_both(service, demo):
    def change(start, answers, field: str, value: str) -> None:
        start.wait()
        answers[field] = call(service, demo, "PATCH", {field: value})[0]

    for n in range(ROUNDS):
        start = threading.Barrier(2)
        answers: dict[str, int] = {}

        threads = [
            threading.Thread(target=change, args=(start, answers, "phone", f"+41 44 {n:03d}")),
            threading.Thread(target=change, args=(start, answers, "address", f"Street {n}")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers == {"phone": 200, "address": 200}, n
        status, headers, chart = call(service, demo, "GET")
        assert status == 200
        patient = chart["patient"]
        # Both changes of this round are there: neither write put the other's old value back.
        assert (patient["phone"], patient["address"]) == (f"+41 44 {n:03d}", f"Street {n}"), n
        assert headers["ETag"] == f'"{patient["version"]}"'


def test_stale_if_match_is_412_and_writes_nothing(service, demo):
    _, headers, _ = call(service, demo, "GET")
    opened = headers["ETag"]
    status, headers, _ = call(service, demo, "PATCH", {"phone": "first"}, **{"If-Match": opened})
    assert status == 200
    assert headers["ETag"] != opened
    status, _, body = call(service, demo, "PATCH", {"address": "stale"}, **{"If-Match": opened})
    assert status == 412
    assert body["code"] == "version_mismatch"
    assert body["current_version"] == int(headers["ETag"].strip('"'))
    assert body["changed_by"] and body["changed_at"]
    assert call(service, demo, "GET")[2]["patient"]["address"] != "stale"
