"""Demo bookings: every room, today and the next two weeks (weekends too); the demo referrals'
orders booked, and some already done. Which of today's patients are at which stage of their
day (and which past bookings were done) goes into `ctx.plan`: the day-of-case step takes each
there through the services and their rules (`irflow.demo.day`).

A modality pointed at the demo always finds a worklist for its room today: every room has
patients still booked (SCHEDULED) today, whatever time it is.
"""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta

from django.utils import timezone

from irflow.accounts.models import Privilege
from irflow.catalogue.models import ProcedureType, Room
from irflow.lib.errors import Conflict
from irflow.orders import identifiers
from irflow.orders.models import Order, OrderStatus
from irflow.orders.services import order_create
from irflow.referrals.models import Notification, Referral, ReferralEvent
from irflow.scheduling.models import Booking, BookingTeamMember, TeamRole
from irflow.scheduling.selectors import booking_misfit
from irflow.scheduling.services import booking_create

# Room code -> (primary operator, supervising physician) among the demo staff.
OPERATORS = {
    "ANGIO1": ("physician", None),
    "ANGIO2": ("physician2", None),
    "CT1": ("physician3", None),
    "US1": ("trainee", "physician2"),
}
# Today's first bookings per room (by room order), then "booked" for the rest of the day.
TODAY = [
    ["discharged", "recovery", "in_room", "arrived"],
    ["discharged", "discharged", "recovery", "in_preparation"],
    ["discharged", "in_room", "arrived"],
    ["recovery", "arrived", "in_preparation"],
]
DAYS_AHEAD = 14


class _Planner:
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.rng = random.Random(ctx.seed * 17 + 3)
        self.users = ctx.users
        self.tz = timezone.get_current_timezone()
        self.rooms = [r for r in ctx.rooms if r.active]
        self.procedures = list(ProcedureType.objects.filter(active=True).order_by("code"))
        self.privileges: dict[int, set[str]] = {}
        for user_id, category in Privilege.objects.values_list("user_id", "category"):
            self.privileges.setdefault(user_id, set()).add(category)
        self.patients = itertools.cycle(ctx.patients)
        self.placer = itertools.count(1)
        self.count = 0

    def operator(self, room: Room, procedure: ProcedureType):
        """The room's operator (and supervisor) if they may do this procedure, else none."""
        op_name, sup_name = OPERATORS.get(room.code, (None, None))
        operator = self.users.get(op_name) if op_name else None
        supervisor = self.users.get(sup_name) if sup_name else None
        if operator is None:
            return None, None
        if operator.role == "trainee":
            return (operator, supervisor) if supervisor is not None else (None, None)
        if procedure.category in self.privileges.get(operator.pk, set()):
            return operator, None
        return None, None

    def fits(self, room: Room, procedure: ProcedureType) -> bool:
        """The room offers what the procedure needs (and is its own kind of room: an angio
        suite is not filled with ultrasound-only cases although it has a probe)."""
        return room.modality in procedure.modalities and not booking_misfit(
            room=room, procedure=procedure
        )

    def candidates(self, room: Room) -> list[ProcedureType]:
        fitting = [p for p in self.procedures if self.fits(room, p)]
        usable = [p for p in fitting if self.operator(room, p)[0] is not None]
        return usable or fitting

    def book(self, order: Order, room: Room, start: datetime) -> Booking | None:
        operator, supervisor = self.operator(room, order.procedure_type)
        team = [(self.users["nurse"], TeamRole.NURSE)]
        if room.modality in ("XA", "CT"):
            team.append((self.users["technologist"], TeamRole.TECHNOLOGIST))
        if supervisor is not None:
            team.append((supervisor, TeamRole.SUPERVISING_PHYSICIAN))
        try:
            booking = booking_create(
                actor=self.users["scheduler"],
                order_id=order.pk,
                room=room,
                start=start,
                primary_operator=operator,
                team=team,
                # Booked ahead of time, as a department does (today's are not retrospective).
                now=min(timezone.now(), start - timedelta(days=1)),
            )
        except Conflict:  # the patient is busy then: leave this order for another slot
            return None
        self.count += 1
        return booking

    def free_patient(self, start: datetime, end: datetime):
        for _ in range(len(self.ctx.patients)):
            patient = next(self.patients)
            busy = Booking.objects.filter(
                patient=patient, active=True, start__lt=end, end__gt=start
            ).exists()
            if not busy:
                return patient
        return None

    def progress(self, booking: Booking, status: str) -> None:
        self.ctx.plan[booking.pk] = status


