"""What a referrer wrote reaches the chart as "reported — to confirm"; the team confirms (with
corrections) or rejects each entry in one step, recorded with who and when."""

from __future__ import annotations

from decimal import Decimal

import pytest
from auditlog.models import LogEntry

from irflow.lib.errors import Conflict, Forbidden, ValidationFailed
from irflow.patients import services
from irflow.patients.models import Allergy, Medication, Reconciliation
from irflow.patients.reported import allergy_from_text, lines, medication_from_text
from irflow.testing.fixtures import login


@pytest.mark.parametrize(
    ("text", "drug", "frequency", "dose"),
    [
        ("Apixaban 5 mg twice daily", "apixaban", "bd", Decimal(5)),
        ("Eliquis 2.5mg BD", "apixaban", "bd", Decimal("2.5")),
        ("warfarin 3 mg od", "warfarin", "od", Decimal(3)),
        ("Clopidogrel 75 mg daily", "clopidogrel", "od", Decimal(75)),
        ("Metformin 500 mg tds", "", "tds", Decimal(500)),
        ("Enoxaparin 80 mg bd", "", "bd", Decimal(80)),  # two variants: the team chooses
        ("Ramipril", "", None, None),
    ],
)
def test_a_medication_line_is_read_for_what_it_makes_plain(text, drug, frequency, dose):
    fields = medication_from_text(text)
    assert fields["name"] == text
    assert fields["drug"] == drug
    assert fields["is_antithrombotic"] == bool(drug)
    assert fields.get("frequency") == frequency
    assert fields.get("dose") == dose


@pytest.mark.parametrize(
    ("text", "category", "severity", "agent", "reaction"),
    [
        ("Iodinated contrast — hives", "iodinated_contrast", "", "Iodinated contrast", "hives"),
        (
            "CT contrast: anaphylaxis 2019",
            "iodinated_contrast",
            "severe",
            "CT contrast",
            "anaphylaxis 2019",
        ),
        ("Omnipaque (rash)", "iodinated_contrast", "", "Omnipaque", "rash"),
        ("Gadolinium - mild nausea", "gadolinium", "mild", "Gadolinium", "mild nausea"),
        ("Penicillin", "drug", "", "Penicillin", ""),
        ("Shellfish", "shellfish", "", "Shellfish", ""),
        ("Cats", "other", "", "Cats", ""),
    ],
)
def test_an_allergy_line_is_read_for_what_it_makes_plain(text, category, severity, agent, reaction):
    assert allergy_from_text(text) == {
        "agent": agent,
        "category": category,
        "severity": severity,
        "reaction": reaction,
    }


def test_lines_are_trimmed_and_blank_ones_dropped():
    assert lines("• Apixaban 5 mg bd\n\n - Aspirin 75 mg od ;\n") == [
        "Apixaban 5 mg bd",
        "Aspirin 75 mg od",
    ]
    assert lines(["  Latex ", ""]) == ["Latex"]


@pytest.fixture
def reported(db, attending, patient):
    meds, allergies = services.reported_entries_add(
        actor=attending,
        patient_id=patient.pk,
        reported_by="Referral 1 · Dr Ng",
        medications="Apixaban 5 mg twice daily",
        allergies="Iodinated contrast — hives",
    )
    return meds[0], allergies[0]


def test_reported_entries_wait_for_confirmation(reported):
    med, allergy = reported
    assert med.reconciliation == allergy.reconciliation == Reconciliation.REPORTED
    assert med.active and allergy.is_active  # present until the team decides
    assert med.drug == "apixaban" and med.is_antithrombotic and med.frequency == "bd"
    assert allergy.category == "iodinated_contrast" and allergy.severity == ""
    assert med.reported_text == "Apixaban 5 mg twice daily"
    assert med.reported_by == "Referral 1 · Dr Ng"


def test_the_nurse_confirms_with_corrections_and_it_is_recorded(nurse, reported):
    med, allergy = reported
    services.medication_reconcile(
        actor=nurse, medication_id=med.pk, decision="confirm", dose_times=["08:00", "20:00"]
    )
    with pytest.raises(ValidationFailed) as refused:
        services.allergy_reconcile(actor=nurse, allergy_id=allergy.pk, decision="confirm")
    assert refused.value.errors == {"severity": [services.MSG_SEVERITY]}
    services.allergy_reconcile(
        actor=nurse, allergy_id=allergy.pk, decision="confirm", severity="moderate"
    )
    med.refresh_from_db()
    allergy.refresh_from_db()
    assert med.reconciliation == allergy.reconciliation == Reconciliation.CONFIRMED
    assert med.dose_times == ["08:00", "20:00"] and allergy.severity == "moderate"
    assert med.reconciled_by == nurse and med.reconciled_at is not None
    history = LogEntry.objects.get_for_object(allergy).order_by("timestamp")
    assert [e.actor for e in history][-1] == nurse
    assert "reconciliation" in history.last().changes_dict
    with pytest.raises(Conflict):
        services.allergy_reconcile(actor=nurse, allergy_id=allergy.pk, decision="reject")


def test_a_rejected_entry_is_kept_inactive(nurse, reported):
    med, allergy = reported
    services.medication_reconcile(actor=nurse, medication_id=med.pk, decision="reject")
    services.allergy_reconcile(actor=nurse, allergy_id=allergy.pk, decision="reject")
    med = Medication.objects.get(pk=med.pk)
    allergy = Allergy.objects.get(pk=allergy.pk)
    assert med.reconciliation == allergy.reconciliation == Reconciliation.REJECTED
    assert not med.active and not allergy.is_active
    assert med.reconciled_by == nurse


def test_who_may_decide_and_how(referrer, nurse, reported):
    med, _ = reported
    with pytest.raises(Forbidden):
        services.medication_reconcile(actor=referrer, medication_id=med.pk, decision="confirm")
    with pytest.raises(ValidationFailed):
        services.medication_reconcile(actor=nurse, medication_id=med.pk, decision="maybe")  # type: ignore[arg-type]


def test_bad_input_is_refused_by_field(attending, patient):
    with pytest.raises(ValidationFailed) as refused:
        services.reported_entries_add(
            actor=attending,
            patient_id=patient.pk,
            reported_by="x",
            medications=["x" * 301],
        )
    assert "medications" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        services.reported_entries_add(
            actor=attending, patient_id=patient.pk, reported_by="x", allergies=["a"] * 31
        )
    assert "allergies" in refused.value.errors


def test_the_chart_confirms_and_rejects_in_one_click(client, nurse, patient, reported):
    med, allergy = reported
    login(client, nurse)
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Reported by the referrer — to confirm" in page
    assert "“Apixaban 5 mg twice daily”" in page
    url = f"/patients/{patient.pk}/allergy/{allergy.pk}/reconcile/"
    prefix = f"allergy-{allergy.pk}-"
    form = {
        prefix + "agent": "Iodinated contrast",
        prefix + "category": "iodinated_contrast",
        prefix + "reaction": "hives",
        "decision": "confirm",
    }
    refused = client.post(url, form)
    assert refused.status_code == 422
    assert services.MSG_SEVERITY in refused.content.decode()
    done = client.post(url, {**form, prefix + "severity": "moderate"})
    assert done.status_code == 302
    rejected = client.post(
        f"/patients/{patient.pk}/medication/{med.pk}/reconcile/", {"decision": "reject"}
    )
    assert rejected.status_code == 302
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Reported by the referrer — to confirm" not in page
