"""Writes of orders."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import require
from irflow.catalogue.models import ProcedureType
from irflow.lib.errors import ValidationFailed
from irflow.lib.history import history_actor
from irflow.orders import identifiers
from irflow.orders.models import ORDER_STATES, Laterality, Order, Priority
from irflow.orders.signals import order_status_changed
from irflow.patients.selectors import patient_get

MSG_PROCEDURE_INACTIVE = "This procedure is not in the active catalogue."
MSG_RISK_NOT_OPERATOR = (
    "The catalogue sets this procedure's bleeding risk; there is no choice to record."
)
MSG_UNKNOWN_PROCEDURE = "“{code}” is not a procedure in the catalogue."


def procedure_by_code(code: str, *, field: str = "procedure_code") -> ProcedureType:
    """The active catalogue entry with this local code, or a field error."""
    procedure = ProcedureType.objects.filter(code=(code or "").strip(), active=True).first()
    if procedure is None:
        raise ValidationFailed({field: MSG_UNKNOWN_PROCEDURE.format(code=code)})
    return procedure


@transaction.atomic
def order_create(
    *,
    actor: Actor,
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
            created_by=person(actor),
        )


@transaction.atomic
def order_set_status(*, actor: Actor, order_id: int, status: str) -> Order:
    """Move an order along its state machine (checked); used by booking and MPPS services."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status == status:
        return order
    ORDER_STATES.check(order.status, status)
    previous, order.status = order.status, status
    with history_actor(actor):
        order.save(update_fields=["status", "updated_at"])
        order_status_changed.send(sender=Order, order=order, previous=previous, actor=actor)
    return order


@transaction.atomic
def order_record_bleeding_risk(*, actor: Actor, order_id: int, category: str) -> Order:
    """Record the operator's bleeding-risk choice where the catalogue leaves it to them."""
    require(actor, "order.bleeding_risk")
    order = Order.objects.select_for_update().select_related("procedure_type").get(pk=order_id)
    if order.procedure_type.bleeding_risk != "operator_decides":
        raise ValidationFailed({"category": MSG_RISK_NOT_OPERATOR})
    if category not in ("low", "high"):
        raise ValidationFailed({"category": "Choose low or high."})
    order.bleeding_risk_choice = category
    order.bleeding_risk_chosen_by = person(actor)
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
