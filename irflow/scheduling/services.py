"""Writes of bookings: create, reschedule, cancel, and the day-of-procedure status.

Cancelling an order cancels its bookings that have not started. The order follows its
bookings, here and nowhere else (`_order_follows`): booked → scheduled,
in the room → in progress, out of the room → completed, every booking cancelled → waiting to
be booked again. `booking_set_status` is the day-of-case layer's primitive: the rules that
protect the patient on the way (check-in, sign-in, one patient per room, …) are checked by
`irflow.dayofcase` before it calls this.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.models import User
from irflow.accounts.permissions import require
from irflow.accounts.roles import Role
from irflow.accounts.services import user_holds_privilege
from irflow.catalogue.models import ProcedureType, Room, RoomClosure
from irflow.lib.db import violates
from irflow.lib.errors import Conflict, InvalidTransition, ValidationFailed
from irflow.lib.history import history_actor
from irflow.lib.versions import save_fields
from irflow.orders.identifiers import new_sps_id
from irflow.orders.models import ORDER_STATES, Order, OrderStatus, Priority
from irflow.orders.selectors import order_get
from irflow.orders.services import order_set_status
from irflow.scheduling.fit import MSG_PAST_NEEDS_REASON, duration_refusal, is_retrospective
from irflow.scheduling.models import (
    BOOKING_STATES,
    Booking,
    BookingStatus,
    BookingTeamMember,
    CancelReason,
    TeamRole,
)
from irflow.scheduling.selectors import booking_misfit, procedure_needs
from irflow.scheduling.signals import booking_cancelled, booking_created, booking_rescheduled

MSG_ROOM_TAKEN = "{room} is already booked from {start} to {end}."
MSG_OPERATOR_TAKEN = "{operator} is already booked from {start} to {end} ({room})."
MSG_PATIENT_TAKEN = "The patient already has a booking from {start} to {end} ({room})."
MSG_RACE = "Another booking took this slot a moment ago; choose another time."
MSG_ROOM_CLOSED = "{room} is closed at that time (open {opens}–{closes}, {days})."
MSG_ROOM_INACTIVE = "{room} is not in use."
MSG_ROOM_CLOSURE = "{room} is closed from {start} to {end}: {reason}."
MSG_NO_PRIVILEGE = "{operator} does not hold the privilege for {category} procedures."
MSG_OPERATOR_ROLE = "The primary operator must be an IR physician or a supervised trainee."
MSG_TRAINEE_SUPERVISION = "A trainee needs a supervising physician in the team."
MSG_NAIVE_TIME = "Give the start time with its time zone."
MSG_DURATION = "The duration must be between 5 and 720 minutes."
MSG_ORDER_NOT_BOOKABLE = "This order is {status} and cannot be booked."
MSG_CANCEL_REASON = "Choose a reason for cancelling."
MSG_ONLY_BOOKED = "Only a booking that has not started can be moved."
MSG_ORDER_CANCEL_REASON = "Give a reason for cancelling the order."

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# The database's refusals of an overlap (migration 0002: PostgreSQL exclusion constraints,
# SQLite triggers raising the same names).
OVERLAP_CONSTRAINTS = frozenset(
    {"booking_room_overlap", "booking_operator_overlap", "booking_patient_overlap"}
)


def _fmt(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%a %d %b %H:%M")


def _overlapping(start: datetime, end: datetime, exclude_id: int | None) -> QuerySet[Booking]:
    qs = Booking.objects.filter(active=True, start__lt=end, end__gt=start).select_related("room")
    return qs.exclude(pk=exclude_id) if exclude_id else qs


def _check_free(
    *,
    room: Room,
    operator: User | None,
    patient_id: int,
    start: datetime,
    end: datetime,
    exclude_id: int | None = None,
) -> None:
    """Name the first conflict in words; the database constraint still has the last word."""
    overlaps = _overlapping(start, end, exclude_id)
    clash = overlaps.filter(room=room).first()
    if clash:
        raise Conflict(
            MSG_ROOM_TAKEN.format(room=room, start=_fmt(clash.start), end=_fmt(clash.end)),
            code="room_taken",
        )
    if operator is not None:
        clash = overlaps.filter(primary_operator=operator).first()
        if clash:
            raise Conflict(
                MSG_OPERATOR_TAKEN.format(
                    operator=operator, start=_fmt(clash.start), end=_fmt(clash.end), room=clash.room
                ),
                code="operator_taken",
            )
    clash = overlaps.filter(patient_id=patient_id).first()
    if clash:
        raise Conflict(
            MSG_PATIENT_TAKEN.format(start=_fmt(clash.start), end=_fmt(clash.end), room=clash.room),
            code="patient_taken",
        )


def _check_room_open(room: Room, start: datetime, end: datetime, priority: str) -> None:
    if not room.active:
        raise ValidationFailed({"room": MSG_ROOM_INACTIVE.format(room=room)})
    # A closure takes the room out of use (maintenance, a holiday): emergencies included.
    closure = RoomClosure.objects.filter(room=room, starts_at__lt=end, ends_at__gt=start).first()
    if closure is not None:
        raise ValidationFailed(
            {
                "start": MSG_ROOM_CLOSURE.format(
                    room=room,
                    start=_fmt(closure.starts_at),
                    end=_fmt(closure.ends_at),
                    reason=closure.reason,
                )
            }
        )
    if priority == Priority.EMERGENT:
        return  # emergencies are done when they come
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    days = room.open_weekdays or [1, 2, 3, 4, 5]
    if (
        local_start.isoweekday() not in days
        or local_start.date() != local_end.date()
        or local_start.time() < room.opens_at
        or local_end.time() > room.closes_at
    ):
        raise ValidationFailed(
            {
                "start": MSG_ROOM_CLOSED.format(
                    room=room,
                    opens=room.opens_at.strftime("%H:%M"),
                    closes=room.closes_at.strftime("%H:%M"),
                    days=", ".join(WEEKDAYS[d - 1] for d in sorted(days)),
                )
            }
        )


def _check_team(
    order: Order, operator: User | None, team: list[tuple[User, str]], day: date
) -> None:
    errors: dict[str, str] = {}
    roles = {role for _, role in team}
    if operator is not None:
        if operator.role == Role.TRAINEE:
            if TeamRole.SUPERVISING_PHYSICIAN not in roles:
                errors["team"] = MSG_TRAINEE_SUPERVISION
        elif operator.role != Role.PHYSICIAN:
            errors["primary_operator"] = MSG_OPERATOR_ROLE
        else:
            category = order.procedure_type.category
            if not user_holds_privilege(user=operator, category=category, on=day):
                errors["primary_operator"] = MSG_NO_PRIVILEGE.format(
                    operator=operator, category=order.procedure_type.get_category_display().lower()
                )
    for user, role in team:
        if (
            role == TeamRole.TRAINEE
            and TeamRole.SUPERVISING_PHYSICIAN not in roles
            and not (operator is not None and operator.role == Role.PHYSICIAN)
        ):
            errors["team"] = MSG_TRAINEE_SUPERVISION
        if role == TeamRole.SUPERVISING_PHYSICIAN and user.role != Role.PHYSICIAN:
            errors["team"] = "The supervising physician must be an IR physician."
        if role not in TeamRole.values:
            errors["team"] = f"“{role}” is not a team role."
    if errors:
        raise ValidationFailed(errors)


def _check_fit(
    *,
    procedure: ProcedureType,
    room: Room,
    start: datetime,
    minutes: int,
    short_slot_reason: str,
    retrospective_reason: str,
    now: datetime,
) -> tuple[str, str]:
    """Refuse a room that lacks what the procedure needs, a slot too short, a start in the
    past without its reason; return the reasons to keep (only those that apply)."""
    errors: dict[str, str | list[str]] = {}
    misfit = booking_misfit(room=room, procedure=procedure)
    if misfit:
        errors["room"] = misfit
    short = duration_refusal(procedure_needs(procedure), minutes, short_slot_reason)
    if short:
        errors["duration_min" if minutes < procedure.shortest_min else "short_slot_reason"] = short
    past = is_retrospective(start, now, settings.IRFLOW_RETROSPECTIVE_GRACE_MIN)
    if past and not retrospective_reason.strip():
        errors["retrospective_reason"] = MSG_PAST_NEEDS_REASON.format(start=_fmt(start))
    if errors:
        raise ValidationFailed(errors)
    short_kept = short_slot_reason.strip()[:300] if minutes < procedure.default_duration_min else ""
    return short_kept, retrospective_reason.strip()[:300] if past else ""


def _save_guarded(booking: Booking, **kwargs: Any) -> None:
    """Save, turning the database's overlap refusal (a concurrent booking won) into Conflict."""
    try:
        with transaction.atomic():
            booking.save(**kwargs)
    except IntegrityError as exc:
        if violates(exc, constraints=OVERLAP_CONSTRAINTS):
            raise Conflict(MSG_RACE, code="slot_taken") from exc
        raise


