"""Merging duplicate records re-points everything and keeps the history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from auditlog.models import LogEntry

from irflow.lib.errors import Conflict, Forbidden, NotFound, ValidationFailed
from irflow.patients import selectors, services
from irflow.patients.models import LabResult, Patient, PatientMerge

pytestmark = pytest.mark.django_db


@pytest.fixture
def duplicate(attending):
    return services.patient_create(
        actor=attending,
        mrn="T0000002",
        family_name="Mueller",
        given_name="Joerg",
        birth_date="1956-04-12",
        sex="M",
    )


def test_merge_moves_records_and_keeps_the_duplicate(personas, patient, duplicate):
    nurse, scheduler = personas["nurse"], personas["scheduler"]
    services.lab_result_record(
        actor=nurse,
        patient_id=duplicate.pk,
        analyte="inr",
        value="1.2",
        collected_at=datetime(2026, 1, 2, 9, tzinfo=UTC),
    )
    services.allergy_add(
        actor=nurse, patient_id=duplicate.pk, agent="Latex", category="latex", severity="severe"
    )
    merge = services.patient_merge(
        actor=scheduler, source_id=duplicate.pk, target_id=patient.pk, reason="Same person"
    )
    duplicate.refresh_from_db()
    assert duplicate.is_active is False and duplicate.merged_into_id == patient.pk
    assert LabResult.objects.get().patient_id == patient.pk
    assert sorted(i.value for i in patient.identifiers.all()) == ["T0000001", "T0000002"]
    assert set(merge.moved) >= {
        "patients.LabResult",
        "patients.Allergy",
        "patients.PatientIdentifier",
    }
    assert PatientMerge.objects.filter(
        source=duplicate, target=patient, merged_by=scheduler
    ).exists()
    assert LogEntry.objects.filter(object_pk=str(duplicate.pk), actor=scheduler).exists()
    with pytest.raises(NotFound, match="merged into"):
        selectors.patient_get(actor=scheduler, patient_id=duplicate.pk)


def test_merge_refusals(personas, patient, duplicate):
    with pytest.raises(Forbidden):
        services.patient_merge(
            actor=personas["nurse"], source_id=duplicate.pk, target_id=patient.pk, reason="x"
        )
    with pytest.raises(ValidationFailed):
        services.patient_merge(
            actor=personas["scheduler"], source_id=patient.pk, target_id=patient.pk, reason="x"
        )
    with pytest.raises(ValidationFailed):
        services.patient_merge(
            actor=personas["scheduler"], source_id=duplicate.pk, target_id=patient.pk, reason=" "
        )
    services.patient_merge(
        actor=personas["scheduler"], source_id=duplicate.pk, target_id=patient.pk, reason="dup"
    )
    with pytest.raises(Conflict):
        services.patient_merge(
            actor=personas["scheduler"],
            source_id=duplicate.pk,
            target_id=patient.pk,
            reason="again",
        )
    assert Patient.objects.filter(is_active=True).count() == 1
    missing = Patient.objects.order_by("-pk").first().pk + 1
    with pytest.raises(NotFound, match="target_id"):
        services.patient_merge(
            actor=personas["scheduler"], source_id=patient.pk, target_id=missing, reason="dup"
        )
    with pytest.raises(NotFound, match="source_id"):
        services.patient_merge(
            actor=personas["scheduler"], source_id=missing, target_id=patient.pk, reason="dup"
        )
