"""A third-party FHIR client from PyPI — SMART's `fhirclient` (R4 models) — reads, searches
and writes irflow as the product ships (`irflow up` in a subprocess, over real HTTP, with API
tokens): it pages through all Procedures of a patient following `next` links, finds a
DiagnosticReport by accession, and creates a ServiceRequest that then appears in the triage
queue."""

from __future__ import annotations

from collections import Counter

import pytest
import requests
from fhirclient import client as fhir_client
from fhirclient.models.diagnosticreport import DiagnosticReport
from fhirclient.models.imagingstudy import ImagingStudy
from fhirclient.models.procedure import Procedure
from fhirclient.models.servicerequest import ServiceRequest

from irflow.testing.service import running_service

pytestmark = [pytest.mark.e2e]

MRN_SYSTEM = "http://irflow.invalid/fhir/sid/patient/HOSP"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_service(tmp_path_factory.mktemp("fhirclient"), demo_patients=12) as svc:
        yield svc


def _token(service, username: str) -> str:
    created = service.irflow("api-token", "create", "--user", username, "--name", "fhirclient")
    return created.stdout.strip().splitlines()[-1]


def _client(service, username: str) -> fhir_client.FHIRClient:
    smart = fhir_client.FHIRClient(
        settings={"app_id": "irflow-tests", "api_base": f"{service.url}/fhir/"}
    )
    smart.server.session.headers["Authorization"] = f"Bearer {_token(service, username)}"
    return smart


def test_fhirclient_reads_searches_and_refers(service):
    smart = _client(service, "physician")
    server = smart.server

    # All Procedures of the patient who has the most, two per page, through `next` links.
    everything = list(Procedure.where({"_count": "500"}).perform_resources_iter(server))
    assert everything and all(isinstance(p, Procedure) for p in everything)
    by_patient = Counter(p.subject.reference for p in everything)
    subject, expected = by_patient.most_common(1)[0]
    assert expected >= 3, by_patient
    search = Procedure.where({"subject": subject, "_count": "2"})
    pages = list(search.perform_iter(server))
    assert len(pages) == (expected + 1) // 2
    assert all(page.total == expected for page in pages)
    paged = [e.resource for page in pages for e in page.entry or []]
    assert sorted(p.id for p in paged) == sorted(
        p.id for p in everything if p.subject.reference == subject
    )

    # A DiagnosticReport found by the accession number its ImagingStudy carries.
    studies = list(ImagingStudy.where({"_count": "500"}).perform_resources_iter(server))
    reports = list(DiagnosticReport.where({"_count": "500"}).perform_resources_iter(server))
    accessions = {
        (i.system, i.value)
        for r in reports
        for i in r.identifier or []
        if i.system.endswith("/sid/accession")
    }
    study_accessions = [
        (i.system, i.value)
        for s in studies
        for i in s.identifier or []
        if i.system.endswith("/sid/accession")
    ]
    system, value = next(a for a in study_accessions if a in accessions)
    found = list(
        DiagnosticReport.where({"identifier": f"{system}|{value}"}).perform_resources_iter(server)
    )
    assert len(found) == 1
    assert any(i.value == value for i in found[0].identifier)
    assert found[0].status in ("final", "amended")

    # A referral from another system, written through the client, lands in triage.
    referrer = _client(service, "referrer")
    referral = ServiceRequest(
        {
            "resourceType": "ServiceRequest",
            "contained": [
                {
                    "resourceType": "Patient",
                    "id": "p",
                    "identifier": [{"system": MRN_SYSTEM, "value": "FC000042"}],
                    "name": [{"family": "Clientson", "given": ["Fhira"]}],
                    "birthDate": "1958-02-11",
                    "gender": "female",
                }
            ],
            "status": "active",
            "intent": "order",
            "priority": "urgent",
            "code": {"text": "Tunnelled dialysis line"},
            "subject": {"reference": "#p"},
            "reasonCode": [{"text": "Dialysis access needed this week (fhirclient)."}],
        }
    )
    created = referral.create(referrer.server)
    assert created is not None and created["id"].startswith("referral-")
    read_back = ServiceRequest.read(created["id"], server)
    assert read_back.priority == "urgent"
    queue = requests.get(
        f"{service.url}/api/referrals/queue",
        headers={"Authorization": server.session.headers["Authorization"]},
        timeout=30,
    )
    assert queue.status_code == 200, queue.text
    waiting = {item["referral"]["id"]: item["referral"] for item in queue.json()["to_triage"]}
    pk = int(created["id"].removeprefix("referral-"))
    assert pk in waiting, sorted(waiting)
    assert waiting[pk]["clinical_question"] == "Dialysis access needed this week (fhirclient)."
