"""The database's refusals are recognised by the constraint's name or the unique key's
columns, on SQLite and PostgreSQL alike (the suite runs on both)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from irflow.lib.db import constraint_name, unique_columns, violates
from irflow.patients.models import IdentifierKind, PatientIdentifier
from irflow.scheduling.models import Booking
from irflow.testing.fixtures import make_booking, make_order, next_weekday_at

pytestmark = pytest.mark.django_db


def refusal(write) -> IntegrityError:
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        write()
    return exc.value


def test_a_duplicate_unique_key_is_known_by_its_columns(patient):
    mrn = PatientIdentifier.objects.get(patient=patient, kind=IdentifierKind.MRN)
    exc = refusal(
        lambda: PatientIdentifier.objects.create(
            patient=patient, kind=IdentifierKind.MRN, issuer=mrn.issuer, value=mrn.value
        )
    )
    assert unique_columns(exc) == {"issuer", "value"}
    assert violates(exc, unique=[("issuer", "value")])
    assert not violates(exc, unique=[("value",)], constraints=("other_name",))
    # PostgreSQL names the constraint too; SQLite names only the columns.
    expected = "identifier_unique_per_issuer" if connection.vendor == "postgresql" else None
    assert constraint_name(exc) == expected


def test_a_check_constraint_is_known_by_its_name(attending, patient, angio_room):
    booking = make_booking(
        attending, make_order(attending, patient), angio_room, next_weekday_at(9)
    )

    def backwards():
        Booking.objects.filter(pk=booking.pk).update(end=booking.start - timedelta(minutes=5))

    exc = refusal(backwards)
    assert constraint_name(exc) == "booking_end_after_start"
    assert violates(exc, constraints=("booking_end_after_start",))
    assert unique_columns(exc) is None


def test_an_overlap_is_known_by_the_name_the_database_gives_it(attending, patient, angio_room):
    start = next_weekday_at(9)
    first = make_booking(attending, make_order(attending, patient), angio_room, start)

    def overlapping():
        Booking.objects.create(
            order=first.order,
            patient=patient,
            room=angio_room,
            start=start + timedelta(minutes=5),
            end=start + timedelta(minutes=20),
            sps_id="SPS-OVERLAP",
            modality="XA",
        )

    exc = refusal(overlapping)
    assert constraint_name(exc) in {"booking_room_overlap", "booking_patient_overlap"}
