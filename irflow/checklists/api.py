"""Checklists over REST: the phases of a booking, and completing one (once, for good)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Router, Schema, Status

from irflow.checklists import selectors, services
from irflow.lib.apischema import perm

router = Router()
API_PREFIX = "/checklists"
API_TAGS = ["checklists"]


class ItemOut(Schema):
    id: str
    text: str
    required: bool
    applies_when: str | None
    source: str
    confidence: Literal["V", "S", "U"]
    verified: bool
    answer: str | None = None


class RecordOut(Schema):
    phase: str
    items: list[ItemOut]
    present: list[dict[str, Any]]
    readiness_state: str
    emergent: bool
    open_findings: list[dict[str, Any]]
    note: str
    completed_at: datetime
    completed_by: str

    @staticmethod
    def resolve_completed_by(obj) -> str:
        return str(obj.completed_by)


class PhaseOut(Schema):
    phase: str
    label: str
    items: list[ItemOut]
    record: RecordOut | None
    available: bool
    blocked_by: list[dict[str, Any]]

    @staticmethod
    def resolve_items(obj) -> list[dict[str, Any]]:
        return [i.to_dict() for i in obj.items]


class ChecklistsOut(Schema):
    booking_id: int
    readiness_state: str
    emergent: bool
    phases: list[PhaseOut]


class CompleteIn(Schema):
    phase: Literal["sign_in", "time_out", "sign_out"]
    done: list[str] = Field(default_factory=list, max_length=50)
    not_applicable: list[str] = Field(default_factory=list, max_length=50)
    present: list[int] = Field(default_factory=list, max_length=30)
    note: str = Field("", max_length=500)


@router.get("/bookings/{booking_id}", response=ChecklistsOut, openapi_extra=perm("checklist.view"))
def booking_checklists(request, booking_id: int):
    """Sign-in, time-out and sign-out of a booking: items with sources, records, blockers."""
    view = selectors.booking_checklists(actor=request.auth, booking_id=booking_id)
    return {
        "booking_id": view.booking.pk,
        "readiness_state": view.readiness_state,
        "emergent": view.emergent,
        "phases": view.phases,
    }


@router.post(
    "/bookings/{booking_id}",
    response={201: RecordOut},
    openapi_extra=perm("checklist.complete"),
)
def checklist_complete(request, booking_id: int, payload: CompleteIn):
    """Complete one phase; a completed phase can never be changed."""
    record = services.checklist_complete(
        actor=request.auth, booking_id=booking_id, **payload.dict()
    )
    return Status(201, record)
