"""FHIR Bulk Data export ($export): kick-off, the worker's task (run in-process, as the other
task tests do), status polling and the manifest, the ndjson files (each line valid R4, counts
as the department holds), downloads by the requester only, cancel/delete, the sweep deleting
expired files, the permission matrix (QI lead: de-identified only; a referrer never), the
access log, and a de-identified export that holds no patient's name, MRN or birth date."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from irflow.accounts.actors import SYSTEM
from irflow.accounts.permissions import MATRIX
from irflow.accounts.roles import Role
from irflow.accounts.services import api_token_create
from irflow.audit.models import AccessLog
from irflow.demo.generator import demo_create
from irflow.fhirserver.export import bulk_export_expired_delete, export_dir
from irflow.fhirserver.gather import RESOURCE_TYPES, department_resources, fhir_site
from irflow.fhirserver.models import BulkExport
from irflow.fhirserver.tasks import bulk_export_task
from irflow.fhirserver.tests.test_fhir_valid import validators  # noqa: F401  (fixture)
from irflow.patients.models import Patient, PatientIdentifier
from irflow.testing.fixtures import shared_by_the_module

pytestmark = pytest.mark.django_db

ASYNC = {"prefer": "respond-async"}


@pytest.fixture(scope="module", autouse=True)
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo department, made once for the module's tests (each rolls back to it)."""
    with (
        shared_by_the_module(django_db_blocker),
        override_settings(DATA_DIR=tmp_path_factory.mktemp("demo")),
    ):
        yield demo_create(patients=8, seed=11, today=date(2026, 3, 4))


@pytest.fixture(autouse=True)
def _files_of_the_test(settings, tmp_path):
    # Each test's exports in a folder of its own.
    settings.DATA_DIR = tmp_path


def _token(user) -> str:
    return api_token_create(actor=SYSTEM, user_id=user.pk, name="export tests")[1]


def _auth(token: str, **extra: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", **extra}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _kick_off(client: Client, token: str, url: str) -> str:
    response = client.get(url, headers=_auth(token, **ASYNC))
    assert response.status_code == 202, response.content
    return _path(response["Content-Location"])


def _run(status_url: str) -> None:
    """What the worker does: run the export's task (in-process)."""
    export_id = status_url.rsplit("/", 1)[1]
    assert bulk_export_task.call(export_id) == "done"


def _manifest(client: Client, token: str, status_url: str) -> dict:
    response = client.get(status_url, headers=_auth(token))
    assert response.status_code == 200, response.content
    return response.json()


def _lines(client: Client, token: str, url: str) -> tuple[bytes, list[dict]]:
    response = client.get(_path(url), headers=_auth(token))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+ndjson"
    raw = b"".join(response.streaming_content)
    return raw, [json.loads(line) for line in raw.splitlines()]


def _valid(resource: dict, validators) -> list[str]:  # noqa: F811
    kind = resource["resourceType"]
    problems = []
    try:
        get_fhir_model_class(kind).model_validate(resource)
    except ValueError as exc:
        problems.append(f"{kind}/{resource['id']} (fhir.resources): {exc}")
    if validators is not None:
        problems += [
            f"{kind}/{resource['id']} (schema): {e.message} at {e.instance_path}"
            for e in validators[kind].iter_errors(resource)
        ]
    return problems


def test_export_of_the_demo_department(client, demo, validators):  # noqa: F811
    admin = demo.users["admin"]
    token = _token(admin)
    status_url = _kick_off(client, token, "/fhir/$export")
    queued = client.get(status_url, headers=_auth(token))
    assert queued.status_code == 202 and queued["X-Progress"]
    _run(status_url)
    manifest = _manifest(client, token, status_url)
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].endswith("/fhir/$export")
    assert manifest["transactionTime"] and manifest["error"] == []
    expected = Counter(r["resourceType"] for r in department_resources(fhir_site()))
    assert {o["type"]: o["count"] for o in manifest["output"]} == dict(expected)
    assert set(expected) == set(RESOURCE_TYPES)
    problems: list[str] = []
    for item in manifest["output"]:
        _, resources = _lines(client, token, item["url"])
        assert len(resources) == item["count"]
        assert {r["resourceType"] for r in resources} == {item["type"]}
        for resource in resources:
            problems += _valid(resource, validators)
    assert not problems, "\n".join(problems[:30])

    # One access-log entry per exported patient, naming the export and its count.
    total = sum(expected.values())
    logged = AccessLog.objects.filter(username=admin.username, what__contains="bulk export")
    assert set(logged.values_list("patient_id", flat=True)) == set(
        Patient.objects.values_list("pk", flat=True)
    )
    assert all(f"({total} resources)" in what for what in logged.values_list("what", flat=True))

    # Another user — even one who may export — cannot poll or download it.
    other = _token(demo.users["qi"])
    assert client.get(status_url, headers=_auth(other)).status_code == 404
    for item in manifest["output"]:
        assert client.get(_path(item["url"]), headers=_auth(other)).status_code == 404
    assert client.get(_path(manifest["output"][0]["url"])).status_code == 401

    # DELETE: the files are gone, and so is the export.
    folder = export_dir(status_url.rsplit("/", 1)[1])
    assert folder.is_dir()
    assert client.delete(status_url, headers=_auth(token)).status_code == 202
    assert not folder.exists()
    assert client.get(status_url, headers=_auth(token)).status_code == 404


