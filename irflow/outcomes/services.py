"""Writes of outcomes: adverse events graded with the clinical core's systems, and the
outcome of a follow-up call or visit (which completes its task)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person_only
from irflow.accounts.permissions import require
from irflow.clinical import grade, grade_system, rule
from irflow.clinical.grading import (
    contradictions,
    entries,
    fact_errors,
    grade_conflicts,
    suggest,
)
from irflow.followup.models import FollowUpTask
from irflow.followup.services import followup_complete
from irflow.lib.errors import Conflict, NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.outcomes.models import (
    AdverseEvent,
    AeOutcome,
    Attribution,
    ContactKind,
    Detection,
    FollowUpOutcome,
    ImagingResponse,
    NormalActivity,
)
from irflow.patients.selectors import patient_get
from irflow.procedures.selectors import procedure_get
from irflow.recovery.services import parse_pain_score

SIR_2017, LEGACY, CIRSE = "sir-2017", "sir-legacy", "cirse-2017"
MSG_DESCRIPTION = "Describe the adverse event."
MSG_CHOICE = "“{value}” is not one of the choices."
MSG_NAIVE = "Give the onset time with its time zone."
MSG_ONSET_FUTURE = "The onset cannot be in the future."
MSG_ONSET_BEFORE = "The onset cannot be before the procedure started ({at})."
MSG_PATIENT_OR_PROCEDURE = "Give the procedure (or, for an event after discharge, the patient)."
MSG_OTHER_PATIENT = "This procedure belongs to another patient."
MSG_TASK_NOT_FOUND = "No such follow-up task, or you may not see it."
MSG_TASK_CLOSED = "This follow-up task is already {status}."
MSG_GRADE_REASON = "Give the reason for the grade that differs from the recorded facts."
# The form field of each system's grade, and of the outcome and the sequelae, in messages.
GRADE_FIELDS = {
    SIR_2017: "sir_grade",
    LEGACY: "legacy_sir_class",
    CIRSE: "cirse_grade",
    "outcome": "outcome",
    "sequelae": "sequelae",
}
MSG_EMPTY_OUTCOME = "Record at least one finding: pain, symptoms, imaging response or activity."


def _grade(system: str, code: str, field: str, errors: dict[str, str]) -> None:
    try:
        grade(system, code)
    except ValueError as exc:
        errors[field] = str(exc)


@transaction.atomic
def adverse_event_record(
    *,
    actor: Actor,
    onset_at: datetime,
    detection: str,
    description: str,
    sir_grade: str,
    attribution: str,
    outcome: str,
    procedure_id: int | None = None,
    patient_id: int | None = None,
    legacy_sir_class: str = "",
    cirse_grade: str = "",
    management: str = "",
    therapy: str = "",
    care_level: str = "",
    hospital_stay: str = "",
    life_threatening: str = "",
    sequelae: str = "",
    grade_reason: str = "",
    now: datetime | None = None,
) -> AdverseEvent:
    """Record an adverse event: the facts (each may be "unknown", none left out) and its
    grades, SIR 2017 required. Contradictory entries are refused; a grade the facts do not
    give needs `grade_reason`."""

    require(actor, "adverse_event.record")
    record = None
    if procedure_id is not None:
        record = procedure_get(
            actor=actor,
            procedure_id=procedure_id,
            what="adverse event",
            action="adverse_event.record",
        )
        if patient_id is not None and patient_id != record.patient_id:
            raise ValidationFailed({"patient_id": MSG_OTHER_PATIENT})
        patient = record.patient
    elif patient_id is not None:
        patient = patient_get(actor=actor, patient_id=patient_id, what="adverse event")
    else:
        raise ValidationFailed({"procedure_id": MSG_PATIENT_OR_PROCEDURE})
    errors: dict[str, str] = {}
    if not (description or "").strip():
        errors["description"] = MSG_DESCRIPTION
    for field, value, choices in (
        ("detection", detection, Detection.values),
        ("attribution", attribution, Attribution.values),
        ("outcome", outcome, AeOutcome.values),
    ):
        if value not in choices:
            errors[field] = MSG_CHOICE.format(value=value)
    _grade(SIR_2017, sir_grade, "sir_grade", errors)
    if legacy_sir_class:
        _grade(LEGACY, legacy_sir_class, "legacy_sir_class", errors)
    if cirse_grade:
        _grade(CIRSE, cirse_grade, "cirse_grade", errors)
    facts = {
        "therapy": therapy,
        "care_level": care_level,
        "hospital_stay": hospital_stay,
        "life_threatening": life_threatening,
        "sequelae": sequelae,
    }
    errors.update(fact_errors(facts))
    grade_reason = (grade_reason or "").strip()
    if not errors:
        grades = {SIR_2017: sir_grade, LEGACY: legacy_sir_class, CIRSE: cirse_grade}
        errors.update(contradictions(entries(grades, outcome, sequelae, GRADE_FIELDS)))
        if not errors and not grade_reason:
            conflicts = grade_conflicts(grades, suggest(facts, outcome), GRADE_FIELDS)
            if conflicts:
                errors.update(conflicts)
                errors["grade_reason"] = MSG_GRADE_REASON
    if onset_at is None or timezone.is_naive(onset_at):
        errors["onset_at"] = MSG_NAIVE
    else:
        if onset_at > (now or timezone.now()) + timedelta(minutes=5):
            errors["onset_at"] = MSG_ONSET_FUTURE
        started = record.started_at or record.in_room_at if record is not None else None
        if started is not None and onset_at < started:
            errors["onset_at"] = MSG_ONSET_BEFORE.format(
                at=timezone.localtime(started).strftime("%d %b %H:%M")
            )
    if errors:
        raise ValidationFailed(errors)
    with history_actor(actor):
        return AdverseEvent.objects.create(
            patient=patient,
            record=record,
            onset_at=onset_at,
            detection=detection,
            description=description.strip(),
            sir_grade=sir_grade,
            legacy_sir_class=legacy_sir_class,
            cirse_grade=cirse_grade,
            attribution=attribution,
            management=(management or "").strip(),
            outcome=outcome,
            grade_reason=grade_reason,
            **facts,
            grading_rule_version=rule(grade_system(SIR_2017).rule_id).rule_set_version,
            recorded_by=person_only(actor),
        )


@transaction.atomic
def followup_outcome_record(
    *,
    actor: Actor,
    task_id: int,
    contact: str,
    pain_score: Any = None,
    symptoms: str = "",
    imaging_response: str = "",
    normal_activity: str = "",
    note: str = "",
) -> FollowUpOutcome:
    """Record what a follow-up call or visit found, and complete the task with it."""

    require(actor, "followup.manage")
    task = FollowUpTask.objects.select_for_update().filter(pk=task_id).first()
    if task is None:
        raise NotFound(MSG_TASK_NOT_FOUND)
    if not task.is_pending:
        raise Conflict(MSG_TASK_CLOSED.format(status=task.get_status_display().lower()))
    errors: dict[str, str] = {}
    for field, value, choices in (
        ("contact", contact, ContactKind.values),
        ("imaging_response", imaging_response or "", ImagingResponse.values),
        ("normal_activity", normal_activity or "", NormalActivity.values),
    ):
        if value not in choices:
            errors[field] = MSG_CHOICE.format(value=value)
    score = None
    if pain_score not in (None, ""):
        try:
            score = parse_pain_score(pain_score)
        except ValidationFailed as exc:
            errors["pain_score"] = exc.errors["score"][0]
    if not errors and not (
        score is not None or (symptoms or "").strip() or imaging_response or normal_activity
    ):
        errors["__all__"] = MSG_EMPTY_OUTCOME
    if errors:
        raise ValidationFailed(errors)
    with history_actor(actor):
        outcome = FollowUpOutcome.objects.create(
            task=task,
            patient_id=task.patient_id,
            contact=contact,
            pain_score=score,
            symptoms=(symptoms or "").strip(),
            imaging_response=imaging_response or "",
            normal_activity=normal_activity or "",
            note=(note or "").strip(),
            recorded_by=person_only(actor),
        )
    followup_complete(actor=actor, task_id=task.pk, outcome=outcome.summary())
    return outcome
