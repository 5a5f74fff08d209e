"""Reads of bookings: one booking, a room's day and week with its free gaps, today's board,
and the free slots where an order could be booked (the slot finder)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.models import Privilege, User
from irflow.accounts.permissions import OWN, require
from irflow.accounts.roles import Role
from irflow.audit.services import access_log_record
from irflow.catalogue.models import ProcedureType, Room
from irflow.lib.errors import NotFound, ValidationFailed
from irflow.orders.models import Order
from irflow.orders.selectors import BOOKABLE, order_get
from irflow.scheduling.fit import ProcedureNeeds, RoomOffer, room_misfit
from irflow.scheduling.models import (
    Booking,
    BookingStatus,
    BookingTeamMember,
)
from irflow.scheduling.slots import FreeGap, Hours, Span, free_gaps

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
    access_log_record(
        actor=actor,
        patient=None,
        what=f"bookings of {day} ({len(bookings)})",
        shown=[b.patient for b in bookings],
    )
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
        actor=actor,
        patient=None,
        what=f"{room.code} day {day} ({len(result.bookings)})",
        shown=[b.patient for b in result.bookings],
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
    access_log_record(
        actor=actor,
        patient=None,
        what=f"{room.code} week of {monday} ({count})",
        shown=[b.patient for b in bookings],
    )
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


# ------------------------------------------------------------------ the slot finder

SLOT_STEPS_MIN = (15, 30, 60)
SLOT_DAYS_MAX = 31
MSG_SLOT_RANGE = "Choose a last day on or after the first, at most {days} days later."
MSG_SLOT_STEP = "Choose a step of {steps} minutes."
MSG_SLOT_WHAT = "Give either an order or a procedure."
MSG_PROCEDURE_UNKNOWN = "No procedure in use has the number {procedure_id}."


def room_hours(room: Room) -> Hours:
    return Hours(room.opens_at, room.closes_at, frozenset(room.open_weekdays or [1, 2, 3, 4, 5]))


@dataclass
class RoomSlots:
    """One room's free stretches on one day (none: full, or closed when `open` is False)."""

    room: Room
    open: bool
    gaps: list[FreeGap] = field(default_factory=list)


@dataclass
class SlotDay:
    day: date
    rooms: list[RoomSlots]

    @property
    def count(self) -> int:
        return sum(len(g.starts) for r in self.rooms for g in r.gaps)


@dataclass
class FreeSlots:
    """Where a procedure could be booked: by day, then by room that fits it."""

    procedure: ProcedureType
    order: Order | None
    duration_min: int
    first_day: date
    last_day: date
    step_min: int
    operator: User | None
    unfit: list[tuple[Room, list[str]]]
    days: list[SlotDay]

    @property
    def count(self) -> int:
        return sum(d.count for d in self.days)

    @property
    def bookable(self) -> bool:
        """The order waits for a booking (slots are then offered to book)."""
        return self.order is not None and self.order.status in BOOKABLE


def operators_for(*, procedure: ProcedureType, on: date) -> QuerySet[User]:
    """The IR physicians holding the privilege for the procedure's category on day `on`: those
    the slot finder offers to book as the primary operator."""
    held = Privilege.objects.filter(
        user=OuterRef("pk"), category=procedure.category, granted_at__lte=on
    ).exclude(expires_at__lt=on)
    return User.objects.filter(Exists(held), is_active=True, role=Role.PHYSICIAN).order_by(
        "last_name", "first_name"
    )


