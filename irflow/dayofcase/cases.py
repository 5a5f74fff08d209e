"""Load what the rules read (`guards.Case`) for one booking or many, in a fixed number of
queries whatever their number: bookings, records, checklists and overrides, readiness, who is
in each room, and the discharge criteria of those in recovery."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from irflow.catalogue.models import Room
from irflow.checklists.selectors import safety_for_bookings
from irflow.dayofcase.guards import BEFORE_ROOM, Case
from irflow.procedures.selectors import records_for_bookings
from irflow.readiness.selectors import readiness_for_bookings
from irflow.recovery.selectors import criteria_for_records
from irflow.scheduling.models import Booking, BookingStatus
from irflow.scheduling.selectors import in_room_by_room


def cases_for(
    bookings: Sequence[Booking],
    *,
    now: datetime | None = None,
    discharge: bool = False,
    fresh: bool = False,
) -> dict[int, Case]:
    """The case of each booking (the caller checked permission and logged the read).

    Readiness is evaluated for the bookings that have not gone into the room yet: after that
    the checklists speak for the patient. The discharge criteria of those in recovery are
    loaded when `discharge` is asked for (one patient's page, the discharge itself).
    `fresh`: the bookings were just loaded with their details (the board), readiness's facts
    are attached to them.
    """
    ids = [b.pk for b in bookings]
    records = records_for_bookings(booking_ids=ids)
    safety = safety_for_bookings(booking_ids=ids)
    waiting = [b for b in bookings if b.status in BEFORE_ROOM]
    readiness = readiness_for_bookings(bookings=waiting, now=now or timezone.now(), fresh=fresh)
    in_rooms = in_room_by_room(room_ids={b.room_id for b in bookings})
    recovering = [
        records[b.pk].pk
        for b in bookings
        if b.status == BookingStatus.RECOVERY and records.get(b.pk) is not None
    ]
    criteria = criteria_for_records(record_ids=recovering) if discharge and recovering else {}
    cases = {}
    for booking in bookings:
        others = [o for o in in_rooms.get(booking.room_id, []) if o.pk != booking.pk]
        cases[booking.pk] = Case(
            booking=booking,
            record=records.get(booking.pk),
            safety=safety[booking.pk],
            readiness=readiness.get(booking.pk),
            occupant=others[0] if others else None,
        )
        record = records.get(booking.pk)
        if record is not None and record.pk in criteria:
            cases[booking.pk].recovery = criteria[record.pk]
    return cases


def case_locked(booking_id: int, *, now: datetime | None = None) -> Case:
    """One booking's case inside the caller's transaction, with its booking and its room
    locked: two moves of the same patient, or two patients into one room, cannot race."""
    booking = (
        Booking.objects.select_for_update()
        .select_related("room", "patient", "order__procedure_type")
        .get(pk=booking_id)
    )
    Room.objects.select_for_update().filter(pk=booking.room_id).first()
    return cases_for([booking], now=now, discharge=True)[booking.pk]


def is_before_room(booking: Booking) -> bool:
    return booking.status in BEFORE_ROOM


def is_in_room(booking: Booking) -> bool:
    return booking.status == BookingStatus.IN_ROOM