@transaction.atomic
def booking_create(
    *,
    actor: Actor,
    order_id: int,
    room: Room,
    start: datetime,
    duration_min: int | None = None,
    primary_operator: User | None = None,
    team: Iterable[tuple[User, str]] = (),
    short_slot_reason: str = "",
    retrospective_reason: str = "",
    now: datetime | None = None,
) -> Booking:
    """Book order `order_id` in `room` at `start`; refuses closed rooms, rooms that lack what
    the procedure needs, slots too short, a past start without its reason, missing
    privileges, overlaps. `now` is the clock (the demo books as if ahead of time)."""
    require(actor, "booking.manage")
    order = Order.objects.select_for_update().select_related("procedure_type").get(pk=order_id)
    if order.status not in (OrderStatus.ORDERED, OrderStatus.DISCONTINUED):
        raise InvalidTransition(
            MSG_ORDER_NOT_BOOKABLE.format(status=order.get_status_display().lower()),
            code="order_not_bookable",
        )
    if timezone.is_naive(start):
        raise ValidationFailed({"start": MSG_NAIVE_TIME})
    minutes = duration_min or order.procedure_type.default_duration_min
    if not 5 <= minutes <= 720:
        raise ValidationFailed({"duration_min": MSG_DURATION})
    end = start + timedelta(minutes=minutes)
    team = list(team)
    _check_room_open(room, start, end, order.priority)
    short_slot_reason, retrospective_reason = _check_fit(
        procedure=order.procedure_type,
        room=room,
        start=start,
        minutes=minutes,
        short_slot_reason=short_slot_reason or "",
        retrospective_reason=retrospective_reason or "",
        now=now or timezone.now(),
    )
    _check_team(order, primary_operator, team, timezone.localtime(start).date())
    _check_free(
        room=room, operator=primary_operator, patient_id=order.patient_id, start=start, end=end
    )
    booking = Booking(
        order=order,
        patient_id=order.patient_id,
        room=room,
        start=start,
        end=end,
        primary_operator=primary_operator,
        sps_id=new_sps_id(),
        modality=room.modality,
        station_ae_title=room.station_ae_title,
        short_slot_reason=short_slot_reason,
        retrospective_reason=retrospective_reason,
        created_by=person(actor),
        status_changed_at=timezone.now(),
    )
    with history_actor(actor):
        _save_guarded(booking)
        members = list(team)
        if primary_operator is not None:
            members.insert(0, (primary_operator, TeamRole.PRIMARY_OPERATOR))
        BookingTeamMember.objects.bulk_create(
            [BookingTeamMember(booking=booking, user=u, role=r) for u, r in dict.fromkeys(members)]
        )
        _order_follows(booking, actor)
        booking_created.send(sender=Booking, booking=booking, actor=actor)
    return booking


