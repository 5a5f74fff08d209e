"""Bookings and room schedules over REST (thin: services and selectors). Moving a patient
along the day, and the department board, are the day-of-case layer's (`irflow.dayofcase.api`)."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from irflow.accounts.permissions import require
from irflow.lib.apischema import Day, LocalTime, Moment, NestedIn, perm
from irflow.orders.api import OrderOut
from irflow.orders.selectors import order_get
from irflow.scheduling import selectors, services
from irflow.scheduling.models import Booking, CancelReason, TeamRole

router = Router()
# Cancelling an order cancels its unstarted bookings: scheduling's work, at the order's path.
orders = Router()
ROUTERS = [("/scheduling", router, ["scheduling"]), ("/orders", orders, ["orders"])]


class TeamMemberIn(NestedIn):
    user_id: int
    role: TeamRole


class TeamMemberOut(Schema):
    user_id: int
    name: str
    role: str


class BookingOut(Schema):
    id: int
    order_id: int
    patient_id: int
    accession_number: str
    procedure_code: str
    room_code: str
    start: datetime
    end: datetime
    duration_min: int
    status: str
    sps_id: str
    modality: str
    station_ae_title: str
    primary_operator_id: int | None
    team: list[TeamMemberOut]
    cancel_reason: str
    cancel_note: str
    short_slot_reason: str
    retrospective_reason: str
    retrospective: bool

    @staticmethod
    def resolve_accession_number(obj: Booking) -> str:
        return obj.order.accession_number

    @staticmethod
    def resolve_procedure_code(obj: Booking) -> str:
        return obj.order.procedure_type.code

    @staticmethod
    def resolve_room_code(obj: Booking) -> str:
        return obj.room.code

    @staticmethod
    def resolve_team(obj: Booking) -> list[dict]:
        return [{"user_id": m.user_id, "name": str(m.user), "role": m.role} for m in obj.team.all()]


class BookingIn(Schema):
    order_id: int
    room_code: str = Field(min_length=1, max_length=20)
    start: Moment
    duration_min: int | None = Field(None, ge=5, le=720)
    primary_operator_id: int | None = None
    team: list[TeamMemberIn] = Field(default_factory=list, max_length=10)
    short_slot_reason: str = Field(
        "", max_length=300, description="Why a slot shorter than the usual duration."
    )
    retrospective_reason: str = Field(
        "", max_length=300, description="Why a booking starting in the past is entered now."
    )


class RescheduleIn(Schema):
    start: Moment
    duration_min: int | None = Field(None, ge=5, le=720)
    room_code: str | None = Field(None, max_length=20)
    primary_operator_id: int | None = None
    reason: CancelReason
    short_slot_reason: str = Field("", max_length=300)
    retrospective_reason: str = Field("", max_length=300)


class BookingCancelIn(Schema):
    reason: CancelReason
    note: str = Field("", max_length=300)


class SlotOut(Schema):
    start: datetime
    end: datetime
    free: bool
    booking: BookingOut | None


class RoomDayOut(Schema):
    room_code: str
    day: date
    open: bool
    opens_at: LocalTime
    closes_at: LocalTime
    free_min: int
    slots: list[SlotOut]


@router.get("/bookings", response=list[BookingOut], openapi_extra=perm("booking.view"))
def booking_list(request, day: Day | None = None, room_code: str = ""):
    """Active bookings starting on `day` (default today), optionally in one room."""
    room = selectors.room_by_code(room_code) if room_code else None
    return selectors.booking_list(actor=request.auth, day=day or timezone.localdate(), room=room)


@router.post(
    "/bookings", response={201: BookingOut}, openapi_extra=perm("booking.manage", errors=(404,))
)
def booking_create(request, payload: BookingIn):
    """Book an order: refused (422) for closed rooms, rooms that lack what the procedure needs,
    slots too short, a past start without its reason, missing privileges; any overlap 409."""
    require(request.auth, "booking.manage")
    order = order_get(actor=request.auth, order_id=payload.order_id, what="booking")
    operator = (
        selectors.staff_by_id(payload.primary_operator_id, field_name="primary_operator_id")
        if payload.primary_operator_id
        else None
    )
    team = [
        (selectors.staff_by_id(m.user_id, field_name="team"), m.role.value) for m in payload.team
    ]
    booking = services.booking_create(
        actor=request.auth,
        order_id=order.pk,
        room=selectors.room_by_code(payload.room_code),
        start=payload.start,
        duration_min=payload.duration_min,
        primary_operator=operator,
        team=team,
        short_slot_reason=payload.short_slot_reason,
        retrospective_reason=payload.retrospective_reason,
    )
    return Status(201, selectors.booking_get(actor=request.auth, booking_id=booking.pk))


@router.get("/bookings/{booking_id}", response=BookingOut, openapi_extra=perm("booking.view"))
def booking_get(request, booking_id: int):
    return selectors.booking_get(actor=request.auth, booking_id=booking_id)


@router.post(
    "/bookings/{booking_id}/reschedule",
    response=BookingOut,
    openapi_extra=perm("booking.manage"),
)
def booking_reschedule(request, booking_id: int, payload: RescheduleIn):
    """Move a booking that has not started, with a structured reason."""
    require(request.auth, "booking.manage")
    booking = selectors.booking_get(actor=request.auth, booking_id=booking_id, what="reschedule")
    services.booking_reschedule(
        actor=request.auth,
        booking_id=booking.pk,
        start=payload.start,
        duration_min=payload.duration_min,
        room=selectors.room_by_code(payload.room_code) if payload.room_code else None,
        primary_operator=selectors.staff_by_id(
            payload.primary_operator_id, field_name="primary_operator_id"
        )
        if payload.primary_operator_id
        else None,
        reason=payload.reason.value,
        short_slot_reason=payload.short_slot_reason,
        retrospective_reason=payload.retrospective_reason,
    )
    return selectors.booking_get(actor=request.auth, booking_id=booking_id)


@router.post(
    "/bookings/{booking_id}/cancel", response=BookingOut, openapi_extra=perm("booking.manage")
)
def booking_cancel(request, booking_id: int, payload: BookingCancelIn):
    """Cancel with a structured reason code; the order waits to be booked again."""
    require(request.auth, "booking.manage")
    booking = selectors.booking_get(actor=request.auth, booking_id=booking_id, what="cancel")
    services.booking_cancel(
        actor=request.auth, booking_id=booking.pk, reason=payload.reason.value, note=payload.note
    )
    return selectors.booking_get(actor=request.auth, booking_id=booking_id)


@router.get("/rooms/{room_code}/day", response=RoomDayOut, openapi_extra=perm("schedule.view"))
def room_day(request, room_code: str, day: Day | None = None):
    """A room's day: bookings and free gaps between its opening hours."""
    require(request.auth, "schedule.view")
    room = selectors.room_by_code(room_code)
    result = selectors.room_day(actor=request.auth, room=room, day=day or timezone.localdate())
    return {
        "room_code": room.code,
        "day": result.day,
        "open": result.open,
        "opens_at": room.opens_at,
        "closes_at": room.closes_at,
        "free_min": result.free_min,
        "slots": [
            {"start": s.start, "end": s.end, "free": s.free, "booking": s.booking}
            for s in result.slots
        ],
    }


class OrderCancelIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


@orders.post("/{order_id}/cancel", response=OrderOut, openapi_extra=perm("order.cancel"))
def order_cancel(request, order_id: int, payload: OrderCancelIn):
    """Cancel an order that has not started (its unstarted bookings are cancelled too)."""
    return services.order_cancel(actor=request.auth, order_id=order_id, reason=payload.reason)
