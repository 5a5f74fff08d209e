"""A small fixed department for the timeliness figures: eight referrals, eleven bookings (five
procedures done in March 2026, one only booked, four cancelled, one done in February) and
their MPPS steps and reports. Every figure is worked out by hand from these tables in
irflow/quality/tests/test_timeliness.py."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from irflow.accounts.models import User
from irflow.catalogue.models import ProcedureType, Room, RoomClosure
from irflow.orders.models import Order
from irflow.patients.models import Patient
from irflow.patients.services import patient_create
from irflow.procedures.models import PerformedProcedureStep, ProcedureRecord
from irflow.referrals.models import Referral
from irflow.reports.models import Report
from irflow.scheduling.models import Booking

START, END = date(2026, 3, 1), date(2026, 3, 31)

# Times are "HH:MM" on the booking's day; None: not recorded.
# (procedure, room, day, booked from, to, urgency, booking status, cancel reason,
#  record: (in room, started, ended, out) or None,
#  completed MPPS steps [(started, ended)], report: None, "draft", or hours signed after the end)
Times = tuple[str | None, str | None, str | None, str | None]
BOOKINGS: list[
    tuple[
        str,
        str,
        date,
        str,
        str,
        str,
        str,
        str,
        Times | None,
        list[tuple[str, str]],
        int | str | None,
    ]
] = [
    (
        "PTA-IL",
        "A",
        date(2026, 3, 3),
        "09:00",
        "10:00",
        "routine",
        "discharged",
        "",
        ("09:05", "09:10", "09:50", "10:05"),
        [("09:10", "09:55")],
        4,
    ),
    (
        "PTA-IL",
        "A",
        date(2026, 3, 4),
        "09:00",
        "11:00",
        "urgent",
        "discharged",
        "",
        ("09:00", "09:15", "10:20", "10:30"),
        [],
        30,
    ),
    (
        "PTA-IL",
        "B",
        date(2026, 3, 5),
        "13:00",
        "14:00",
        "routine",
        "discharged",
        "",
        ("12:55", "13:00", "13:45", "13:55"),
        [("13:00", "13:30"), ("13:40", "13:50")],
        "draft",
    ),
    (
        "PICC",
        "B",
        date(2026, 3, 6),
        "10:00",
        "10:30",
        "routine",
        "discharged",
        "",
        (None, None, None, None),
        [],
        None,
    ),
    (
        "PICC",
        "A",
        date(2026, 3, 10),
        "10:00",
        "10:30",
        "emergent",
        "discharged",
        "",
        ("10:00", "10:05", "10:20", "10:25"),
        [("10:05", "10:20")],
        2,
    ),
    # Booked, never checked in.
    ("PICC", "B", date(2026, 3, 20), "10:00", "11:00", "routine", "booked", "", None, [], None),
    # Cancelled.
    (
        "PTA-IL",
        "A",
        date(2026, 3, 11),
        "09:00",
        "10:00",
        "routine",
        "cancelled",
        "did_not_attend",
        None,
        [],
        None,
    ),
    (
        "PICC",
        "A",
        date(2026, 3, 12),
        "09:00",
        "09:30",
        "routine",
        "cancelled",
        "did_not_attend",
        None,
        [],
        None,
    ),
    (
        "PTA-IL",
        "B",
        date(2026, 3, 13),
        "09:00",
        "10:00",
        "urgent",
        "cancelled",
        "equipment",
        None,
        [],
        None,
    ),
    # Outside the period.
    (
        "PTA-IL",
        "A",
        date(2026, 4, 2),
        "09:00",
        "10:00",
        "routine",
        "cancelled",
        "patient_unwell",
        None,
        [],
        None,
    ),
    (
        "PTA-IL",
        "A",
        date(2026, 2, 27),
        "09:00",
        "10:00",
        "routine",
        "discharged",
        "",
        ("09:00", "09:00", "10:00", "10:00"),
        [("09:00", "10:00")],
        1,
    ),
]

# (urgency, requested procedure, received on at 09:00, hours to triage, hours to procedure,
#  index in BOOKINGS of the procedure done for it or None)
REFERRALS: list[tuple[str, str, date, int | None, int | None, int | None]] = [
    ("routine", "PTA-IL", date(2026, 3, 2), 10, 100, 0),
    ("routine", "PTA-IL", date(2026, 3, 3), 20, 600, None),
    ("routine", "PICC", date(2026, 3, 4), 80, None, None),
    ("routine", "PICC", date(2026, 3, 5), None, None, None),
    ("urgent", "PTA-IL", date(2026, 3, 6), 2, 50, 1),
    ("urgent", "PICC", date(2026, 3, 9), 30, None, None),
    ("emergent", "PICC", date(2026, 3, 10), 1, 3, None),  # triaged exactly on its target
    # Outside the period.
    ("routine", "PTA-IL", date(2026, 2, 20), 500, None, None),
]


def _at(day: date, hhmm: str | None, zone: ZoneInfo) -> datetime | None:
    return None if hhmm is None else _on(day, hhmm, zone)


def _on(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime.combine(day, time(int(hours), int(minutes)), zone)


def _patient(actor: User, n: int) -> Patient:
    return patient_create(
        actor=actor,
        mrn=f"T{n:07d}",
        family_name=f"Timely{n}",
        given_name="Case",
        birth_date=date(1960, 1, n),
        sex="M",
    )


def timeliness_world(actor: User, referrer: User) -> dict:
    """The tables above, written directly (their history is not what is tested); returns the
    rooms, the booking ids in the order of BOOKINGS and the referral ids in that of REFERRALS.
    Room A opens 08:00–18:00 and is closed on Monday 2 March 07:00–19:00; room B opens
    08:00–16:00; both Monday to Friday."""
    zone = ZoneInfo(settings.TIME_ZONE)
    rooms = {
        "A": Room.objects.create(code="TA", name="Timely A", kind="angio", modality="XA"),
        "B": Room.objects.create(
            code="TB", name="Timely B", kind="angio", modality="XA", closes_at=time(16, 0)
        ),
    }
    RoomClosure.objects.create(
        room=rooms["A"],
        starts_at=datetime(2026, 3, 2, 7, 0, tzinfo=zone),
        ends_at=datetime(2026, 3, 2, 19, 0, tzinfo=zone),
        reason="Service",
    )
    types = {t.code: t for t in ProcedureType.objects.filter(code__in={"PTA-IL", "PICC"})}
    bookings, orders = [], []
    for n, row in enumerate(BOOKINGS, 1):
        code, room, day, frm, to, urgency, status, reason, times, steps, report = row
        patient = _patient(actor, n)
        order = Order.objects.create(
            patient=patient,
            procedure_type=types[code],
            priority=urgency,
            accession_number=f"TA{n:06d}",
            requested_procedure_id=f"TR{n:06d}",
            study_instance_uid=f"1.2.826.0.1.3680043.10.997.{n}",
            status="completed" if times else "scheduled",
        )
        booking = Booking.objects.create(
            order=order,
            patient=patient,
            room=rooms[room],
            start=_on(day, frm, zone),
            end=_on(day, to, zone),
            sps_id=f"TS{n:06d}",
            modality="XA",
            status=status,
            active=status != "cancelled",
            cancel_reason=reason,
        )
        bookings.append(booking.pk)
        orders.append(order)
        for i, (began, done) in enumerate(steps):
            PerformedProcedureStep.objects.create(
                sop_instance_uid=f"1.2.826.0.1.3680043.10.996.{n}.{i}",
                status="COMPLETED",
                booking=booking,
                order=order,
                patient=patient,
                room=rooms[room],
                started_at=_at(day, began, zone),
                ended_at=_at(day, done, zone),
            )
        if times is None:
            continue
        in_room, started, ended, out = (_at(day, t, zone) for t in times)
        record = ProcedureRecord.objects.create(
            booking=booking,
            order=order,
            patient=patient,
            status="completed",
            checked_in_at=_on(day, frm, zone),
            checked_in_by=actor,
            in_room_at=in_room,
            started_at=started,
            ended_at=ended,
            out_at=out,
        )
        if steps:
            # A step still in progress (never completed) counts for nothing.
            PerformedProcedureStep.objects.create(
                sop_instance_uid=f"1.2.826.0.1.3680043.10.996.{n}.open",
                status="IN PROGRESS",
                booking=booking,
                room=rooms[room],
                started_at=started,
            )
        if report == "draft":
            Report.objects.create(record=record, author=actor)
        elif isinstance(report, int):
            assert ended is not None
            Report.objects.create(
                record=record,
                author=actor,
                status="final",
                signed_by=actor,
                signed_at=ended + timedelta(hours=report),
            )
    referrals = []
    for n, (urgency, code, day, triage_h, procedure_h, done_in) in enumerate(REFERRALS, 1):
        received = datetime.combine(day, time(9, 0), zone)
        referral = Referral.objects.create(
            patient=_patient(actor, 20 + n),
            referrer=referrer,
            referring_clinician="Dr Referrer",
            clinical_question=f"Referral {n}",
            procedure_type=types[code],
            urgency=urgency,
            status="done" if procedure_h else "accepted" if triage_h else "received",
            received_at=received,
            triaged_at=received + timedelta(hours=triage_h) if triage_h else None,
            procedure_at=received + timedelta(hours=procedure_h) if procedure_h else None,
            order=orders[done_in] if done_in is not None else None,
        )
        referrals.append(referral.pk)
    return {"rooms": rooms, "bookings": bookings, "referrals": referrals}