@transaction.atomic
def booking_reschedule(
    *,
    actor: Actor,
    booking_id: int,
    start: datetime,
    duration_min: int | None = None,
    room: Room | None = None,
    primary_operator: User | None = None,
    reason: str = "",
    short_slot_reason: str = "",
    retrospective_reason: str = "",
    now: datetime | None = None,
) -> Booking:
    """Move a booking that has not started (time, room or operator), with a reason code; the
    new room and slot must fit as when booking."""
    require(actor, "booking.manage")
    booking = (
        Booking.objects.select_for_update()
        .select_related("order__procedure_type")
        .get(pk=booking_id)
    )
    if booking.status != BookingStatus.BOOKED:
        raise Conflict(MSG_ONLY_BOOKED, code="not_movable")
    if reason and reason not in CancelReason.values:
        raise ValidationFailed({"reason": f"“{reason}” is not a reason code."})
    if timezone.is_naive(start):
        raise ValidationFailed({"start": MSG_NAIVE_TIME})
    room = room or booking.room
    operator = primary_operator if primary_operator is not None else booking.primary_operator
    minutes = duration_min or booking.duration_min
    if not 5 <= minutes <= 720:
        raise ValidationFailed({"duration_min": MSG_DURATION})
    end = start + timedelta(minutes=minutes)
    _check_room_open(room, start, end, booking.order.priority)
    short_kept, past_kept = _check_fit(
        procedure=booking.order.procedure_type,
        room=room,
        start=start,
        minutes=minutes,
        short_slot_reason=short_slot_reason or "",
        retrospective_reason=retrospective_reason or "",
        now=now or timezone.now(),
    )
    team = [
        (m.user, m.role)
        for m in booking.team.select_related("user")
        if m.role != TeamRole.PRIMARY_OPERATOR
    ]
    _check_team(booking.order, operator, team, timezone.localtime(start).date())
    _check_free(
        room=room,
        operator=operator,
        patient_id=booking.patient_id,
        start=start,
        end=end,
        exclude_id=booking.pk,
    )
    previous_start = booking.start
    booking.start, booking.end, booking.room = start, end, room
    booking.modality, booking.station_ae_title = room.modality, room.station_ae_title
    booking.cancel_reason = reason  # the reason for the move, kept with the booking's history
    booking.short_slot_reason, booking.retrospective_reason = short_kept, past_kept
    with history_actor(actor):
        if operator != booking.primary_operator:
            booking.primary_operator = operator
            booking.team.filter(role=TeamRole.PRIMARY_OPERATOR).delete()
            if operator is not None:
                BookingTeamMember.objects.create(
                    booking=booking, user=operator, role=TeamRole.PRIMARY_OPERATOR
                )
        _save_guarded(booking)
        booking_rescheduled.send(
            sender=Booking, booking=booking, previous_start=previous_start, actor=actor
        )
    return booking