def _busy_between(
    *,
    room_ids: list[int],
    patient_id: int | None,
    operator: User | None,
    start: datetime,
    end: datetime,
) -> tuple[dict[int, list[Span]], list[Span]]:
    """Active bookings in the rooms (by room), and those that keep the patient or the operator
    (in any role of a team) busy wherever they are: one query."""
    wanted = Q(room_id__in=room_ids)
    if patient_id is not None:
        wanted |= Q(patient_id=patient_id)
    qs = Booking.objects.filter(active=True, start__lt=end, end__gt=start)
    if operator is not None:
        in_team = BookingTeamMember.objects.filter(booking=OuterRef("pk"), user=operator)
        busy_operator = Q(primary_operator=operator) | Q(Exists(in_team))
        wanted |= busy_operator
        qs = qs.annotate(
            with_operator=ExpressionWrapper(busy_operator, output_field=BooleanField())
        )
    by_room: dict[int, list[Span]] = {}
    everywhere: list[Span] = []
    fields = ["room_id", "patient_id", "start", "end"]
    rows = qs.filter(wanted).values(*fields, *(["with_operator"] if operator else []))
    for row in rows:
        span = Span(row["start"], row["end"])
        by_room.setdefault(row["room_id"], []).append(span)
        if (patient_id is not None and row["patient_id"] == patient_id) or row.get("with_operator"):
            everywhere.append(span)
    return by_room, everywhere


def free_slots(
    *,
    actor: Actor,
    start_day: date,
    end_day: date,
    order_id: int | None = None,
    procedure_id: int | None = None,
    operator_id: int | None = None,
    step_min: int = 30,
    now: datetime | None = None,
) -> FreeSlots:
    """The free slots for an order's procedure (or a procedure alone) from `start_day` to
    `end_day`: in the rooms that fit it, for its usual duration, never in the past; the
    patient's other bookings and, given `operator_id`, that person's are busy everywhere.
    A fixed number of queries, however many rooms, days and bookings."""
    require(actor, "booking.manage")
    if (order_id is None) == (procedure_id is None):
        raise ValidationFailed({"order_id": MSG_SLOT_WHAT})
    if not timedelta(0) <= end_day - start_day <= timedelta(days=SLOT_DAYS_MAX - 1):
        raise ValidationFailed({"end_day": MSG_SLOT_RANGE.format(days=SLOT_DAYS_MAX)})
    if step_min not in SLOT_STEPS_MIN:
        steps = ", ".join(str(s) for s in SLOT_STEPS_MIN[:-1]) + f" or {SLOT_STEPS_MIN[-1]}"
        raise ValidationFailed({"step_min": MSG_SLOT_STEP.format(steps=steps)})
    order = None
    if order_id is not None:
        order = order_get(actor=actor, order_id=order_id, what="free slots for")
        procedure = order.procedure_type
    else:
        assert procedure_id is not None
        found = ProcedureType.objects.filter(pk=procedure_id, active=True).first()
        if found is None:
            raise ValidationFailed(
                {"procedure_id": MSG_PROCEDURE_UNKNOWN.format(procedure_id=procedure_id)}
            )
        procedure = found
    operator = None if operator_id is None else staff_by_id(operator_id, field_name="operator")
    fitting, unfit = room_fit(procedure)
    range_start, _ = _day_bounds(start_day)
    _, range_end = _day_bounds(end_day)
    by_room, everywhere = _busy_between(
        room_ids=[r.pk for r in fitting],
        patient_id=order.patient_id if order else None,
        operator=operator,
        start=range_start,
        end=range_end,
    )
    duration = procedure.default_duration_min
    gaps = free_gaps(
        hours={r.pk: room_hours(r) for r in fitting},
        busy=by_room,
        everywhere=everywhere,
        duration_min=duration,
        first_day=start_day,
        last_day=end_day,
        step_min=step_min,
        now=now or timezone.now(),
        tz=timezone.get_current_timezone(),
    )
    days = []
    for offset in range((end_day - start_day).days + 1):
        day = start_day + timedelta(days=offset)
        days.append(
            SlotDay(
                day,
                [
                    RoomSlots(
                        room,
                        day.isoweekday() in room_hours(room).weekdays,
                        [g for g in gaps if g.day == day and g.room == room.pk],
                    )
                    for room in fitting
                ],
            )
        )
    return FreeSlots(
        procedure=procedure,
        order=order,
        duration_min=duration,
        first_day=start_day,
        last_day=end_day,
        step_min=step_min,
        operator=operator,
        unfit=unfit,
        days=days,
    )