def test_type_since_and_patient_level(client, demo):
    token = _token(demo.users["admin"])
    status_url = _kick_off(client, token, "/fhir/Patient/$export?_type=Patient,Procedure")
    _run(status_url)
    manifest = _manifest(client, token, status_url)
    assert [o["type"] for o in manifest["output"]] == ["Patient", "Procedure"]
    future = (timezone.now() + timedelta(days=1)).isoformat()
    status_url = _kick_off(
        client, token, "/fhir/$export?_type=Procedure&_since=" + future.replace("+", "%2B")
    )
    _run(status_url)
    assert _manifest(client, token, status_url)["output"] == []
    # Bad parameters: an OperationOutcome naming the parameter; no Prefer header: 400.
    bad = client.get("/fhir/$export?_type=Nonsense", headers=_auth(token, **ASYNC))
    assert bad.status_code == 400 and bad.json()["issue"][0]["expression"] == ["_type"]
    assert client.get("/fhir/$export", headers=_auth(token)).status_code == 400
    assert client.get("/fhir/$export?_since=yesterday", headers=_auth(token, **ASYNC)).json()[
        "issue"
    ][0]["expression"] == ["_since"]


def test_who_may_export(client, demo):
    """Every role of the demo against the matrix: identified needs `fhir.export`, de-identified
    `fhir.export_deidentified` (the QI lead's only way); a referrer never exports."""
    failures = []
    for user in demo.users.values():
        token = _token(user)
        role = Role(user.role)
        identified = role in MATRIX["fhir.export"]
        deidentified = identified or role in MATRIX["fhir.export_deidentified"]
        for url, allowed in (
            ("/fhir/$export", identified),
            ("/fhir/Patient/$export", identified),
            ("/fhir/$export?_deidentify=true", deidentified),
        ):
            status = client.get(url, headers=_auth(token, **ASYNC)).status_code
            if status != (202 if allowed else 403):
                failures.append(f"{user.username} ({role}) {url}: {status}")
    assert not failures, "\n".join(failures)
    assert Role.REFERRER not in MATRIX["fhir.export"]
    assert Role.REFERRER not in MATRIX["fhir.export_deidentified"]
    assert Role.QI_LEAD in MATRIX["fhir.export_deidentified"]
    assert Role.QI_LEAD not in MATRIX["fhir.export"]
    assert client.get("/fhir/$export", headers=ASYNC).status_code == 401


def test_the_sweep_deletes_expired_files(client, demo):
    token = _token(demo.users["admin"])
    status_url = _kick_off(client, token, "/fhir/$export?_type=Patient")
    _run(status_url)
    url = _manifest(client, token, status_url)["output"][0]["url"]
    export = BulkExport.objects.get()
    folder = export_dir(export.pk)
    assert bulk_export_expired_delete() == 0 and folder.is_dir()
    assert export.expires_at is not None
    assert bulk_export_expired_delete(export.expires_at + timedelta(seconds=1)) == 1
    assert not folder.exists()
    assert client.get(_path(url), headers=_auth(token)).status_code == 404
    assert client.get(status_url, headers=_auth(token)).status_code == 404


def test_deidentified_export_holds_no_name_mrn_or_birth_date(client, demo, validators):  # noqa: F811
    qi = _token(demo.users["qi"])
    status_url = _kick_off(client, qi, "/fhir/$export?_deidentify=true")
    _run(status_url)
    manifest = _manifest(client, qi, status_url)
    raw = b""
    resources: list[dict] = []
    problems: list[str] = []
    for item in manifest["output"]:
        data, lines = _lines(client, qi, item["url"])
        raw += data
        resources += lines
        for resource in lines:
            problems += _valid(resource, validators)
    assert not problems, "\n".join(problems[:30])
    patients = list(Patient.objects.all())
    assert sum(r["resourceType"] == "Patient" for r in resources) == len(patients)
    text = raw.decode()
    for patient in patients:
        for secret in (patient.family_name, patient.given_name, patient.birth_date.isoformat()):
            assert secret and secret not in text, secret
    for value in PatientIdentifier.objects.values_list("value", flat=True):
        assert value not in text, value
    # Identifiers are hashed, dates shifted per patient but consistent: every reference to a
    # patient resolves within the export.
    patient_ids = {r["id"] for r in resources if r["resourceType"] == "Patient"}
    assert not patient_ids & {str(p.pk) for p in patients}
    for resource in resources:
        subject = (resource.get("subject") or resource.get("patient") or {}).get("reference", "")
        if subject.startswith("Patient/"):
            assert subject.removeprefix("Patient/") in patient_ids
    years = {r.get("birthDate") for r in resources if r["resourceType"] == "Patient"}
    assert years == {str(p.birth_date.year) for p in patients}
