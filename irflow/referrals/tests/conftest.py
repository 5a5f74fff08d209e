"""Fixtures for referral tests: a patient in the referrer's care, a referral factory."""

from __future__ import annotations

from datetime import date

import pytest

from irflow.catalogue.models import ProcedureType
from irflow.patients.models import CareRelation
from irflow.patients.services import patient_create
from irflow.referrals.services import referral_create


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    return settings.MEDIA_ROOT


@pytest.fixture
def cared_patient(personas):
    """A patient the referrer cares for."""
    patient = patient_create(
        actor=personas["attending"],
        mrn="R0000001",
        family_name="Okonkwo",
        given_name="Ada",
        birth_date=date(1961, 3, 14),
        sex="F",
    )
    CareRelation.objects.create(patient=patient, clinician=personas["referrer"])
    return patient


@pytest.fixture
def make_referral(personas, cared_patient):
    def make(code: str | None = "PICC", **kwargs):
        values = {
            "actor": personas["referrer"],
            "patient_id": cared_patient.pk,
            "clinical_question": "Long-term venous access for antibiotics?",
            "urgency": "routine",
            "procedure_type": ProcedureType.objects.get(code=code) if code else None,
            "requested_procedure_text": "" if code else "Something for the line",
        }
        return referral_create(**{**values, **kwargs})

    return make
