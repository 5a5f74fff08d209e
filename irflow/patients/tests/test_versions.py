"""No lost updates on a patient: the version grows on each change, GET gives it as an ETag,
a PATCH with a stale If-Match is refused with 412 and writes nothing, and a PATCH writes only
the fields it names."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from auditlog.models import LogEntry

from irflow.patients.models import Patient
from irflow.patients.services import patient_update
from irflow.testing.fixtures import login

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


def _edit_post(client, patient_id, **values):
    return client.post(f"/patients/{patient_id}/edit/", values)


def _opened(client, patient_id) -> dict:
    """The edit form's fields as the page sends them."""
    return _opened_from(client.get(f"/patients/{patient_id}/edit/").content.decode())


def test_edit_form_over_a_newer_version_shows_both_values_and_saves_nothing(
    client, personas, patient
):
    login(client, personas["nurse"])
    mine = _opened(client, patient.pk)
    assert mine["version"] == "1"
    # Meanwhile the attending changes the phone and the address.
    patient_update(
        actor=personas["attending"], patient_id=patient.pk, phone="111", address="Their street"
    )
    # The nurse, from the form opened before, changes the phone and the given name.
    sent = _edit_post(client, patient.pk, **{**mine, "phone": "222", "given_name": "Georg"})
    assert sent.status_code == 409
    page = sent.content.decode()
    assert f"Changed by {personas['attending']} at" in page
    assert "since you opened it" in page
    assert "111" in page and "222" in page and "Their street" in page
    patient.refresh_from_db()
    assert (patient.phone, patient.given_name, patient.version) == ("111", "Jörg", 2)
    # The form came back at version 2 with the nurse's values and the attending's address:
    # saving it again deliberately keeps both.
    again = _opened_from(page)
    assert again["version"] == "2" and again["phone"] == "222"
    assert again["address"] == "Their street" and again["given_name"] == "Georg"
    saved = _edit_post(client, patient.pk, **again)
    assert saved.status_code == 302
    patient.refresh_from_db()
    assert (patient.phone, patient.given_name, patient.address) == ("222", "Georg", "Their street")
    assert patient.version == 3


def _opened_from(page: str) -> dict:
    fields = {}
    for name in ("family_name", "given_name", "birth_date", "phone", "address", "version"):
        found = re.search(rf'name="{name}"[^>]*?value="([^"]*)"', page) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', page
        )
        fields[name] = unescape(found.group(1)) if found else ""
    opened = re.search(r'name="opened" value="([^"]*)"', page)
    fields["opened"] = unescape(opened.group(1)) if opened else ""
    fields["sex"] = "M"
    return fields


def test_two_edit_forms_of_different_fields_keep_both(client, personas, patient):
    login(client, personas["nurse"])
    first = _opened(client, patient.pk)
    second = dict(first)
    assert _edit_post(client, patient.pk, **{**first, "phone": "333"}).status_code == 302
    refused = _edit_post(client, patient.pk, **{**second, "address": "Mine 1"})
    assert refused.status_code == 409  # a newer version: shown, not overwritten
    patient.refresh_from_db()
    assert (patient.phone, patient.address) == ("333", "")
