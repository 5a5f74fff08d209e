"""Writes of orders."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from irflow.accounts.permissions import require
from irflow.audit.services import history_actor
from irflow.catalogue.models import ProcedureType
from irflow.lib.errors import ValidationFailed
from irflow.orders import identifiers
from irflow.orders.models import ORDER_STATES, Laterality, Order, OrderStatus, Priority
from irflow.orders.signals import order_status_changed
from irflow.patients.selectors import patient_get

MSG_PROCEDURE_INACTIVE = "This procedure is not in the active catalogue."
MSG_RISK_NOT_OPERATOR = (
    "The catalogue sets this procedure's bleeding risk; there is no choice to record."
)
MSG_UNKNOWN_PROCEDURE = "“{code}” is not a procedure in the catalogue."
MSG_CANCEL_REASON = "Give a reason for cancelling the order."


def procedure_by_code(code: str, *, field: str = "procedure_code") -> ProcedureType:
    """The active catalogue entry with this local code, or a field error."""
    procedure = ProcedureType.objects.filter(code=(code or "").strip(), active=True).first()
    if procedure is None:
        raise ValidationFailed({field: MSG_UNKNOWN_PROCEDURE.format(code=code)})
    return procedure


@transaction.atomic
def order_create(
    *,
    actor,
    patient_id: int,
    procedure_type: ProcedureType,
    priority: str = Priority.ROUTINE,
    laterality: str = "",
    site: str = "",
    clinical_indication: str = "",
    placer_order_number: str = "",
    action: str = "order.create",
) -> Order:
    """Create an order with its accession number, requested procedure ID and Study UID."""
    require(actor, action)
    patient = patient_get(actor=actor, patient_id=patient_id, what="order", action="patient.view")
    errors = {}
    if not procedure_type.active:
        errors["procedure_type"] = MSG_PROCEDURE_INACTIVE
    if priority not in Priority.values:
        errors["priority"] = f"“{priority}” is not a priority."
    if laterality not in Laterality.values:
        errors["laterality"] = f"“{laterality}” is not a laterality."
    if errors:
        raise ValidationFailed(errors)
    with history_actor(actor):
        return Order.objects.create(
            patient=patient,
            procedure_type=procedure_type,
            priority=priority,
            laterality=laterality,
            site=site.strip(),
            clinical_indication=clinical_indication.strip(),
            placer_order_number=placer_order_number,
            accession_number=identifiers.new_accession_number(),
            requested_procedure_id=identifiers.new_requested_procedure_id(),
            study_instance_uid=identifiers.new_study_uid(),
            created_by=actor,
        )


@transaction.atomic
def order_set_status(*, order: Order, status: str, actor=None) -> Order:
    """Move an order along its state machine (checked); used by booking and MPPS services."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status == status:
        return locked
    ORDER_STATES.check(locked.status, status)
    previous, locked.status = locked.status, status
    with history_actor(actor):
        locked.save(update_fields=["status", "updated_at"])
        order_status_changed.send(sender=Order, order=locked, previous=previous, actor=actor)
    order.status = status
    return locked


@transaction.atomic
def order_cancel(*, actor, order_id: int, reason: str) -> Order:
    """Cancel an order that has not started; bookings that have not started go with it."""
    require(actor, "order.cancel")
    from irflow.orders.selectors import order_get
    from irflow.scheduling.models import CancelReason
    from irflow.scheduling.services import booking_cancel  # scheduling builds on orders

    order = order_get(actor=actor, order_id=order_id, what="cancel order")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": MSG_CANCEL_REASON})
    ORDER_STATES.check(order.status, OrderStatus.CANCELLED)
    for booking in order.bookings.filter(active=True):
        booking_cancel(
            actor=actor,
            booking=booking,
            reason=CancelReason.NO_LONGER_INDICATED,
            note=f"Order cancelled: {reason}",
            release_order=False,
        )
    order.cancel_reason = reason[:300]
    with history_actor(actor):
        order.save(update_fields=["cancel_reason", "updated_at"])
    return order_set_status(order=order, status=OrderStatus.CANCELLED, actor=actor)


@transaction.atomic
def order_record_bleeding_risk(*, actor, order: Order, category: str) -> Order:
    """Record the operator's bleeding-risk choice where the catalogue leaves it to them."""
    require(actor, "order.bleeding_risk")
    if order.procedure_type.bleeding_risk != "operator_decides":
        raise ValidationFailed({"category": MSG_RISK_NOT_OPERATOR})
    if category not in ("low", "high"):
        raise ValidationFailed({"category": "Choose low or high."})
    order.bleeding_risk_choice = category
    order.bleeding_risk_chosen_by = actor
    order.bleeding_risk_chosen_at = timezone.now()
    with history_actor(actor):
        order.save(
            update_fields=[
                "bleeding_risk_choice",
                "bleeding_risk_chosen_by",
                "bleeding_risk_chosen_at",
                "updated_at",
            ]
        )
    return order
