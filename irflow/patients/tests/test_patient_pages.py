"""The patient pages' refusals: a patient that does not exist is the 404 page, a role that may
not do what a form asks is the 403 page; other refusals stay on the form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from irflow.lib.errors import ValidationFailed
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
    assert response.status_code == 422
    assert f"No patient has record number {missing}." in response.content.decode()
    patient.refresh_from_db()
    assert patient.is_active
    # Other refusals stay on the form.
    itself = client.post(
        f"/patients/{patient.pk}/merge/", {"target_id": patient.pk, "reason": "Duplicate"}
    )
    assert itself.status_code == 422
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


def test_a_refused_registration_keeps_what_was_typed_and_says_everything(client, personas, patient):
    login(client, personas["scheduler"])
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(
        "/patients/new/",
        {
            "mrn": "T0000001",  # the fixture patient's
            "family_name": "Newman",
            "given_name": "Ola",
            "birth_date": tomorrow,
            "sex": "F",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="Newman"' in html and 'value="Ola"' in html and f'value="{tomorrow}"' in html
    assert services.MSG_MRN_TAKEN.format(mrn="T0000001", issuer="HOSP") in html
    assert services.MSG_BIRTH_IN_FUTURE in html


def test_services_report_every_problem_at_once(personas, patient):
    attending = personas["attending"]
    with pytest.raises(ValidationFailed) as lab:
        services.lab_result_record(
            actor=attending,
            patient_id=patient.pk,
            analyte="unobtainium",
            value="lots",
            collected_at=timezone.now() + timedelta(days=1),
        )
    assert set(lab.value.errors) == {"analyte", "value", "collected_at"}
    with pytest.raises(ValidationFailed) as merge:
        services.patient_merge(
            actor=personas["scheduler"], source_id=patient.pk, target_id=patient.pk, reason=" "
        )
    assert merge.value.errors == {
        "target_id": [services.MSG_MERGE_SELF],
        "reason": [services.MSG_MERGE_REASON],
    }
