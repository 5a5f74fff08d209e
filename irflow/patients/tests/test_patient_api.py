"""Patients over the API: creation, search, chart, and refusal of bad input with nothing written."""

from __future__ import annotations

import json

import pytest

from irflow.patients.models import LabResult, Patient, PatientIdentifier

pytestmark = pytest.mark.django_db

VALID = {
    "mrn": "A1000001",
    "family_name": "García",
    "given_name": "Lucía",
    "birth_date": "1961-07-30",
    "sex": "F",
    "weight_kg": "64.5",
}


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def counts():
    return (Patient.objects.count(), PatientIdentifier.objects.count(), LabResult.objects.count())


def test_create_search_and_open_chart(api_client):
    created = post(api_client, "/api/patients", VALID)
    assert created.status_code == 201, created.content
    patient_id = created.json()["id"]
    assert created.json()["mrn"] == "A1000001"
    for query in ("garcia", "GARCÍA luc", "luc garc", "A1000001", "1961-07-30", "30/07/1961"):
        found = api_client.get("/api/patients", {"q": query})
        assert found.status_code == 200
        assert [p["id"] for p in found.json()] == [patient_id], query
    chart = api_client.get(f"/api/patients/{patient_id}")
    assert chart.status_code == 200
    assert chart.json()["patient"]["family_name"] == "García"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"family_name": None}, "family_name"),
        ({"birth_date": "1961-02-30"}, "birth_date"),
        ({"birth_date": "30/07/1961"}, "birth_date"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"sex": "X"}, "sex"),
        ({"weight_kg": "-3"}, "weight_kg"),
        ({"mrn": ""}, "mrn"),
        ({"family_name": "x" * 101}, "family_name"),
        # Pydantic alone read these as seconds since 1970 (found by the API fuzz test).
        ({"birth_date": 0}, "birth_date"),
        ({"birth_date": "86400"}, "birth_date"),
        ({"birth_date": "1899-12-31"}, "birth_date"),
    ],
)
def test_bad_patient_input_is_refused_with_field_and_writes_nothing(api_client, change, field):
    body = {**VALID, **change}
    body = {k: v for k, v in body.items() if v is not None}
    before = counts()
    response = post(api_client, "/api/patients", body)
    assert response.status_code == 422, response.content
    payload = response.json()
    assert payload["code"] == "validation_failed"
    assert field in payload["errors"], payload
    assert counts() == before


def test_duplicate_mrn_is_refused_and_writes_nothing(api_client):
    assert post(api_client, "/api/patients", VALID).status_code == 201
    before = counts()
    response = post(api_client, "/api/patients", {**VALID, "family_name": "Other"})
    assert response.status_code == 422
    assert response.json()["errors"]["mrn"] == [
        "MRN A1000001 is already used by another patient (issuer HOSP)."
    ]
    assert counts() == before


def test_same_mrn_from_another_issuer_is_allowed(api_client):
    assert post(api_client, "/api/patients", VALID).status_code == 201
    response = post(api_client, "/api/patients", {**VALID, "issuer": "OTHERHOSP"})
    assert response.status_code == 201


def test_malformed_json_is_refused(api_client):
    before = counts()
    response = api_client.post("/api/patients", data="{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert counts() == before


def test_oversized_payload_is_refused(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = counts()
    response = post(api_client, "/api/patients", {**VALID, "address": "x" * 20_000})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"analyte": "inr", "value": "40", "collected_at": "2026-01-01T08:00:00Z"}, "value"),
        ({"analyte": "inr", "value": "abc", "collected_at": "2026-01-01T08:00:00Z"}, "value"),
        ({"analyte": "potassium", "value": "4", "collected_at": "2026-01-01T08:00:00Z"}, "analyte"),
        (
            {"analyte": "inr", "value": "1.1", "collected_at": "2099-01-01T08:00:00Z"},
            "collected_at",
        ),
        ({"analyte": "inr", "value": "1.1", "collected_at": "yesterday"}, "collected_at"),
        ({"analyte": "inr", "value": "1.1"}, "collected_at"),
    ],
)
def test_bad_lab_input(api_client, patient, body, field):
    before = counts()
    response = post(api_client, f"/api/patients/{patient.pk}/labs", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert counts() == before


def test_bad_dose_time_is_refused(api_client, patient):
    response = post(
        api_client,
        f"/api/patients/{patient.pk}/medications",
        {"name": "Apixaban 5 mg", "drug": "apixaban", "frequency": "bd", "dose_times": ["8pm"]},
    )
    assert response.status_code == 422
    assert response.json()["errors"]["dose_times"] == ["“8pm” is not a time (use HH:MM)."]


def test_patch_changes_only_given_fields(api_client, patient):
    response = api_client.patch(
        f"/api/patients/{patient.pk}",
        data=json.dumps({"weight_kg": "80.5"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    patient.refresh_from_db()
    assert str(patient.weight_kg) == "80.5"
    assert patient.family_name == "Müller"


def test_unknown_patient_is_404(api_client):
    assert api_client.get("/api/patients/999999").status_code == 404


@pytest.mark.parametrize("field", ["address", "phone", "language", "family_name"])
def test_patch_null_for_a_text_field_is_refused_naming_it(api_client, patient, field):
    # Found by the API fuzz test: null reached the NOT NULL column and answered 500.
    before = (patient.address, patient.phone, patient.language, patient.family_name)
    response = api_client.patch(
        f"/api/patients/{patient.pk}",
        data=json.dumps({"weight_kg": "80.5", field: None}),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {field: ["This field cannot be null."]}
    patient.refresh_from_db()
    assert (patient.address, patient.phone, patient.language, patient.family_name) == before
    assert patient.weight_kg != 80.5


@pytest.mark.parametrize("body", ["[null, null]", "[]", "7", '"text"', "null"])
def test_a_body_that_is_not_an_object_is_refused(api_client, patient, body):
    # Ninja's schemas read a list as an object without fields: `[null, null]` was a valid
    # "change nothing", and on other routes a valid "do it" with every default.
    response = api_client.patch(
        f"/api/patients/{patient.pk}", data=body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert response.json() == {
        "detail": "The request body must be a JSON object.",
        "code": "bad_request",
    }
