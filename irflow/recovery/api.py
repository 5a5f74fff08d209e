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


class RecoveryOut(Schema):
    procedure_id: int
    started_at: datetime
    observations: str
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


@router.patch(
    "/{recovery_procedure_id}", response=RecoveryOut, openapi_extra=perm("recovery.record")
)
def recovery_update(request, recovery_procedure_id: int, payload: RecoveryPatch):
    services.recovery_update(
        actor=request.auth, procedure_id=recovery_procedure_id, **payload.dict()
    )
    return recovery_out(request, recovery_procedure_id)
