"""The readiness pages' forms: preparation, the operator's choice, overrides, site policy."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from irflow.clinical import messages as msg
from irflow.patients.services import medication_add
from irflow.readiness.models import THROMBOTIC_RISK_CHOICES, Preparation
from irflow.readiness.policy import policy_settings
from irflow.readiness.selectors import booking_readiness
from irflow.readiness.services import preparation_update
from irflow.readiness.tests.helpers import booking_for, nearly_ready
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db


def test_nurse_records_the_preparation(client, nurse, attending, patient):
    booking = booking_for(attending, patient, "PCN")
    login(client, nurse)
    url = reverse("readiness-preparation", args=[booking.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert 'value="moderate" selected' in form.content.decode()  # catalogue default
    response = client.post(
        url,
        {
            "sedation": "moderate",
            "contrast_route": "iv",
            "consent": "signed",
            "medications_confirmed": "on",
            "allergies_confirmed": "on",
            "last_clear_fluids_at": "2020-01-01T07:00",
        },
    )
    assert response.status_code == 302
    prep = Preparation.objects.get(booking=booking)
    assert prep.consent == "signed" and prep.medications_confirmed and prep.intake_asked
    assert prep.updated_by == nurse
    bad = client.post(url, {"sedation": "heavy"})
    assert bad.status_code == 422


def test_the_thrombotic_risk_is_asked_with_examples_and_saved(client, nurse, attending, patient):
    booking = booking_for(attending, patient, "PCN")
    login(client, nurse)
    url = reverse("readiness-preparation", args=[booking.pk])
    page = client.get(url).content.decode()
    assert "Thrombotic risk if anticoagulation is interrupted" in page
    assert "mechanical mitral valve" in page and "last 3 months" in page
    assert client.post(url, {"thrombotic_risk": "high"}).status_code == 302
    assert Preparation.objects.get(booking=booking).thrombotic_risk == "high"
    refused = client.post(url, {"thrombotic_risk": "extreme"})
    assert refused.status_code == 422
    assert "extreme" in refused.content.decode()
    assert Preparation.objects.get(booking=booking).thrombotic_risk == "high"
    summary = client.get(reverse("readiness-booking", args=[booking.pk])).content.decode()
    label = dict(THROMBOTIC_RISK_CHOICES)["high"]
    assert "<dt>Thrombotic risk</dt><dd>" + escape(label) + "</dd>" in summary


def test_operator_records_the_bleeding_risk_choice_on_the_readiness_page(
    client, attending, patient
):
    booking = booking_for(attending, patient, "PTA-FP")
    login(client, attending)
    page = client.get(reverse("readiness-booking", args=[booking.pk])).content.decode()
    assert "Operator&#x27;s choice" in page or "Operator's choice" in page
    response = client.post(
        reverse("readiness-bleeding-risk", args=[booking.pk]), {"category": "low"}
    )
    assert response.status_code == 302
    view = booking_readiness(actor=attending, booking_id=booking.pk)
    (category,) = [f for f in view.findings if f["rule_id"] == "sir-2019.category"]
    assert category["status"] == "pass"


def test_physician_overrides_a_finding_from_the_page(client, attending, nurse, patient):
    booking = nearly_ready(attending, patient)
    view = booking_readiness(actor=attending, booking_id=booking.pk)
    (inr,) = [f for f in view.findings if f["rule_id"] == "sir-2019.inr.high-risk"]
    url = reverse("readiness-acknowledge", args=[booking.pk])
    login(client, nurse)
    assert client.post(url, {"finding_key": inr["key"], "reason": "x"}).status_code == 403
    login(client, attending)
    response = client.post(url, {"finding_key": inr["key"], "reason": "POC INR 1.0 in room"})
    assert response.status_code == 302
    page = client.get(reverse("readiness-booking", args=[booking.pk])).content.decode()
    assert "Acknowledged" in page and "POC INR 1.0 in room" in page
    assert "Needs review" in page


def test_admin_sets_a_policy_value_and_an_out_of_range_one_is_refused(client, personas):
    login(client, personas["admin"])
    url = reverse("readiness-policy")
    ok = client.post(
        url, {"rule_id": "irflow-site.lab-validity", "param": "inr_days", "value": "14"}
    )
    assert ok.status_code == 302
    assert policy_settings().overrides == {"irflow-site.lab-validity": {"inr_days": 14}}
    refused = client.post(
        url, {"rule_id": "sir-2019.inr.low-risk", "param": "inr_max", "value": "3.5"}
    )
    assert refused.status_code == 422
    assert "outside the published range 2–3 INR" in refused.content.decode()
    reset = client.post(
        url, {"rule_id": "irflow-site.lab-validity", "param": "inr_days", "reset": "1"}
    )
    assert reset.status_code == 302 and policy_settings().overrides == {}
    login(client, personas["nurse"])
    assert client.post(url, {"rule_id": "x", "param": "y", "value": "1"}).status_code == 403


def test_preparation_answers_404_for_a_missing_booking_and_403_for_a_role_that_may_not(
    client, attending, nurse, personas, patient
):
    booking = booking_for(attending, patient, "PCN")
    url = reverse("readiness-preparation", args=[booking.pk])
    login(client, nurse)
    missing = reverse("readiness-preparation", args=[booking.pk + 1000])
    assert client.post(missing, {"consent": "signed"}).status_code == 404

    login(client, personas["technologist"])  # may see the preparation, not record it
    assert client.get(url).status_code == 200
    assert client.post(url, {"consent": "signed"}).status_code == 403
    assert not Preparation.objects.filter(booking=booking, consent="signed").exists()


def test_a_refused_quick_form_keeps_what_was_typed_beside_it(client, attending, patient):
    """A lab value the patients app refuses, or an acknowledgement without a reason: the page
    comes back with the typed value in its field and the reason beside it."""
    booking = nearly_ready(attending, patient)
    login(client, attending)
    page = client.post(
        reverse("readiness-lab", args=[booking.pk]),
        {"analyte": "inr", "value": "-3", "collected_at": "2026-01-05T08:00"},
    )
    assert page.status_code == 422
    html = page.content.decode()
    assert 'value="-3"' in html and 'value="2026-01-05T08:00"' in html
    assert 'role="alert"' in html
    view = client.get(reverse("readiness-booking", args=[booking.pk])).content.decode()
    key = re.search(r'name="finding_key" value="([0-9a-f]+)"', view).group(1)
    refused = client.post(
        reverse("readiness-acknowledge", args=[booking.pk]), {"finding_key": key, "reason": " "}
    )
    assert refused.status_code == 422
    assert '<details class="add" open>' in refused.content.decode()


def test_warfarin_without_a_thrombotic_risk_asks_for_it_then_names_the_bridge(
    client, nurse, attending, patient
):
    booking = nearly_ready(attending, patient)
    medication_add(
        actor=attending,
        patient_id=patient.pk,
        name="Warfarin 3 mg",
        drug="warfarin",
        dose="3",
        dose_unit="mg",
        frequency="od",
        dose_times=["18:00"],
    )
    login(client, nurse)
    page = client.get(reverse("readiness-booking", args=[booking.pk])).content.decode()
    assert msg.BRIDGING_RISK_MISSING.format(label="Warfarin") in page
    bridging = [
        f
        for f in booking_readiness(actor=nurse, booking_id=booking.pk).findings
        if f["rule_id"] == "sir-2019.warfarin.bridging"
    ]
    assert [f["status"] for f in bridging] == ["warning"]

    preparation_update(actor=nurse, booking_id=booking.pk, thrombotic_risk="high")
    page = client.get(reverse("readiness-booking", args=[booking.pk])).content.decode()
    assert "bridge with low-molecular-weight heparin (LMWH) while Warfarin is interrupted" in page
