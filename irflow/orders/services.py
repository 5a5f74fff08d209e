"""Writes of orders."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import require
from irflow.catalogue.models import ProcedureType
from irflow.lib.errors import Conflict, ValidationFailed
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
    accession_number: str = "",
    requested_procedure_id: str = "",
    study_instance_uid: str = "",
) -> Order:
    """Create an order with its accession number, requested procedure ID and Study UID.

    A placer that sends its own identifiers (HL7 IPC / ZDS) keeps them when they fit and are
    free, so that HL7 and DICOM name the study alike; otherwise irflow issues its own (the
    caller compares to see which)."""
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
            accession_number=_sent_or_new(
                "accession_number", accession_number, 16, identifiers.new_accession_number
            ),
            requested_procedure_id=_sent_or_new(
                "requested_procedure_id",
                requested_procedure_id,
                16,
                identifiers.new_requested_procedure_id,
            ),
            study_instance_uid=_sent_or_new(
                "study_instance_uid", study_instance_uid, 64, identifiers.new_study_uid
            ),
            created_by=person(actor),
        )


def _sent_or_new(field: str, sent: str, limit: int, new: Callable[[], str]) -> str:
    """The identifier the placer sent, if it fits and no order has it; else a new one."""
    sent = (sent or "").strip()
    if sent and len(sent) <= limit and not Order.objects.filter(**{field: sent}).exists():
        return sent
    issued = new()
    while Order.objects.filter(**{field: issued}).exists():  # a placer's took it first
        issued = new()
    return issued


MSG_AMEND_STATUS = "Only an order not yet started can be changed (it is {status})."


@transaction.atomic
def order_amend(
    *,
    actor: Actor,
    order_id: int,
    procedure_type: ProcedureType | None = None,
    priority: str | None = None,
    clinical_indication: str | None = None,
) -> Order:
    """Change what an order not yet started asks for (the placer changed its order)."""
    require(actor, "order.create")
    order = Order.objects.select_for_update().select_related("procedure_type").get(pk=order_id)
    patient_get(actor=actor, patient_id=order.patient_id, what="order", action="patient.view")
    if order.status not in ("ordered", "scheduled"):
        raise Conflict(MSG_AMEND_STATUS.format(status=order.get_status_display().lower()))
    errors = {}
    if procedure_type is not None and not procedure_type.active:
        errors["procedure_type"] = MSG_PROCEDURE_INACTIVE
    if priority is not None and priority not in Priority.values:
        errors["priority"] = f"“{priority}” is not a priority."
    if errors:
        raise ValidationFailed(errors)
    changes = {
        "procedure_type": procedure_type,
        "priority": priority,
        "clinical_indication": clinical_indication.strip() if clinical_indication else None,
    }
    changed = [name for name, value in changes.items() if value is not None]
    for name in changed:
        setattr(order, name, changes[name])
    if changed:
        with history_actor(actor):
            order.save(update_fields=[*changed, "updated_at"])
    return order


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
