"""The patient pages' refusals: a patient that does not exist is the 404 page, a role that may
not do what a form asks is the 403 page; other refusals stay on the form."""

from __future__ import annotations

import pytest

from irflow.patients import services
from irflow.patients.models import Patient
from irflow.patients.selectors import MSG_QUERY_TOO_SHORT
from irflow.testing.fixtures import login, merged_just_before

pytestmark = pytest.mark.django_db


def missing_id() -> int:
    return (Patient.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1


def test_merging_into_a_record_that_does_not_exist_is_shown_on_the_form(client, personas, patient):
    missing = missing_id()
    login(client, personas["scheduler"])
    response = client.post(
        f"/patients/{patient.pk}/merge/", {"target_id": missing, "reason": "Duplicate"}
    )
    assert response.status_code == 200
    assert f"No patient has record number {missing}." in response.content.decode()
    patient.refresh_from_db()
    assert patient.is_active
    # Other refusals stay on the form.
    itself = client.post(
        f"/patients/{patient.pk}/merge/", {"target_id": patient.pk, "reason": "Duplicate"}
    )
    assert itself.status_code == 200
    assert services.MSG_MERGE_SELF in itself.content.decode()


def test_editing_a_record_merged_away_meanwhile_is_the_404_page(
    client, monkeypatch, personas, patient
):
    """The edit page read the record; by the time the change is saved, another user has merged
    it into another record."""
    survivor = services.patient_create(
        actor=personas["attending"],
        mrn="T0000002",
        family_name="Mueller",
        given_name="Joerg",
        birth_date="1956-04-12",
        sex="M",
    )
    merged_just_before(
        monkeypatch,
        services,
        "patient_update",
        actor=personas["scheduler"],
        source_id=patient.pk,
        target_id=survivor.pk,
    )
    login(client, personas["nurse"])
    response = client.post(
        f"/patients/{patient.pk}/edit/",
        {
            "family_name": "Müller",
            "given_name": "Jörg",
            "birth_date": "1956-04-12",
            "sex": "M",
            "phone": "+41 44 000 00 00",
        },
    )
    assert response.status_code == 404
    assert f"merged into patient {survivor.pk}" in response.content.decode()


def test_pages_answer_404_for_a_missing_patient_and_403_for_a_role_that_may_not(
    client, personas, patient
):
    missing = missing_id()
    login(client, personas["scheduler"])
    assert client.get(f"/patients/{missing}/edit/").status_code == 404
    assert client.get(f"/patients/{missing}/merge/").status_code == 404
    login(client, personas["nurse"])  # may edit, may not merge
    assert client.get(f"/patients/{patient.pk}/merge/").status_code == 403
    login(client, personas["technologist"])  # may see patients, not edit them
    edit = client.post(
        f"/patients/{patient.pk}/edit/",
        {"family_name": "X", "given_name": "Y", "birth_date": "1956-04-12", "sex": "M"},
    )
    assert edit.status_code == 403
    registered = client.post(
        "/patients/new/",
        {
            "mrn": "T0000009",
            "family_name": "Nobody",
            "given_name": "Not",
            "birth_date": "1970-01-01",
            "sex": "F",
        },
    )
    assert registered.status_code == 403
    assert not Patient.objects.filter(family_name="Nobody").exists()
    login(client, personas["qi_lead"])  # may not see patients at all
    found = client.get("/patients/", {"q": "müller"}, headers={"HX-Request": "true"})
    assert found.status_code == 403


def test_a_search_too_short_is_said_in_the_results(client, personas, patient):
    login(client, personas["nurse"])
    found = client.get("/patients/", {"q": "m"}, headers={"HX-Request": "true"})
    assert found.status_code == 200 and b"<html" not in found.content
    assert MSG_QUERY_TOO_SHORT in found.content.decode()
