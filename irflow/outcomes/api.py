"""Outcomes over REST: adverse events and follow-up visit outcomes (thin handlers)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Router, Schema, Status

from irflow.clinical.grading import (
    CareLevel,
    HospitalStay,
    LifeThreatening,
    Sequelae,
    Therapy,
    suggest,
)
from irflow.lib.apischema import Moment, perm
from irflow.outcomes import selectors, services
from irflow.outcomes.models import (
    AeOutcome,
    Attribution,
    ContactKind,
    Detection,
    ImagingResponse,
    NormalActivity,
)

FACT_HELP = (
    'The facts decide the suggested grade in each system; "unknown" for a fact not known '
    "yet. Contradictory entries (death with outcome resolved, …) are refused with 422."
)
router = Router()
API_PREFIX = "/outcomes"
API_TAGS = ["outcomes"]


class AdverseEventOut(Schema):
    id: int
    patient_id: int
    procedure_id: int | None
    onset_at: datetime
    detection: str
    description: str
    sir_grade: str
    sir_grade_label: str
    legacy_sir_class: str
    legacy_sir_major_minor: str
    cirse_grade: str
    attribution: str
    management: str
    outcome: str
    therapy: str = Field(description="Blank for an event recorded before the facts were.")
    care_level: str
    hospital_stay: str
    life_threatening: str
    sequelae: str
    grade_reason: str
    suggested: list[dict] = Field(
        description="Per system, the grades the recorded facts give (rule id, version, "
        "confidence); several while a fact is not known."
    )


class AdverseEventIn(Schema):
    procedure_id: int | None = None
    patient_id: int | None = None
    onset_at: Moment
    detection: Detection
    description: str = Field(min_length=1, max_length=5000)
    sir_grade: str = Field(description="SIR 2017: mild, moderate, severe, life_threatening, death")
    legacy_sir_class: str = Field("", description="Optional legacy SIR class A–F.")
    cirse_grade: str = Field("", description="Optional CIRSE 2017 grade 1–6.")
    attribution: Attribution
    management: str = Field("", max_length=5000)
    outcome: AeOutcome
    therapy: Therapy = Field(description=FACT_HELP)
    care_level: CareLevel
    hospital_stay: HospitalStay
    life_threatening: LifeThreatening
    sequelae: Sequelae
    grade_reason: str = Field(
        "", max_length=2000, description="Required when a grade differs from the facts' grade."
    )


class VisitOutcomeIn(Schema):
    contact: ContactKind
    pain_score: int | None = None
    symptoms: str = Field("", max_length=2000)
    imaging_response: ImagingResponse = ImagingResponse.NOT_ASSESSED
    normal_activity: NormalActivity = NormalActivity.UNKNOWN
    note: str = Field("", max_length=2000)


class VisitOutcomeOut(Schema):
    id: int
    task_id: int
    contact: str
    pain_score: int | None
    symptoms: str
    imaging_response: str
    normal_activity: str
    note: str
    summary: str

    @staticmethod
    def resolve_summary(obj) -> str:
        return obj.summary()


def _ae(line) -> dict:
    e = line.event
    return {
        "id": e.pk,
        "patient_id": e.patient_id,
        "procedure_id": e.record_id,
        "onset_at": e.onset_at,
        "detection": e.detection,
        "description": e.description,
        "sir_grade": e.sir_grade,
        "sir_grade_label": line.sir_label,
        "legacy_sir_class": e.legacy_sir_class,
        "legacy_sir_major_minor": line.legacy_class,
        "cirse_grade": e.cirse_grade,
        "attribution": e.attribution,
        "management": e.management,
        "outcome": e.outcome,
        "therapy": e.therapy,
        "care_level": e.care_level,
        "hospital_stay": e.hospital_stay,
        "life_threatening": e.life_threatening,
        "sequelae": e.sequelae,
        "grade_reason": e.grade_reason,
        "suggested": [
            s.to_dict()
            for s in suggest(
                {
                    "therapy": e.therapy,
                    "care_level": e.care_level,
                    "hospital_stay": e.hospital_stay,
                    "life_threatening": e.life_threatening,
                    "sequelae": e.sequelae,
                },
                e.outcome,
            ).values()
        ],
    }


@router.post(
    "/adverse-events",
    response={201: AdverseEventOut},
    openapi_extra=perm("adverse_event.record", errors=(404,)),
)
def adverse_event_record(request, payload: AdverseEventIn):
    """Record an adverse event (grades checked against the clinical core's systems)."""
    event = services.adverse_event_record(actor=request.auth, **payload.dict())
    return Status(201, _ae(selectors._line(event)))


@router.get(
    "/patients/{patient_id}/adverse-events",
    response=list[AdverseEventOut],
    openapi_extra=perm("adverse_event.view"),
)
def adverse_events_for_patient(request, patient_id: int):
    lines = selectors.adverse_events_for_patient(actor=request.auth, patient_id=patient_id)
    return [_ae(line) for line in lines]


@router.post(
    "/followup/{followup_task_id}",
    response={201: VisitOutcomeOut},
    openapi_extra=perm("followup.manage"),
)
def followup_outcome_record(request, followup_task_id: int, payload: VisitOutcomeIn):
    """Record what a follow-up call or visit found; the task is completed with it."""
    outcome = services.followup_outcome_record(
        actor=request.auth, task_id=followup_task_id, **payload.dict()
    )
    return Status(201, outcome)
