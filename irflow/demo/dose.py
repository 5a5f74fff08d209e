"""Demo dose reports: today's finished angiography cases send their RDSR, one of them over the
substantial radiation dose level (so the demo shows an alert and a skin follow-up)."""

from __future__ import annotations

import dataclasses
import random

from django.utils import timezone

from irflow.accounts.actors import SYSTEM
from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events
from irflow.dose import storage
from irflow.dose.models import ReceivedChannel
from irflow.dose.services import received_process, received_record
from irflow.scheduling.models import Booking

MAX_REPORTS = 4


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
        created += 1
    ctx.counts["dose reports"] = created
