"""Enqueue a readiness refresh, after commit, whenever something the rules read changes.

Labs, medications, allergies, conditions and demographics of the patient; the booking, its
order and preparation; acknowledgements; the site policy. Several changes in one transaction
enqueue each booking once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone

# Bookings that ended longer ago than this keep their last evaluation.
RECENT = timedelta(hours=12)


class _Pending:
    """Booking ids waiting for the current transaction to commit."""

    def __init__(self) -> None:
        self.ids: set[int] = set()
        self.flushed = False

    def flush(self) -> None:
        from irflow.readiness.tasks import readiness_refresh_task

        self.flushed = True
        for booking_id in sorted(self.ids):
            readiness_refresh_task.enqueue(booking_id=booking_id)


def schedule_refresh(booking_ids: Iterable[int]) -> None:
    """Enqueue a refresh of these bookings once the current transaction commits."""
    ids = {int(i) for i in booking_ids}
    if not ids:
        return
    connection = transaction.get_connection()
    pending: _Pending | None = getattr(connection, "_irflow_readiness_pending", None)
    queued = (
        connection.in_atomic_block
        and pending is not None
        and not pending.flushed
        and any(func == pending.flush for _, func, _ in connection.run_on_commit)
    )
    if not queued:
        pending = _Pending()
        connection._irflow_readiness_pending = pending
        transaction.on_commit(pending.flush)
    assert pending is not None
    pending.ids |= ids


def _patient_bookings(patient_id: int | None) -> list[int]:
    from irflow.scheduling.models import Booking

    if patient_id is None:
        return []
    return list(
        Booking.objects.filter(
            patient_id=patient_id, active=True, end__gte=timezone.now() - RECENT
        ).values_list("pk", flat=True)
    )


def _on_patient_fact(sender, instance, **kwargs) -> None:
    schedule_refresh(_patient_bookings(instance.patient_id))


def _on_patient(sender, instance, **kwargs) -> None:
    schedule_refresh(_patient_bookings(instance.pk))


def _on_booking(sender, instance, **kwargs) -> None:
    schedule_refresh([instance.pk])


def _on_order(sender, instance, **kwargs) -> None:
    schedule_refresh(instance.bookings.filter(active=True).values_list("pk", flat=True))


def _on_booking_part(sender, instance, **kwargs) -> None:
    schedule_refresh([instance.booking_id])


def _on_last_dose(sender, instance, **kwargs) -> None:
    schedule_refresh([instance.preparation.booking_id])


def _on_policy(sender, instance, **kwargs) -> None:
    from irflow.scheduling.models import Booking

    schedule_refresh(
        Booking.objects.filter(active=True, end__gte=timezone.now() - RECENT).values_list(
            "pk", flat=True
        )
    )


def connect() -> None:
    from irflow.orders.models import Order
    from irflow.patients import models as patients
    from irflow.readiness import models as readiness
    from irflow.scheduling.models import Booking

    for model in (patients.LabResult, patients.Medication, patients.Allergy, patients.Condition):
        post_save.connect(
            _on_patient_fact, sender=model, dispatch_uid=f"readiness-{model.__name__}"
        )
    post_save.connect(_on_patient, sender=patients.Patient, dispatch_uid="readiness-patient")
    post_save.connect(_on_booking, sender=Booking, dispatch_uid="readiness-booking")
    post_save.connect(_on_order, sender=Order, dispatch_uid="readiness-order")
    for part in (readiness.Preparation, readiness.Acknowledgement):
        post_save.connect(_on_booking_part, sender=part, dispatch_uid=f"readiness-{part.__name__}")
    post_save.connect(_on_last_dose, sender=readiness.LastDose, dispatch_uid="readiness-lastdose")
    post_save.connect(_on_policy, sender=readiness.PolicySettings, dispatch_uid="readiness-policy")
