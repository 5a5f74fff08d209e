"""The day of the case over REST, at the paths of the apps it composes: moving a patient along
(`/scheduling/bookings/{id}/status`) and the department board; check-in, the record's groups
and completion (`/procedures/...`); the discharge (`/recovery/{id}/discharge`); and the rules
themselves — what they say of a booking now, the emergency override, the modality's flags
(`/day/...`). A refusal by a rule is 409 with `rules` naming each rule and what is missing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from irflow.checklists.services import safety_flag_review
from irflow.dayofcase import selectors, services, versions
from irflow.dayofcase.cases import cases_for
from irflow.dayofcase.guards import RULES, Move, verdict
from irflow.lib.apischema import Moment, perm
from irflow.procedures.api import ProcedureOut
from irflow.procedures.selectors import procedure_get
from irflow.recovery.api import RecoveryOut, recovery_out
from irflow.recovery.models import Disposition
from irflow.scheduling.api import BookingOut
from irflow.scheduling.models import BookingStatus
from irflow.scheduling.selectors import booking_get

scheduling = Router()
procedures = Router()
recovery = Router()
rules = Router()
ROUTERS = [
    ("/scheduling", scheduling, ["scheduling"]),
    ("/procedures", procedures, ["procedures"]),
    ("/recovery", recovery, ["recovery"]),
    ("/day", rules, ["day of the case"]),
]
REFUSED = (409,)


class StatusIn(Schema):
    status: BookingStatus = Field(
        description="arrived (check-in), in_preparation, in_room, recovery (completes the "
        "procedure). Discharge is /recovery/{id}/discharge."
    )


class BoardRoomOut(Schema):
    room_code: str
    room_name: str
    busy: bool
    bookings: list[BookingOut]


@scheduling.post(
    "/bookings/{booking_id}/status", response=BookingOut, openapi_extra=perm("booking.progress")
)
def booking_set_status(request, booking_id: int, payload: StatusIn):
    """Move a patient along the day; each move checks its rules (409 names each that refused)."""
    services.case_move(actor=request.auth, booking_id=booking_id, to=payload.status)
    return booking_get(actor=request.auth, booking_id=booking_id)


@scheduling.get(
    "/board",
    response={200: list[BoardRoomOut], 304: None},
    openapi_extra=perm("schedule.view"),
)
def department_board(request, response: HttpResponse):
    """Today's department board: every room, its bookings and their live status. The answer
    carries an `ETag`; sent back in `If-None-Match`, it is answered 304 (no body) while the
    board is unchanged."""
    base = selectors.board_tag_base(actor=request.auth, what="api")
    sent = request.headers.get("If-None-Match", "")
    if sent and versions.holds(sent, base):
        unchanged = HttpResponse(status=304)
        unchanged["ETag"] = sent.split(",")[0].strip()
        return unchanged
    rooms = selectors.department_board(actor=request.auth)
    response["ETag"] = selectors.board_tag(base, rooms, drawn_at=timezone.now()).etag
    return [
        {
            "room_code": column.room.code,
            "room_name": column.room.name,
            "busy": column.busy,
            "bookings": [c.booking for c in column.cases],
        }
        for column in rooms
    ]


class CheckInIn(Schema):
    booking_id: int


class GroupIn(Schema):
    group: str = Field(description="times, access, sedation, contrast, findings or outcome")
    values: dict[str, Any]


def _full(request, procedure_id: int):
    return procedure_get(actor=request.auth, procedure_id=procedure_id)


@procedures.post(
    "/check-in", response=ProcedureOut, openapi_extra=perm("booking.progress", errors=(404,))
)
def procedure_check_in(request, payload: CheckInIn):
    """Check the patient in (opens the procedure record; harmless when repeated)."""
    record = services.case_check_in(actor=request.auth, booking_id=payload.booking_id)
    return _full(request, record.pk)


@procedures.get("/{procedure_id}", response=ProcedureOut, openapi_extra=perm("procedure.view"))
def procedure_get_one(request, procedure_id: int):
    return _full(request, procedure_id)


@procedures.patch("/{procedure_id}", response=ProcedureOut, openapi_extra=perm("procedure.record"))
def procedure_record_update(request, procedure_id: int, payload: GroupIn):
    """Save one group of the record; times are checked together (end before start refused).
    Recording the time in room puts the patient in the room, the start needs the time-out:
    their rules apply (409)."""
    services.case_record_update(
        actor=request.auth, procedure_id=procedure_id, group=payload.group, values=payload.values
    )
    return _full(request, procedure_id)


@procedures.post(
    "/{procedure_id}/complete", response=ProcedureOut, openapi_extra=perm("procedure.record")
)
def procedure_complete(request, procedure_id: int):
    """Complete the procedure (sign-out, access site, what the catalogue requires): the
    patient goes to recovery, devices are registered, follow-up tasks created."""
    services.case_complete(actor=request.auth, procedure_id=procedure_id)
    return _full(request, procedure_id)


class DischargeIn(Schema):
    disposition: Disposition
    discharged_at: Moment | None = None
    admitted_to: str = Field("", max_length=100)


@recovery.post(
    "/{recovery_procedure_id}/discharge",
    response=RecoveryOut,
    openapi_extra=perm("recovery.record"),
)
def recovery_discharge(request, recovery_procedure_id: int, payload: DischargeIn):
    """Discharge home the same day, or record the admission. Refused (409, rules `aldrete`,
    `padss`) until the latest observations meet the discharge criteria, or a physician
    overrode them (`/api/day/bookings/{id}/overrides/{rule}`); 422 for a time in the future,
    before the patient left the room or before the last observation."""
    services.case_discharge(
        actor=request.auth, procedure_id=recovery_procedure_id, **payload.dict()
    )
    return recovery_out(request, recovery_procedure_id)


class DayRuleOut(Schema):
    code: str
    move: str
    text: str


class RefusalOut(Schema):
    rule: str
    message: str
    fields: list[str]
    overridden: bool
    override_reason: str | None
    overridden_by: str | None


class VerdictOut(Schema):
    move: str
    allowed: bool
    refusals: list[RefusalOut]
    invalid: dict[str, str]


class DayCaseOut(Schema):
    booking_id: int
    status: str
    verdicts: list[VerdictOut]


class OverrideIn(Schema):
    reason: str = Field(min_length=1, max_length=500)


class OverrideOut(Schema):
    id: int
    booking_id: int
    rule: str
    rule_text: str
    refusal: str
    reason: str
    overridden_by: str
    overridden_at: datetime

    @staticmethod
    def resolve_overridden_by(obj) -> str:
        return str(obj.overridden_by)


class FlagReviewIn(Schema):
    note: str = Field("", max_length=500)


class FlagOut(Schema):
    id: int
    kind: str
    detail: str
    raised_at: datetime
    reviewed_at: datetime | None
    review_note: str


@rules.get("/rules", response=list[DayRuleOut], openapi_extra=perm("authenticated"))
def rules_list(request):
    """Every rule of the day of the case: the move it guards and what it requires."""
    return [{"code": r.code, "move": r.move.value, "text": r.text} for r in RULES]


@rules.get("/bookings/{booking_id}", response=DayCaseOut, openapi_extra=perm("procedure.view"))
def case_get(request, booking_id: int):
    """What the rules say of each move of this booking now (overrides applied)."""
    page = selectors.procedure_page(actor=request.auth, booking_id=booking_id)
    case = cases_for([page.booking], discharge=True)[page.booking.pk]
    found = []
    for move in Move:
        v = verdict(case, move)
        found.append(
            {
                "move": move.value,
                "allowed": v.allowed,
                "invalid": v.invalid,
                "refusals": [
                    {
                        "rule": r.rule.code,
                        "message": r.message,
                        "fields": list(r.fields),
                        "overridden": r.overridden,
                        "override_reason": r.override.reason if r.override else None,
                        "overridden_by": str(r.override.overridden_by) if r.override else None,
                    }
                    for r in v.refusals
                ],
            }
        )
    return {"booking_id": page.booking.pk, "status": page.booking.status, "verdicts": found}


@rules.post(
    "/bookings/{booking_id}/overrides/{rule}",
    response={201: OverrideOut},
    openapi_extra=perm("case.override"),
)
def case_override(request, booking_id: int, rule: str, payload: OverrideIn):
    """Emergency override of one rule that refuses now, with the reason (kept and shown)."""
    created = services.case_override(
        actor=request.auth, booking_id=booking_id, rule=rule, reason=payload.reason
    )
    return Status(201, created)


@rules.post(
    "/bookings/{booking_id}/flags/{flag_id}/review",
    response=FlagOut,
    openapi_extra=perm("safety_flag.review"),
)
def flag_review(request, booking_id: int, flag_id: int, payload: FlagReviewIn):
    """Mark a flag raised by the modality as reviewed, with what was found."""
    return safety_flag_review(
        actor=request.auth, booking_id=booking_id, flag_id=flag_id, note=payload.note
    )