def _compatible(planner: _Planner, order: Order) -> Room | None:
    rooms = [r for r in planner.rooms if planner.fits(r, order.procedure_type)]
    with_operator = [r for r in rooms if planner.operator(r, order.procedure_type)[0]]
    return (with_operator or rooms or [None])[0]


def _slots(planner: _Planner, room: Room, day, taken: list[tuple[datetime, datetime]]):
    """Yield (start, procedure) through the room's opening hours, around `taken` times."""
    opens = datetime.combine(day, room.opens_at, planner.tz)
    closes = datetime.combine(day, room.closes_at, planner.tz)
    cursor = opens + timedelta(minutes=planner.rng.choice([0, 15, 30]))
    candidates = planner.candidates(room)
    while True:
        procedure = planner.rng.choice(candidates)
        end = cursor + timedelta(minutes=procedure.default_duration_min)
        if end > closes:
            return
        clash = next((e for s, e in taken if s < end and cursor < e), None)
        if clash is not None:
            cursor = clash
            continue
        yield cursor, procedure
        cursor = end + timedelta(minutes=planner.rng.choice([15, 15, 30, 45]))


def _ehr_order(planner: _Planner, patient, procedure: ProcedureType) -> Order:
    return order_create(
        actor=planner.users["physician"],
        patient_id=patient.pk,
        procedure_type=procedure,
        priority=planner.rng.choice(["routine"] * 5 + ["urgent"]),
        placer_order_number=f"EHR{planner.ctx.seed:03d}{next(planner.placer):06d}",
        clinical_indication="Requested through the EHR.",
    )


def _book_today(planner: _Planner) -> None:
    """Today, through the services, with patients at every stage of their day."""
    today = planner.ctx.today
    for index, room in enumerate(planner.rooms):
        if today.isoweekday() not in (room.open_weekdays or []):
            continue
        todays = []
        for start, procedure in _slots(planner, room, today, []):
            end = start + timedelta(minutes=procedure.default_duration_min)
            patient = planner.free_patient(start, end)
            if patient is None:
                break
            booking = planner.book(_ehr_order(planner, patient, procedure), room, start)
            if booking is not None:
                todays.append(booking)
        pattern = TODAY[index % len(TODAY)]
        # At least two patients stay booked: the modality's worklist is never empty.
        for booking, status in zip(todays[: max(0, len(todays) - 2)], pattern, strict=False):
            planner.progress(booking, status)


def _book_ahead(planner: _Planner, days: list) -> None:
    """The next two weeks in bulk (a demo needs volume, not history for each row)."""
    first = datetime.combine(days[0], datetime.min.time(), planner.tz)
    last = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), planner.tz)
    taken: dict[int, list[tuple[datetime, datetime]]] = {}
    patient_busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for room_id, patient_id, s, e in Booking.objects.filter(
        active=True, start__lt=last, end__gt=first
    ).values_list("room_id", "patient_id", "start", "end"):
        taken.setdefault(room_id, []).append((s, e))
        patient_busy.setdefault(patient_id, []).append((s, e))
    rows = []
    for day in days:
        for room in planner.rooms:
            if day.isoweekday() not in (room.open_weekdays or []):
                continue
            for start, procedure in _slots(planner, room, day, taken.get(room.pk, [])):
                end = start + timedelta(minutes=procedure.default_duration_min)
                for _ in range(len(planner.ctx.patients)):
                    patient = next(planner.patients)
                    busy = patient_busy.setdefault(patient.pk, [])
                    if not any(s < end and start < e for s, e in busy):
                        busy.append((start, end))
                        rows.append((room, start, end, procedure, patient))
                        break
    if not rows:
        return
    n = len(rows)
    numbers = {
        name: iter(identifiers.reserve_numbers(name, n))
        for name in ("accession", "requested_procedure", "study_uid", "sps")
    }
    physician, scheduler = planner.users["physician"], planner.users["scheduler"]
    orders = Order.objects.bulk_create(
        Order(
            patient=patient,
            procedure_type=procedure,
            priority="routine",
            status=OrderStatus.SCHEDULED,
            clinical_indication="Requested through the EHR.",
            placer_order_number=f"EHR{planner.ctx.seed:03d}{next(planner.placer):06d}",
            accession_number=identifiers.accession_number(next(numbers["accession"])),
            requested_procedure_id=identifiers.requested_procedure_id(
                next(numbers["requested_procedure"])
            ),
            study_instance_uid=identifiers.study_uid(next(numbers["study_uid"])),
            created_by=physician,
        )
        for room, start, end, procedure, patient in rows
    )
    now = timezone.now()
    bookings, operators = [], []
    for order, (room, start, end, procedure, patient) in zip(orders, rows, strict=True):
        operator, supervisor = planner.operator(room, procedure)
        operators.append((operator, supervisor, room))
        bookings.append(
            Booking(
                order=order,
                patient=patient,
                room=room,
                start=start,
                end=end,
                primary_operator=operator,
                sps_id=identifiers.sps_id(next(numbers["sps"])),
                modality=room.modality,
                station_ae_title=room.station_ae_title,
                created_by=scheduler,
                status_changed_at=now,
            )
        )
    bookings = Booking.objects.bulk_create(bookings)
    team = []
    for booking, (operator, supervisor, room) in zip(bookings, operators, strict=True):
        members = [(planner.users["nurse"], TeamRole.NURSE)]
        if operator is not None:
            members.insert(0, (operator, TeamRole.PRIMARY_OPERATOR))
        if supervisor is not None:
            members.append((supervisor, TeamRole.SUPERVISING_PHYSICIAN))
        if room.modality in ("XA", "CT"):
            members.append((planner.users["technologist"], TeamRole.TECHNOLOGIST))
        team += [BookingTeamMember(booking=booking, user=u, role=r) for u, r in members]
    BookingTeamMember.objects.bulk_create(team)
    planner.count += len(bookings)


