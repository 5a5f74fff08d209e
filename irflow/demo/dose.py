"""Demo dose reports: today's finished angiography cases send their RDSR, one of them over the
substantial radiation dose level (so the demo shows an alert and a skin follow-up), another
the repeat of a procedure five weeks ago whose dose, added to today's, reaches the level
(a cumulative alert naming both)."""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta

from django.utils import timezone

from irflow.accounts.actors import SYSTEM
from irflow.demo.day import Staff, _prepare, _walk
from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events
from irflow.dose import storage
from irflow.dose.models import ReceivedChannel
from irflow.dose.services import received_process, received_record
from irflow.lib.errors import ServiceError
from irflow.orders.services import order_create
from irflow.scheduling.models import Booking, BookingStatus
from irflow.scheduling.services import booking_create

MAX_REPORTS = 4
REPEAT_WEEKS = 5  # the earlier procedure of the repeated one, within the 60-day window


def _send(ctx, booking: Booking, total_mgy: float, number: int, rng: random.Random) -> None:
    """The RDSR of `booking`'s procedure with `total_mgy` of Ka,r, received and read."""
    count = rng.randint(6, 12)
    started = timezone.localtime(booking.start).replace(tzinfo=None)
    events = tuple(
        dataclasses.replace(e, dose_rp_mgy=round(total_mgy / count, 2))
        for e in make_events(count, seed=ctx.seed * 100 + number, start=started, biplane=True)
    )
    rdsr = ProjectionRdsr(
        events=events,
        seed=ctx.seed * 100 + number,
        patient_id=booking.patient.mrn,
        patient_name=f"{booking.patient.family_name}^{booking.patient.given_name}",
        accession_number=booking.order.accession_number,
        study_instance_uid=booking.order.study_instance_uid,
        mpps_uid=None,
        study_datetime=started,
        timezone_offset=None,
        station_name=booking.room.station_ae_title or booking.room.code,
    )
    received = received_record(
        stored=storage.store_durably(rdsr.to_bytes()),
        channel=ReceivedChannel.DICOM,
        calling_ae_title=booking.room.station_ae_title,
    )
    received_process(actor=SYSTEM, received_id=received.pk)


def _earlier(ctx, booking: Booking, rng: random.Random) -> Booking | None:
    """The same procedure for the same patient REPEAT_WEEKS weeks before `booking`, done."""
    users = ctx.users
    staff = Staff(
        physician=users["physician"],
        nurse=users["nurse"],
        technologist=users.get("technologist"),
        trainee=users.get("trainee"),
    )
    start = booking.start - timedelta(weeks=REPEAT_WEEKS)
    start = datetime.combine(
        timezone.localtime(start).date(), booking.room.opens_at, timezone.get_current_timezone()
    )
    try:
        order = order_create(
            actor=staff.physician,
            patient_id=booking.patient_id,
            procedure_type=booking.order.procedure_type,
            clinical_indication="First session; repeat planned in about five weeks.",
        )
        earlier = booking_create(
            actor=users["scheduler"],
            order_id=order.pk,
            room=booking.room,
            start=start,
            primary_operator=staff.physician,
            now=min(timezone.now(), start - timedelta(days=7)),  # booked a week ahead
        )
        _prepare(earlier, staff, rng)
        _walk(earlier, BookingStatus.DISCHARGED, staff, staff.physician, rng)
    except ServiceError:
        return None  # the demo goes on without the repeated procedure
    return Booking.objects.select_related("order", "patient", "room").get(pk=earlier.pk)


def demo_dose_create(ctx) -> None:
    """Send a dose report for each of today's finished fluoroscopy cases (a few)."""
    rng = random.Random(ctx.seed * 31 + 7)
    done = (
        Booking.objects.filter(
            start__date=ctx.today, status__in=["recovery", "discharged"], modality="XA"
        )
        .select_related("order", "patient", "room")
        .order_by("start")[:MAX_REPORTS]
    )
    created = 0
    for number, booking in enumerate(done):
        total_mgy = 6200.0 if number == 0 else rng.uniform(150, 2400)
        if number == 1:
            earlier = _earlier(ctx, booking, rng)
            if earlier is not None:
                _send(ctx, earlier, 2700.0, MAX_REPORTS + 1, rng)
                created += 1
                total_mgy = 2600.0  # 5.3 Gy within the window: the cumulative SRDL
        _send(ctx, booking, total_mgy, number, rng)
        created += 1
    ctx.counts["dose reports"] = created
