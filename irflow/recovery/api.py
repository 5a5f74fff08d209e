"""Recovery over REST: thin handlers over recovery.services and recovery.selectors."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Router, Schema, Status

from irflow.lib.apischema import Moment, perm
from irflow.lib.errors import NotFound
from irflow.procedures.selectors import procedure_get
from irflow.recovery import selectors, services
from irflow.recovery.selectors import banded

router = Router()
API_PREFIX = "/recovery"
API_TAGS = ["recovery"]


class PainOut(Schema):
    id: int
    score: int
    band: str | None
    recorded_at: datetime
    note: str


class VitalsOut(Schema):
    id: int
    recorded_at: datetime
    heart_rate_bpm: int | None
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    spo2_pct: int | None
    on_oxygen: bool
    resp_rate_per_min: int | None
    temperature_c: float | None
    consciousness: str
    pain_nrs: int | None
    activity: int | None
    respiration: int | None
    ambulation: int | None
    nausea: int | None
    bleeding: int | None


class RecoveryOut(Schema):
    procedure_id: int
    started_at: datetime
    observations: str
    baseline_systolic_mmhg: int | None
    baseline_heart_rate_bpm: int | None
    vital_signs: list[VitalsOut]
    discharge_criteria: list[dict] = Field(
        description="The modified Aldrete score (after sedation) and PADSS of the latest "
        "observations: items, total, pass mark, met, rule id and confidence."
    )
    discharged_at: datetime | None
    disposition: str
    admitted_to: str
    discharge_instructions: str
    length_of_stay_min: int | None
    pain_scores: list[PainOut]


class PainIn(Schema):
    score: int = Field(description="NRS 0–10; other values are refused (422).")
    recorded_at: Moment | None = None
    note: str = Field("", max_length=200)


class RecoveryPatch(Schema):
    observations: str | None = Field(None, max_length=5000)
    discharge_instructions: str | None = Field(None, max_length=10000)
    baseline_systolic_mmhg: int | None = Field(None, description="Pre-procedure, mmHg.")
    baseline_heart_rate_bpm: int | None = Field(None, description="Pre-procedure, /min.")


class VitalsIn(Schema):
    recorded_at: Moment | None = Field(
        None, description="Default now; refused in the future (2 min allowed for clock skew)."
    )
    heart_rate_bpm: int | None = None
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    spo2_pct: int | None = None
    on_oxygen: bool = False
    resp_rate_per_min: int | None = None
    temperature_c: float | None = None
    consciousness: str = Field("", description="AVPU: A, V, P or U.")
    pain_nrs: int | None = Field(None, description="NRS 0–10, kept in the pain series.")
    activity: int | None = Field(None, description="Aldrete item, 0–2 points.")
    respiration: int | None = Field(None, description="Aldrete item, 0–2 points.")
    ambulation: int | None = Field(None, description="PADSS item, 0–2 points.")
    nausea: int | None = Field(None, description="PADSS item, 0–2 points.")
    bleeding: int | None = Field(None, description="PADSS item, 0–2 points.")


def vitals_out(v) -> dict:
    """One set of vital signs as the API shows it."""
    data = {name: getattr(v, name) for name in VitalsOut.model_fields if name != "pain_nrs"}
    data["id"] = v.pk
    data["temperature_c"] = float(v.temperature_c) if v.temperature_c is not None else None
    data["pain_nrs"] = v.pain.score if v.pain_id else None
    return data


def recovery_out(request, procedure_id: int) -> dict:
    """The recovery of a procedure as the API shows it."""

    record = procedure_get(actor=request.auth, procedure_id=procedure_id, what="recovery")
    view = selectors.recovery_for_procedure(actor=request.auth, record=record)
    if view is None:
        raise NotFound(services.MSG_NOT_FOUND)
    e = view.episode
    return {
        "procedure_id": record.pk,
        "started_at": e.started_at,
        "observations": e.observations,
        "baseline_systolic_mmhg": e.baseline_systolic_mmhg,
        "baseline_heart_rate_bpm": e.baseline_heart_rate_bpm,
        "vital_signs": [vitals_out(v) for v in view.vitals],
        "discharge_criteria": [s.to_dict() for s in view.criteria.scores] if view.criteria else [],
        "discharged_at": e.discharged_at,
        "disposition": e.disposition,
        "admitted_to": e.admitted_to,
        "discharge_instructions": e.discharge_instructions,
        "length_of_stay_min": e.length_of_stay_min,
        "pain_scores": [
            {
                "id": s.score.pk,
                "score": s.score.score,
                "band": s.band,
                "recorded_at": s.score.recorded_at,
                "note": s.score.note,
            }
            for s in view.scores
        ],
    }


@router.get("/{recovery_procedure_id}", response=RecoveryOut, openapi_extra=perm("procedure.view"))
def recovery_get(request, recovery_procedure_id: int):
    """Recovery of a procedure: observations, pain scores with their bands, discharge."""
    return recovery_out(request, recovery_procedure_id)


@router.post(
    "/{recovery_procedure_id}/pain-scores",
    response={201: PainOut},
    openapi_extra=perm("recovery.record"),
)
def pain_score_record(request, recovery_procedure_id: int, payload: PainIn):
    """Record an NRS pain score (0–10)."""

    score = services.pain_score_record(
        actor=request.auth, procedure_id=recovery_procedure_id, **payload.dict()
    )
    line = banded([score])[0]
    return Status(
        201,
        {
            "id": score.pk,
            "score": score.score,
            "band": line.band,
            "recorded_at": score.recorded_at,
            "note": score.note,
        },
    )


@router.post(
    "/{recovery_procedure_id}/vital-signs",
    response={201: VitalsOut},
    openapi_extra=perm("recovery.record"),
)
def vital_signs_record(request, recovery_procedure_id: int, payload: VitalsIn):
    """Record one set of vital signs (any value may be left out, not all); 422 naming each
    implausible value, a time in the future or before the patient left the room."""
    vitals = services.vital_signs_record(
        actor=request.auth, procedure_id=recovery_procedure_id, **payload.dict()
    )
    return Status(201, vitals_out(vitals))


@router.patch(
    "/{recovery_procedure_id}", response=RecoveryOut, openapi_extra=perm("recovery.record")
)
def recovery_update(request, recovery_procedure_id: int, payload: RecoveryPatch):
    services.recovery_update(
        actor=request.auth, procedure_id=recovery_procedure_id, **payload.dict()
    )
    return recovery_out(request, recovery_procedure_id)
