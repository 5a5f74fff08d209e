"""Implausible lab values are refused with the likely unit — in the service, the API, the chart
and the readiness page — and saved only when confirmed as typed, never converted."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from irflow.lib.errors import ValidationFailed
from irflow.patients import services
from irflow.patients.models import LabResult
from irflow.readiness.services import policy_value_set
from irflow.readiness.tests.helpers import nearly_ready
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db

HB_13 = (
    "Haemoglobin 13 g/L is implausible — did you mean 13 g/dL = 130 g/L, or 13 mmol/L = "
    "209 g/L? (Plausible: 30–250 g/L.)"
)


def record(actor, patient, analyte: str, value: str, **kw):
    return services.lab_result_record(
        actor=actor,
        patient_id=patient.pk,
        analyte=analyte,
        value=value,
        collected_at=timezone.now() - timedelta(hours=1),
        **kw,
    )


@pytest.mark.parametrize(
    ("analyte", "value", "plausible"),
    [
        ("haemoglobin", "30", True),
        ("haemoglobin", "29.99", False),
        ("haemoglobin", "250", True),
        ("haemoglobin", "250.01", False),
        ("platelets", "1", True),
        ("platelets", "0.99", False),
        ("platelets", "1500", True),
        ("platelets", "1500.01", False),
        ("inr", "0.5", True),
        ("inr", "0.49", False),
        ("inr", "15", True),
        ("inr", "15.01", False),
    ],
)
def test_the_service_refuses_an_implausible_value_until_confirmed(
    nurse, patient, analyte, value, plausible
):
    if plausible:
        lab = record(nurse, patient, analyte, value)
        assert not lab.implausible_confirmed
        return
    with pytest.raises(ValidationFailed) as refused:
        record(nurse, patient, analyte, value)
    assert set(refused.value.errors) == {"value", "confirm_implausible"}
    assert "is implausible" in refused.value.errors["value"][0]
    assert not LabResult.objects.filter(patient=patient).exists()
    lab = record(nurse, patient, analyte, value, confirm_implausible=True)
    assert str(lab.value) == value  # kept as typed: never converted
    assert lab.implausible_confirmed


def test_negative_values_are_refused_even_when_confirmed(nurse, patient):
    with pytest.raises(ValidationFailed) as refused:
        record(nurse, patient, "inr", "-1", confirm_implausible=True)
    assert refused.value.errors["value"] == [services.MSG_LAB_NEGATIVE]


def test_the_site_policy_sets_the_limits(nurse, patient, personas):
    record(nurse, patient, "haemoglobin", "35")
    policy_value_set(
        actor=personas["admin"],
        rule_id="lab-plausibility.limits",
        param="haemoglobin_low",
        value=40,
    )
    with pytest.raises(ValidationFailed):
        record(nurse, patient, "haemoglobin", "35")


def test_the_api_answers_422_with_the_likely_unit_then_saves_when_confirmed(api_client, patient):
    body = {"analyte": "haemoglobin", "value": "13", "collected_at": "2026-01-05T09:30:00Z"}
    url = f"/api/patients/{patient.pk}/labs"
    refused = api_client.post(url, data=json.dumps(body), content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["errors"]["value"] == [HB_13]
    assert refused.json()["errors"]["confirm_implausible"] == [services.MSG_LAB_CONFIRM]
    body["confirm_implausible"] = True
    saved = api_client.post(url, data=json.dumps(body), content_type="application/json")
    assert saved.status_code == 201, saved.content
    assert saved.json()["value"] == "13"
    assert saved.json()["implausible_confirmed"] is True


def test_the_chart_form_warns_offers_the_box_and_saves_as_typed(client, nurse, patient):
    login(client, nurse)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    url = f"/patients/{patient.pk}/lab/add/"
    form = {"lab-analyte": "haemoglobin", "lab-value": "13", "lab-collected_at": now}
    first = client.post(url, form)
    assert first.status_code == 422
    html = first.content.decode()
    assert "did you mean 13 g/dL = 130 g/L" in html
    assert 'type="checkbox" name="lab-confirm_implausible"' in html
    assert not LabResult.objects.filter(patient=patient).exists()
    second = client.post(url, {**form, "lab-confirm_implausible": "on"})
    assert second.status_code == 302
    lab = LabResult.objects.get(patient=patient)
    assert (str(lab.value), lab.implausible_confirmed) == ("13.00", True)
    chart = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "confirmed as typed" in chart


def test_the_readiness_page_warns_and_saves_when_confirmed(client, nurse, attending, patient):
    booking = nearly_ready(attending, patient)
    login(client, nurse)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    url = f"/readiness/bookings/{booking.pk}/lab/"
    form = {"analyte": "inr", "value": "25", "collected_at": now}
    first = client.post(url, form)
    assert first.status_code == 422
    html = first.content.decode()
    assert "INR 25 is implausible" in html
    assert 'name="confirm_implausible"' in html
    assert not LabResult.objects.filter(patient=patient, analyte="inr").exists()
    second = client.post(url, {**form, "confirm_implausible": "on"})
    assert second.status_code == 302
    assert LabResult.objects.get(patient=patient, analyte="inr").implausible_confirmed
