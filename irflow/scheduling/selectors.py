"""Reads of bookings: one booking, a room's day and week with its free gaps, today's board."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.models import User
from irflow.accounts.permissions import OWN, require
from irflow.audit.services import access_log_record
from irflow.catalogue.models import ProcedureType, Room
from irflow.lib.errors import NotFound, ValidationFailed
from irflow.scheduling.fit import ProcedureNeeds, RoomOffer, room_misfit
from irflow.scheduling.models import (
    Booking,
    BookingStatus,
    BookingTeamMember,
)

MSG_BOOKING_NOT_FOUND = "No such booking, or you may not see it."
MSG_ROOM_UNKNOWN = "“{code}” is not a room in use."
MSG_USER_UNKNOWN = "No active staff member has the number {user_id}."

MIN_GAP_MIN = 5


def _with_details(qs: QuerySet[Booking]) -> QuerySet[Booking]:
    return qs.select_related(
        "room", "patient", "order__procedure_type", "primary_operator"
    ).prefetch_related(
        "patient__identifiers",
        Prefetch("team", queryset=BookingTeamMember.objects.select_related("user")),
    )


def bookings_visible(*, actor: Actor, action: str = "booking.view") -> QuerySet[Booking]:
    """Bookings `actor` may see: all, or those of patients in their care (referrers)."""
    scope = require(actor, action)
    qs = Booking.objects.filter(patient__is_active=True)
    if scope is OWN:
        qs = qs.filter(patient__care_relations__clinician=person(actor))
    return qs


def booking_get(*, actor: Actor, booking_id: int, what: str = "booking") -> Booking:
    """One booking with its team, if `actor` may see it; the read is access-logged."""
    booking = _with_details(bookings_visible(actor=actor)).filter(pk=booking_id).first()
    if booking is None:
        raise NotFound(MSG_BOOKING_NOT_FOUND)
    access_log_record(actor=actor, patient=booking.patient, what=f"{what} {booking.sps_id}")
    return booking


def booking_list(*, actor: Actor, day: date, room: Room | None = None) -> list[Booking]:
    """Active bookings starting on `day` (local time), optionally in one room."""
    start, end = _day_bounds(day)
    qs = bookings_visible(actor=actor).filter(active=True, start__gte=start, start__lt=end)
    if room is not None:
        qs = qs.filter(room=room)
    bookings = list(_with_details(qs).order_by("start", "room__code"))
    access_log_record(actor=actor, patient=None, what=f"bookings of {day} ({len(bookings)})")
    return bookings


def room_by_code(code: str, *, field_name: str = "room_code") -> Room:
    room = Room.objects.filter(code=code, active=True).first()
    if room is None:
        raise ValidationFailed({field_name: MSG_ROOM_UNKNOWN.format(code=code)})
    return room


def staff_by_id(user_id: int, *, field_name: str) -> User:
    user = User.objects.filter(pk=user_id, is_active=True).exclude(role="").first()
    if user is None:
        raise ValidationFailed({field_name: MSG_USER_UNKNOWN.format(user_id=user_id)})
    return user


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time(0), tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tz)


@dataclass
class Slot:
    """A stretch of a room's day: a booking, or a free gap (booking is None)."""

    start: datetime
    end: datetime
    booking: Booking | None = None

    @property
    def free(self) -> bool:
        return self.booking is None

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass
class RoomDay:
    room: Room
    day: date
    open: bool
    opens: datetime | None
    closes: datetime | None
    slots: list[Slot] = field(default_factory=list)

    @property
    def bookings(self) -> list[Booking]:
        return [s.booking for s in self.slots if s.booking is not None]

    @property
    def free_min(self) -> int:
        return sum(s.minutes for s in self.slots if s.free)


def _room_day(room: Room, day: date, bookings: list[Booking]) -> RoomDay:
    tz = timezone.get_current_timezone()
    is_open = day.isoweekday() in (room.open_weekdays or [1, 2, 3, 4, 5])
    opens = datetime.combine(day, room.opens_at, tz) if is_open else None
    closes = datetime.combine(day, room.closes_at, tz) if is_open else None
    slots: list[Slot] = []
    cursor = opens
    for booking in bookings:
        if cursor is not None and booking.start - cursor >= timedelta(minutes=MIN_GAP_MIN):
            slots.append(Slot(cursor, booking.start))
        slots.append(Slot(booking.start, booking.end, booking))
        if cursor is not None:
            cursor = max(cursor, booking.end)
    if (
        cursor is not None
        and closes is not None
        and closes - cursor >= timedelta(minutes=MIN_GAP_MIN)
    ):
        slots.append(Slot(cursor, closes))
    return RoomDay(room=room, day=day, open=is_open, opens=opens, closes=closes, slots=slots)


