"""No lost updates on a patient: the version grows on each change, GET gives it as an ETag,
a PATCH with a stale If-Match is refused with 412 and writes nothing, and a PATCH writes only
the fields it names."""

from __future__ import annotations

import json

import pytest
from auditlog.models import LogEntry

from irflow.patients.models import Patient
from irflow.patients.services import patient_update

pytestmark = pytest.mark.django_db


def patch(client, url, body, **headers):
    return client.patch(url, data=json.dumps(body), content_type="application/json", **headers)


def test_get_gives_the_version_as_etag_and_patch_moves_it_on(api_client, patient):
    url = f"/api/patients/{patient.pk}"
    first = api_client.get(url)
    assert first.status_code == 200
    assert first["ETag"] == '"1"'
    assert first.json()["patient"]["version"] == 1
    changed = patch(api_client, url, {"phone": "0711 1"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] == '"2"'
    assert changed.json()["version"] == 2
    assert api_client.get(url)["ETag"] == '"2"'


def test_stale_if_match_is_412_naming_version_and_who_and_writes_nothing(
    api_client, patient, attending
):
    url = f"/api/patients/{patient.pk}"
    assert (
        patch(api_client, url, {"phone": "0711 1"}, headers={"If-Match": '"1"'}).status_code == 200
    )
    history = LogEntry.objects.count()
    stale = patch(api_client, url, {"address": "Elsewhere 2"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412, stale.content
    body = stale.json()
    assert body["code"] == "version_mismatch"
    assert body["current_version"] == 2 and body["your_version"] == 1
    assert body["changed_by"] == str(attending)
    assert body["changed_at"]
    assert str(attending) in body["detail"]
    patient.refresh_from_db()
    assert patient.address == "" and patient.version == 2
    assert LogEntry.objects.count() == history


@pytest.mark.parametrize("tag", ['W/"2"', '"2", "9"', "*"])
def test_if_match_forms_that_match(api_client, patient, tag):
    url = f"/api/patients/{patient.pk}"
    assert patch(api_client, url, {"phone": "1"}).status_code == 200
    assert patch(api_client, url, {"phone": "2"}, headers={"If-Match": tag}).status_code == 200


def test_if_match_that_names_no_version_is_refused_naming_the_header(api_client, patient):
    url = f"/api/patients/{patient.pk}"
    refused = patch(api_client, url, {"phone": "1"}, headers={"If-Match": "yesterday"})
    assert refused.status_code == 422
    assert "If-Match" in refused.json()["errors"]
    patient.refresh_from_db()
    assert patient.phone == "" and patient.version == 1


def test_a_write_from_an_older_read_keeps_the_other_field(attending, patient):
    """Without If-Match: a writer that read the patient before another writer changed a
    different field does not put the old value back (only its own field is written)."""
    stale = Patient.objects.get(pk=patient.pk)
    patient_update(actor=attending, patient_id=patient.pk, phone="0711 1")
    patient_update(actor=attending, patient_id=stale.pk, address="Hauptstr. 1")
    patient.refresh_from_db()
    assert (patient.phone, patient.address, patient.version) == ("0711 1", "Hauptstr. 1", 3)


def test_saving_the_same_values_changes_nothing(attending, patient):
    patient_update(actor=attending, patient_id=patient.pk, family_name=patient.family_name)
    patient.refresh_from_db()
    assert patient.version == 1