@transaction.atomic
def booking_cancel(
    *, actor: Actor, booking_id: int, reason: str, note: str = "", release_order: bool = True
) -> Booking:
    """Cancel with a structured reason; the slot is freed and the order can be booked again.

    `release_order=False` when the order itself is being cancelled.
    """
    require(actor, "booking.manage")
    booking = Booking.objects.select_for_update().get(pk=booking_id)
    if reason not in CancelReason.values:
        raise ValidationFailed({"reason": MSG_CANCEL_REASON})
    BOOKING_STATES.check(booking.status, BookingStatus.CANCELLED)
    booking.status = BookingStatus.CANCELLED
    booking.active = False
    booking.cancel_reason = reason
    booking.cancel_note = note.strip()[:300]
    booking.status_changed_at = timezone.now()
    with history_actor(actor):
        save_fields(
            booking, "status", "active", "cancel_reason", "cancel_note", "status_changed_at"
        )
        if release_order:
            _order_follows(booking, actor)
        booking_cancelled.send(sender=Booking, booking=booking, actor=actor)
    return booking


@transaction.atomic
def booking_set_status(*, actor: Actor, booking_id: int, status: str) -> Booking:
    """Move a booking one step along the day (arrived → … → discharged), along its state
    machine. Only the day-of-case layer calls this (it checks the rules first); the modality's
    reports (MPPS) move it as the system actor."""
    require(actor, "booking.progress")
    booking = Booking.objects.select_for_update().select_related("order").get(pk=booking_id)
    if booking.status == status:
        return booking
    if status == BookingStatus.CANCELLED:
        raise ValidationFailed({"status": "Use cancel, with a reason."})
    BOOKING_STATES.check(booking.status, status)
    booking.status = status
    booking.status_changed_at = timezone.now()
    with history_actor(actor):
        booking.save(update_fields=["status", "status_changed_at", "updated_at"])
        _order_follows(booking, actor)
    return booking


# Booking status -> (order statuses it moves the order from, to). Forward only: an order the
# modality discontinued, or one completed, stays so.
ORDER_FOLLOWS: dict[str, tuple[frozenset[str], str]] = {
    BookingStatus.BOOKED: (frozenset({OrderStatus.ORDERED, OrderStatus.DISCONTINUED}), "scheduled"),
    BookingStatus.IN_ROOM: (frozenset({OrderStatus.ORDERED, OrderStatus.SCHEDULED}), "in_progress"),
    BookingStatus.RECOVERY: (frozenset({OrderStatus.IN_PROGRESS}), "completed"),
    BookingStatus.DISCHARGED: (frozenset({OrderStatus.IN_PROGRESS}), "completed"),
}


def _order_follows(booking: Booking, actor: Actor) -> None:
    """The one place an order's status follows its booking's."""
    order = Order.objects.select_for_update().get(pk=booking.order_id)
    if booking.status == BookingStatus.CANCELLED:
        if (
            order.status == OrderStatus.SCHEDULED
            and not order.bookings.filter(active=True).exists()
        ):
            order_set_status(actor=actor, order_id=order.pk, status=OrderStatus.ORDERED)
        return
    follows = ORDER_FOLLOWS.get(booking.status)
    if follows is not None and order.status in follows[0]:
        order_set_status(actor=actor, order_id=order.pk, status=follows[1])


@transaction.atomic
def order_cancel(*, actor: Actor, order_id: int, reason: str) -> Order:
    """Cancel an order that has not started; bookings that have not started go with it."""
    require(actor, "order.cancel")
    order = order_get(actor=actor, order_id=order_id, what="cancel order")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": MSG_ORDER_CANCEL_REASON})
    ORDER_STATES.check(order.status, OrderStatus.CANCELLED)
    for booking in order.bookings.filter(active=True):
        booking_cancel(
            actor=actor,
            booking_id=booking.pk,
            reason=CancelReason.NO_LONGER_INDICATED,
            note=f"Order cancelled: {reason}",
            release_order=False,
        )
    order.cancel_reason = reason[:300]
    with history_actor(actor):
        order.save(update_fields=["cancel_reason", "updated_at"])
    return order_set_status(actor=actor, order_id=order.pk, status=OrderStatus.CANCELLED)


def booking_conflicts(*, room: Room, start: datetime, end: datetime) -> list[Booking]:
    """Active bookings in `room` overlapping [start, end) (for slot pickers)."""
    return list(Booking.objects.filter(Q(room=room), active=True, start__lt=end, end__gt=start))