def _active_between(room: Room, start: datetime, end: datetime) -> list[Booking]:
    qs = Booking.objects.filter(room=room, active=True, start__lt=end, end__gt=start)
    return list(_with_details(qs).order_by("start"))


def room_day(*, actor: Actor, room: Room, day: date) -> RoomDay:
    """One room's day: bookings in time order with the free gaps between opening hours."""
    require(actor, "schedule.view")
    start, end = _day_bounds(day)
    result = _room_day(room, day, _active_between(room, start, end))
    access_log_record(
        actor=actor, patient=None, what=f"{room.code} day {day} ({len(result.bookings)})"
    )
    return result


def room_week(*, actor: Actor, room: Room, day: date) -> list[RoomDay]:
    """The seven days (Monday to Sunday) of the week containing `day`, for one room."""
    require(actor, "schedule.view")
    monday = day - timedelta(days=day.weekday())
    start, _ = _day_bounds(monday)
    _, end = _day_bounds(monday + timedelta(days=6))
    bookings = _active_between(room, start, end)
    days = []
    for offset in range(7):
        current = monday + timedelta(days=offset)
        day_start, day_end = _day_bounds(current)
        days.append(
            _room_day(room, current, [b for b in bookings if day_start <= b.start < day_end])
        )
    count = sum(len(d.bookings) for d in days)
    access_log_record(actor=actor, patient=None, what=f"{room.code} week of {monday} ({count})")
    return days


def in_room_by_room(*, room_ids: set[int]) -> dict[int, list[Booking]]:
    """Who is in each of these rooms now (bookings in the room), by room."""
    found: dict[int, list[Booking]] = {}
    qs = Booking.objects.filter(room_id__in=room_ids, active=True, status=BookingStatus.IN_ROOM)
    for booking in qs.select_related("patient").prefetch_related("patient__identifiers"):
        found.setdefault(booking.room_id, []).append(booking)
    return found


def bookings_of_day(*, actor: Actor, day: date) -> list[Booking]:
    """Every booking of the day but the cancelled, in time order, with their details (the
    department board; the caller logs the read)."""
    require(actor, "schedule.view")
    start, end = _day_bounds(day)
    qs = Booking.objects.filter(start__gte=start, start__lt=end).exclude(
        status=BookingStatus.CANCELLED
    )
    return list(_with_details(qs).order_by("start"))


# ------------------------------------------------------------------ room fit


def room_offer(room: Room) -> RoomOffer:
    return RoomOffer(
        name=room.name,
        modalities=frozenset(room.offered_modalities),
        capabilities=frozenset(room.capabilities or []),
    )


def procedure_needs(procedure: ProcedureType) -> ProcedureNeeds:
    return ProcedureNeeds(
        name=procedure.name,
        modalities=tuple(procedure.modalities or []),
        needs=frozenset(procedure.needs or []),
        usual_min=procedure.default_duration_min,
        shortest_min=procedure.shortest_min,
    )


def booking_misfit(*, room: Room, procedure: ProcedureType) -> list[str]:
    """What `room` lacks for `procedure`, in words (empty: it fits). For the booking form's
    room list too."""
    return room_misfit(
        room_offer(room), procedure_needs(procedure), settings.IRFLOW_PORTABLE_MODALITIES
    )


def room_fit(procedure: ProcedureType) -> tuple[list[Room], list[tuple[Room, list[str]]]]:
    """The active rooms that fit `procedure`, and those that do not with what they lack (the
    booking form offers the first and shows the second)."""
    fitting, unfit = [], []
    for room in Room.objects.filter(active=True).order_by("code"):
        misfit = booking_misfit(room=room, procedure=procedure)
        if misfit:
            unfit.append((room, misfit))
        else:
            fitting.append(room)
    return fitting, unfit
