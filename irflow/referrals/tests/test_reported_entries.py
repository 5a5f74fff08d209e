"""Medications and allergies in a referral reach the chart as "reported — to confirm"."""

from __future__ import annotations

import pytest

from irflow.lib.errors import ValidationFailed
from irflow.patients.models import Allergy, Medication, Reconciliation
from irflow.referrals.tests.test_referrals import api

pytestmark = pytest.mark.django_db


def test_the_form_fields_reach_the_chart(make_referral, cared_patient):
    referral = make_referral(
        medications="Apixaban 5 mg twice daily\nRamipril 5 mg od",
        allergies="Iodinated contrast — hives",
    )
    assert referral.medications == "Apixaban 5 mg twice daily\nRamipril 5 mg od"
    meds = list(Medication.objects.filter(patient=cared_patient).order_by("name"))
    assert [(m.name, m.drug, m.reconciliation) for m in meds] == [
        ("Apixaban 5 mg twice daily", "apixaban", Reconciliation.REPORTED),
        ("Ramipril 5 mg od", "", Reconciliation.REPORTED),
    ]
    assert meds[0].reported_by.startswith(f"Referral {referral.pk} · ")
    (allergy,) = Allergy.objects.filter(patient=cared_patient)
    assert (allergy.category, allergy.reconciliation) == ("iodinated_contrast", "reported")


def test_nothing_written_means_nothing_reported(make_referral, cared_patient):
    make_referral()
    assert not Medication.objects.filter(patient=cared_patient).exists()
    assert not Allergy.objects.filter(patient=cared_patient).exists()


def test_a_refused_list_refuses_the_whole_referral(make_referral, cared_patient):
    with pytest.raises(ValidationFailed) as refused:
        make_referral(allergies="\n".join(["Latex"] * 31))
    assert "allergies" in refused.value.errors
    assert not cared_patient.referrals.exists()


def test_the_api_takes_lists(client, personas, cared_patient):
    response = client.post(
        "/api/referrals",
        data={
            "patient_id": cared_patient.pk,
            "clinical_question": "Port?",
            "urgency": "routine",
            "procedure_code": "PICC",
            "medications": ["Rivaroxaban 20 mg daily"],
            "allergies": ["Contrast: anaphylaxis"],
        },
        **api(client, personas["referrer"]),
    )
    assert response.status_code == 201, response.content
    assert response.json()["allergies"] == "Contrast: anaphylaxis"
    (med,) = Medication.objects.filter(patient=cared_patient)
    assert (med.drug, med.frequency, med.reconciliation) == ("rivaroxaban", "od", "reported")
    (allergy,) = Allergy.objects.filter(patient=cared_patient)
    assert (allergy.category, allergy.severity) == ("iodinated_contrast", "severe")
