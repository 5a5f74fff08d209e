"""The multidisciplinary board over REST: meetings, agenda, decisions."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Router, Schema, Status

from irflow.accounts.permissions import require
from irflow.board import selectors, services
from irflow.board.models import BoardCase, BoardMeeting, Decision
from irflow.lib.apischema import Moment, NestedIn, perm
from irflow.orders.models import Laterality, Priority
from irflow.orders.services import procedure_by_code

router = Router()
API_PREFIX = "/board"
API_TAGS = ["board"]


class AttendeeIn(NestedIn):
    name: str = Field(min_length=1, max_length=150)
    specialty: str = Field("", max_length=100)


class AttendeeOut(Schema):
    name: str
    specialty: str


class MeetingIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    held_at: Moment
    location: str = Field("", max_length=200)
    specialties: list[str] = Field(default_factory=list, max_length=20)
    attendees: list[AttendeeIn] = Field(default_factory=list, max_length=50)


class MeetingOut(Schema):
    id: int
    title: str
    held_at: datetime
    location: str
    specialties: list[str]
    attendees: list[AttendeeOut]

    @staticmethod
    def resolve_attendees(obj: BoardMeeting) -> list:
        return list(obj.attendees.all())


class CaseOut(Schema):
    id: int
    position: int
    referral_id: int
    patient_id: int
    decision: str
    recommended_treatment: str
    rationale: str
    agreed_by: str
    decided_at: datetime | None
    order_id: int | None

    @staticmethod
    def resolve_patient_id(obj: BoardCase) -> int:
        return obj.referral.patient_id


class AgendaOut(Schema):
    id: int
    title: str
    held_at: datetime
    location: str
    specialties: list[str]
    attendees: list[AttendeeOut]
    cases: list[CaseOut]


class BoardCaseIn(Schema):
    referral_id: int


class DecisionIn(Schema):
    decision: Decision
    recommended_treatment: str = Field("", max_length=300)
    rationale: str = Field(min_length=1, max_length=4000)
    agreed_by: str = Field("", max_length=300)
    procedure_code: str = Field("", max_length=20, description="For IR treatment.")
    priority: Priority | None = None
    laterality: Laterality | None = None
    site: str | None = Field(None, max_length=100)


def _agenda(request, meeting_id: int) -> dict:
    agenda = selectors.board_meeting_get(actor=request.auth, meeting_id=meeting_id)
    meeting = agenda.meeting
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "held_at": meeting.held_at,
        "location": meeting.location,
        "specialties": meeting.specialties,
        "attendees": list(meeting.attendees.all()),
        "cases": agenda.cases,
    }


@router.get("/meetings", response=list[MeetingOut], openapi_extra=perm("board.view"))
def meeting_list(request, upcoming: bool | None = None):
    """Board meetings (newest first; `upcoming=true` for the next ones, soonest first)."""
    return selectors.board_meetings(actor=request.auth, upcoming=upcoming)


@router.post("/meetings", response={201: MeetingOut}, openapi_extra=perm("board.manage"))
def meeting_create(request, payload: MeetingIn):
    meeting = services.board_meeting_create(
        actor=request.auth,
        title=payload.title,
        held_at=payload.held_at,
        location=payload.location,
        specialties=payload.specialties,
        attendees=[(a.name, a.specialty) for a in payload.attendees],
    )
    return Status(201, meeting)


@router.get("/meetings/{meeting_id}", response=AgendaOut, openapi_extra=perm("board.view"))
def meeting_get(request, meeting_id: int):
    """A meeting with its agenda and decisions."""
    return _agenda(request, meeting_id)


@router.post(
    "/meetings/{meeting_id}/cases", response={201: CaseOut}, openapi_extra=perm("board.manage")
)
def case_add(request, meeting_id: int, payload: BoardCaseIn):
    """Put a referral that was sent to the board on the agenda."""
    case = services.board_case_add(
        actor=request.auth, meeting_id=meeting_id, referral_id=payload.referral_id
    )
    return Status(201, case)


@router.post("/cases/{case_id}/decision", response=CaseOut, openapi_extra=perm("board.decide"))
def case_decide(request, case_id: int, payload: DecisionIn):
    """Record the decision; IR treatment orders the procedure (`procedure_code`)."""
    require(request.auth, "board.decide")
    return services.board_decision_record(
        actor=request.auth,
        case_id=case_id,
        decision=payload.decision,
        recommended_treatment=payload.recommended_treatment,
        rationale=payload.rationale,
        agreed_by=payload.agreed_by,
        procedure_type=procedure_by_code(payload.procedure_code, field="procedure_code")
        if payload.procedure_code
        else None,
        priority=payload.priority,
        laterality=payload.laterality,
        site=payload.site,
    )
