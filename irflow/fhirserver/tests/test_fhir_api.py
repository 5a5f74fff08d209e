"""The FHIR endpoint over HTTP: read and search (paging, patient, identifier, date prefixes,
status, code, _include, _lastUpdated), the API's authentication, the permission matrix (a
referrer sees only their patients), the access log, OperationOutcome errors, metadata."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.audit.models import AccessLog
from irflow.demo.generator import demo_create
from irflow.fhirserver.capability import search_parameters
from irflow.fhirserver.gather import RESOURCE_TYPES
from irflow.orders.models import Order
from irflow.patients.models import CareRelation, Patient
from irflow.patients.services import patient_create
from irflow.procedures.models import ProcedureRecord
from irflow.referrals.models import Referral
from irflow.reports.models import ReportStatus

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json"


def _token(user) -> str:
    return api_token_create(actor=SYSTEM, user_id=user.pk, name="fhir tests")[1]


def _get(client: Client, token: str, url: str):
    response = client.get(url, headers={"authorization": f"Bearer {token}"})
    assert response["Content-Type"].startswith(FHIR_JSON), response["Content-Type"]
    return response


def _follow(client: Client, token: str, url: str) -> list[dict]:
    """Every match of a search, following its `next` links."""
    found: list[dict] = []
    pages = 0
    while url:
        bundle = _get(client, token, url).json()
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
        found += [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        url = following[0] if following else ""
        if url:
            parts = urlsplit(url)
            url = f"{parts.path}?{parts.query}"
        pages += 1
        assert pages < 100
    return found


@pytest.fixture
def demo():
    return demo_create(patients=8, seed=11, today=date(2026, 3, 4))


def test_read_and_search_the_demo_department(client, demo):
    physician = next(u for u in demo.users.values() if u.role == "physician")
    token = _token(physician)
    record = ProcedureRecord.objects.filter(report__status=ReportStatus.FINAL).first()
    assert record is not None
    patient = record.patient

    # Read.
    before = AccessLog.objects.filter(patient_id=patient.pk, channel="fhir").count()
    got = _get(client, token, f"/fhir/Patient/{patient.pk}")
    assert got.status_code == 200
    assert got.json()["name"][0]["family"] == patient.family_name
    logged = AccessLog.objects.filter(patient_id=patient.pk, channel="fhir")
    assert logged.count() == before + 1
    assert logged.order_by("-pk").first().user_id == physician.pk

    # Paging through all Procedures of the patient, two at a time.
    procedures = _follow(client, token, f"/fhir/Procedure?patient={patient.pk}&_count=2")
    expected = ProcedureRecord.objects.filter(patient=patient).count()
    assert len(procedures) == expected and expected >= 1
    assert {p["subject"]["reference"] for p in procedures} == {f"Patient/{patient.pk}"}
    assert len({p["id"] for p in procedures}) == expected

    # A DiagnosticReport by accession number, with its patient included.
    accession = record.order.accession_number
    system = "http://irflow.invalid/fhir/sid/accession"
    bundle = _get(
        client,
        token,
        f"/fhir/DiagnosticReport?identifier={system}|{accession}&_include=DiagnosticReport:patient",
    ).json()
    assert bundle["total"] == 1
    modes = sorted(e["search"]["mode"] for e in bundle["entry"])
    assert modes == ["include", "match"]
    assert bundle["entry"][0]["resource"]["id"] == str(record.report.pk)

    # Date prefixes, status and code.
    assert record.started_at is not None
    day = timezone.localdate(record.started_at).isoformat()
    on_day = _follow(client, token, f"/fhir/Procedure?date=ge{day}&date=le{day}&_count=50")
    assert str(record.pk) in {p["id"] for p in on_day}
    starts = {p["performedPeriod"]["start"][:10] for p in on_day}
    assert starts == {day}, starts
    completed = _follow(client, token, "/fhir/Procedure?status=completed")
    assert all(p["status"] == "completed" for p in completed) and completed
    code = record.order.procedure_type.code
    by_code = _follow(client, token, f"/fhir/Procedure?code={code}")
    assert by_code and all(p["code"]["coding"][0]["code"] == code for p in by_code)
    labs = _follow(
        client,
        token,
        f"/fhir/Observation?subject=Patient/{patient.pk}&code=http://loinc.org|6301-6",
    )
    assert all(o["code"]["coding"][0]["code"] == "6301-6" for o in labs)
    assert _get(client, token, "/fhir/Observation?code=73569-6&_count=1").json()["total"] >= 1
    # _lastUpdated: everything was written today, nothing tomorrow.
    assert _get(client, token, "/fhir/Patient?_lastUpdated=gt2999-01-01").json()["total"] == 0
    assert _get(client, token, "/fhir/Patient?_lastUpdated=le2999-01-01").json()["total"] >= 8
    # _id, across the sources of one type.
    order = Order.objects.filter(referral__isnull=False).first()
    assert order is not None
    ids = f"order-{order.pk},referral-{order.referral.pk}"
    both = _get(client, token, f"/fhir/ServiceRequest?_id={ids}").json()
    assert sorted(e["resource"]["id"] for e in both["entry"]) == sorted(ids.split(","))

    # Every type answers a search.
    for resource_type in RESOURCE_TYPES:
        answer = _get(client, token, f"/fhir/{resource_type}?_count=1")
        assert answer.status_code == 200, (resource_type, answer.content[:200])

    # A signed-in session reads as the API does.
    session = Client()
    session.force_login(physician)
    response = session.get(f"/fhir/DiagnosticReport/{record.report.pk}")
    assert response.status_code == 200
    assert response.json()["status"] in ("final", "amended")

    # A referrer sees only their patients.
    referrer = next(u for u in demo.users.values() if u.role == "referrer")
    patient_create(
        actor=physician,
        mrn="NOTMINE1",
        family_name="Elsewhere",
        given_name="Nora",
        birth_date=date(1970, 1, 1),
        sex="F",
    )
    token = _token(referrer)
    mine = set(CareRelation.objects.filter(clinician=referrer).values_list("patient_id", flat=True))
    assert mine
    seen = _follow(client, token, "/fhir/Patient?_count=3")
    assert {int(p["id"]) for p in seen} <= mine
    other = Patient.objects.exclude(pk__in=mine).first()
    assert other is not None
    assert _get(client, token, f"/fhir/Patient/{other.pk}").status_code == 404
    assert AccessLog.objects.filter(user=referrer, refused=True, channel="fhir").exists()
    referrals = _follow(
        client,
        token,
        "/fhir/ServiceRequest?_id="
        + ",".join(f"referral-{pk}" for pk in Referral.objects.values_list("pk", flat=True)),
    )
    assert referrals
    assert {r["requester"]["reference"] for r in referrals} == {f"Practitioner/{referrer.pk}"}
    referrals = _follow(client, token, "/fhir/ServiceRequest?_count=20")
    assert referrals and all(
        int(r["subject"]["reference"].split("/")[1]) in mine for r in referrals
    )
    # Not in the matrix for the referrer: procedures.
    refused = _get(client, token, "/fhir/Procedure")
    assert refused.status_code == 403
    assert refused.json()["issue"][0]["code"] == "forbidden"


def test_errors_are_operation_outcomes(client, attending, patient):
    token = _token(attending)
    cases = {
        "/fhir/Patient/999999": (404, "not-found"),
        "/fhir/Spaceship": (404, "not-found"),
        "/fhir/Patient?colour=blue": (400, "invalid"),
        "/fhir/Procedure?date=yesterday": (400, "invalid"),
        "/fhir/Procedure?_count=many": (400, "invalid"),
        "/fhir/Procedure?_include=Procedure:performer": (400, "invalid"),
    }
    for url, (status, code) in cases.items():
        response = _get(client, token, url)
        assert response.status_code == status, (url, response.status_code)
        body = response.json()
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["code"] == code, url
    for url in ("/fhir/Patient/1/_history", "/fhir/Patient/$everything"):
        unknown = _get(client, token, url)
        assert unknown.status_code == 404 and unknown.json()["resourceType"] == "OperationOutcome"
    posted = client.post("/fhir/Patient", data="{}", content_type=FHIR_JSON)
    assert posted.status_code == 405 and posted.json()["issue"][0]["code"] == "not-supported"
    anonymous = Client().get("/fhir/Patient")
    assert anonymous.status_code == 401
    assert anonymous.json()["resourceType"] == "OperationOutcome"
    bad_token = _get(client, "irf_nope_nope", "/fhir/Patient")
    assert bad_token.status_code == 401


def test_metadata_is_generated_from_the_code(client, db):
    statement = client.get("/fhir/metadata")
    assert statement.status_code == 200
    body = statement.json()
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    served = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(served) == set(RESOURCE_TYPES)
    for resource_type, entry in served.items():
        assert [p["name"] for p in entry["searchParam"]] == search_parameters(resource_type)
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement

    CapabilityStatement.model_validate(body)


@pytest.mark.django_db
def test_a_session_that_must_change_its_password_gets_json_not_a_redirect(client):
    from irflow.testing.fixtures import make_user

    user = make_user("fhirnurse", "nurse")
    user.must_change_password = True
    user.save()
    client.force_login(user)
    answer = client.get("/fhir/Patient")
    assert answer.status_code == 403
    assert answer.json()["code"] == "password_change_required"