def date_done(order: Order, start: datetime) -> None:
    """Date a done referral's booking and completion back to when its procedure was."""
    booked_at = min(start - timedelta(days=1), timezone.now())
    ReferralEvent.objects.filter(referral__order=order, to_status="scheduled").update(at=booked_at)
    finished = start + timedelta(hours=3)
    ReferralEvent.objects.filter(referral__order=order, to_status="done").update(at=finished)
    Referral.objects.filter(order=order).update(procedure_at=start, status_changed_at=finished)
    Notification.objects.filter(referral__order=order).filter(created_at__gt=booked_at).update(
        created_at=finished
    )


def demo_bookings_create(ctx) -> None:
    planner = _Planner(ctx)
    if not planner.rooms or not ctx.patients:
        return
    referrers = [u for u in ctx.users.values() if u.role == "referrer"]
    waiting = list(
        Order.objects.filter(status=OrderStatus.ORDERED, referral__referrer__in=referrers)
        .select_related("procedure_type", "patient")
        .order_by("pk")
    )
    # Those received over a week ago are done (their procedure between then and yesterday);
    # of the others, every second one is booked and the rest wait to be booked.
    week_ago = timezone.now() - timedelta(days=7)
    received = dict(
        Referral.objects.filter(order__in=waiting).values_list("order_id", "received_at")
    )
    done = [o for o in waiting if received[o.pk] < week_ago]
    to_schedule = [o for o in waiting if o not in done][0::2]

    # Referral orders already done, on a day between their referral and yesterday.
    for order in done:
        room = _compatible(planner, order)
        if room is None:
            continue
        first = timezone.localtime(received[order.pk]).date() + timedelta(days=1)
        span = max(0, (ctx.today - first).days - 1)
        day = first + timedelta(days=planner.rng.randint(span // 3, span))
        booking = None
        for hour in range(1, 8):  # the first free hour of that morning
            start = datetime.combine(day, room.opens_at, planner.tz) + timedelta(hours=hour)
            booking = planner.book(order, room, start)
            if booking is not None:
                break
        if booking is not None:
            planner.progress(booking, "discharged")

    _book_today(planner)

    # Referral orders booked in the coming days, first thing in the morning.
    for i, order in enumerate(to_schedule):
        room = _compatible(planner, order)
        if room is None:
            continue
        day = ctx.today + timedelta(days=1 + i % DAYS_AHEAD)
        planner.book(order, room, datetime.combine(day, room.opens_at, planner.tz))

    _book_ahead(planner, [ctx.today + timedelta(days=d) for d in range(1, DAYS_AHEAD + 1)])
    ctx.counts["bookings"] = planner.count
