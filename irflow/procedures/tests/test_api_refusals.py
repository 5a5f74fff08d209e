"""Input the API fuzz test found answering 500: each is now refused naming the field, and
nothing is written (the record stays readable)."""

from __future__ import annotations

import json

import pytest

from irflow.dayofcase import services as day
from irflow.procedures.models import SedationAgent
from irflow.testing.cases import booked, past_weekday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(attending, patient, angio_room):
    booking = booked(attending, patient, angio_room, start=past_weekday_at(9))
    return day.case_check_in(actor=attending, booking_id=booking.pk)


def send(client, method, url, body):
    return client.generic(method, url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("dose", "message"),
    [
        (1e20, "Ensure that there are no more than 8 digits in total."),
        ("123456789", "Ensure that there are no more than 8 digits in total."),
        ("0.125", "Ensure that there are no more than 2 decimal places."),
    ],
)
def test_a_sedation_dose_the_column_cannot_hold_is_refused(api_client, record, dose, message):
    url = f"/api/procedures/{record.pk}"
    body = {"agent": "Fentanyl", "dose": dose, "unit": "mcg"}
    response = send(api_client, "POST", url + "/sedation-agents", body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {"dose": [message]}
    assert not SedationAgent.objects.filter(record=record).exists()
    assert api_client.get(url).status_code == 200


@pytest.mark.parametrize("volume", ["NaN", "sNaN", "Infinity", "-inf"])
def test_a_contrast_volume_that_is_not_a_number_is_refused(api_client, record, volume):
    url = f"/api/procedures/{record.pk}"
    body = {"group": "contrast", "values": {"contrast_ml": volume}}
    response = send(api_client, "PATCH", url, body)
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["contrast_ml"]
    record.refresh_from_db()
    assert record.contrast_ml is None


@pytest.mark.parametrize("sites", [[{}], [["radial"]], 5, "radial"])
def test_access_sites_that_are_not_a_list_of_choices_are_refused(api_client, record, sites):
    body = {"group": "access", "values": {"access_sites": sites}}
    response = send(api_client, "PATCH", f"/api/procedures/{record.pk}", body)
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["access_sites"]
    record.refresh_from_db()
    assert record.access_sites == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"access_note": "x" * 301}, "access_note"),
        ({"contrast_agent": "x" * 101}, "contrast_agent"),
        ({"findings": {"text": "not a string"}}, "findings"),
    ],
)
def test_text_the_column_cannot_hold_is_refused(api_client, record, values, field):
    group = {"access_note": "access", "contrast_agent": "contrast", "findings": "findings"}[field]
    body = {"group": group, "values": values}
    response = send(api_client, "PATCH", f"/api/procedures/{record.pk}", body)
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == [field]
    record.refresh_from_db()
    assert getattr(record, field) == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Doppler\x00", "Null characters are not allowed."),
        ("Doppler\ud800", "This text is not valid Unicode (a lone surrogate)."),
    ],
)
def test_text_no_database_keeps_is_refused_in_free_form_values(api_client, record, text, message):
    # `values` is free-form JSON, so pydantic passes any string through to the service.
    body = {"group": "access", "values": {"access_note": text}}
    response = send(api_client, "PATCH", f"/api/procedures/{record.pk}", body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {"access_note": [message]}
    record.refresh_from_db()
    assert record.access_note == ""
