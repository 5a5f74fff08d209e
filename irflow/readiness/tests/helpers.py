"""Bookings in known states of readiness, built through the real services."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from irflow.catalogue.models import Room
from irflow.patients.services import lab_result_record
from irflow.readiness.services import preparation_update
from irflow.testing.fixtures import make_booking, make_order, next_weekday_at


def room() -> Room:
    return Room.objects.get_or_create(
        code="RDY1", defaults={"name": "Readiness room", "kind": "angio", "modality": "XA"}
    )[0]


def booking_for(actor, patient, code: str = "BX-LIV", start: datetime | None = None, **kwargs):
    order = make_order(actor, patient, code, **kwargs)
    return make_booking(actor, order, room(), start or next_weekday_at(10))


def lab(actor, patient, analyte: str, value, at: datetime | None = None):
    return lab_result_record(
        actor=actor,
        patient_id=patient.pk,
        analyte=analyte,
        value=value,
        collected_at=at or timezone.now() - timedelta(hours=2),
    )


def nearly_ready(actor, patient, **kwargs):
    """A high-bleeding-risk liver biopsy with everything recorded except the INR."""
    booking = booking_for(actor, patient, **kwargs)
    lab(actor, patient, "platelets", 210)
    lab(actor, patient, "haemoglobin", 128)
    preparation_update(
        actor=actor,
        booking_id=booking.pk,
        consent="signed",
        medications_confirmed=True,
        allergies_confirmed=True,
    )
    return booking
