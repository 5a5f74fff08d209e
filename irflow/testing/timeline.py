"""A patient with something of every kind on the timeline, made through the services (the
timeline's tests and its browser test)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from irflow.board.services import board_decision_record
from irflow.followup.services import followup_create
from irflow.outcomes.services import adverse_event_record, followup_outcome_record
from irflow.patients.services import care_relation_add
from irflow.testing.cases import procedure_world
from irflow.testing.dose import dose_world
from irflow.testing.outcomes import NO_HARM
from irflow.testing.referrals import journey_world


def timeline_world(personas: dict, patient) -> dict:
    """Referrals (one on a board agenda, decided), bookings, procedures with their reports
    (final with an unsigned addendum, awaiting co-signature, draft), a device in situ, a dose
    alert with its skin check, an adverse event and a recorded follow-up outcome."""
    attending = personas["attending"]
    # The referrer cares for the patient (they referred them).
    care_relation_add(patient_id=patient.pk, clinician_id=personas["referrer"].pk)
    ids = journey_world(personas, patient)
    board_decision_record(
        actor=attending,
        case_id=ids["case_id"],
        decision="other_treatment",
        recommended_treatment="Surgical port placement",
        rationale="Port preferred by oncology.",
    )
    ids |= procedure_world(personas, patient)
    ids |= dose_world(attending, patient)
    adverse_event_record(
        actor=attending,
        procedure_id=ids["recovery_procedure_id"],
        onset_at=timezone.now() - timedelta(days=2),
        detection="recovery",
        description="Small groin haematoma\nManual compression, resolved.",
        sir_grade="mild",
        attribution="procedure",
        outcome="resolved",
        therapy=NO_HARM["therapy"],
        care_level=NO_HARM["care_level"],
        hospital_stay=NO_HARM["hospital_stay"],
        life_threatening=NO_HARM["life_threatening"],
        sequelae=NO_HARM["sequelae"],
    )
    call = followup_create(
        actor=attending,
        patient_id=patient.pk,
        kind="call",
        description="Call about the groin",
        due_date=timezone.localdate() - timedelta(days=1),
    )
    followup_outcome_record(actor=attending, task_id=call.pk, contact="call", pain_score=2)
    return ids
