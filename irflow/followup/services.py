"""Writes of follow-up tasks: create, acknowledge, complete. Each is audited (django-auditlog)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, SystemActor, person
from irflow.accounts.models import User
from irflow.accounts.permissions import require
from irflow.followup.models import FOLLOWUP_STATES, FollowUpKind, FollowUpStatus, FollowUpTask
from irflow.lib.errors import NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.orders.models import Order
from irflow.patients.models import Patient
from irflow.patients.selectors import patient_get

MSG_TASK_NOT_FOUND = "No such follow-up task, or you may not see it."
MSG_KIND = "“{kind}” is not a kind of follow-up."
MSG_DESCRIPTION_REQUIRED = "Say what has to be done."
MSG_WINDOW_AFTER_DUE = "The window cannot start after the due date."
MSG_ORDER_OTHER_PATIENT = "This order belongs to another patient."
MSG_OWNER_INACTIVE = "The owner must be an active member of staff."
MSG_OUTCOME_REQUIRED = "Record the outcome of the follow-up."
MSG_ALREADY_ACKNOWLEDGED = "This task has already been acknowledged."


@transaction.atomic
def followup_create(
    *,
    actor: Actor,
    patient_id: int,
    kind: str,
    description: str,
    due_date: date,
    window_start: date | None = None,
    owner_id: int | None = None,
    order_id: int | None = None,
    source: str = "",
    source_rule_id: str = "",
    source_rule_version: str = "",
) -> FollowUpTask:
    """Create a follow-up task, by a person or by the system (a dose alert, a catalogue rule)."""
    require(actor, "followup.manage")
    if isinstance(actor, SystemActor):
        # Nobody read the patient's record: nothing for the access log.
        patient = Patient.objects.get(pk=patient_id)
    else:
        patient = patient_get(actor=actor, patient_id=patient_id, what="follow-up task")
    errors: dict[str, str] = {}
    if kind not in FollowUpKind.values:
        errors["kind"] = MSG_KIND.format(kind=kind)
    if not description.strip():
        errors["description"] = MSG_DESCRIPTION_REQUIRED
    if window_start is not None and window_start > due_date:
        errors["window_start"] = MSG_WINDOW_AFTER_DUE
    owner = None
    if owner_id is not None:
        owner = User.objects.filter(pk=owner_id, is_active=True).first()
        if owner is None:
            errors["owner_id"] = MSG_OWNER_INACTIVE
    order = None
    if order_id is not None:
        order = Order.objects.filter(pk=order_id).first()
        if order is None or order.patient_id != patient.pk:
            errors["order_id"] = MSG_ORDER_OTHER_PATIENT
    if errors:
        raise ValidationFailed(errors)
    with history_actor(actor):
        return FollowUpTask.objects.create(
            patient=patient,
            order=order,
            kind=kind,
            description=description.strip(),
            due_date=due_date,
            window_start=window_start,
            owner=owner,
            source=source,
            source_rule_id=source_rule_id,
            source_rule_version=source_rule_version,
            created_by=person(actor),
        )


def _locked_task(task_id: int) -> FollowUpTask:
    task = FollowUpTask.objects.select_for_update().filter(pk=task_id).first()
    if task is None:
        raise NotFound(MSG_TASK_NOT_FOUND)
    return task


@transaction.atomic
def followup_acknowledge(*, actor: Actor, task_id: int, note: str = "") -> FollowUpTask:
    """Record that `actor` has seen the task and takes it on (who and when are audited)."""
    require(actor, "followup.acknowledge")
    task = _locked_task(task_id)
    patient_get(actor=actor, patient_id=task.patient_id, what="follow-up acknowledgement")
    if task.status == FollowUpStatus.ACKNOWLEDGED:
        raise ValidationFailed({"status": MSG_ALREADY_ACKNOWLEDGED})
    FOLLOWUP_STATES.check(task.status, FollowUpStatus.ACKNOWLEDGED)
    task.status = FollowUpStatus.ACKNOWLEDGED
    task.acknowledged_at = timezone.now()
    task.acknowledged_by = person(actor)
    task.acknowledgement_note = note.strip()[:300]
    with history_actor(actor):
        task.save(
            update_fields=[
                "status",
                "acknowledged_at",
                "acknowledged_by",
                "acknowledgement_note",
                "updated_at",
            ]
        )
    return task


@transaction.atomic
def followup_complete(*, actor: Actor, task_id: int, outcome: str) -> FollowUpTask:
    """Close the task with its outcome (e.g. “skin intact, no erythema”)."""
    require(actor, "followup.manage")
    task = _locked_task(task_id)
    patient_get(actor=actor, patient_id=task.patient_id, what="follow-up completion")
    if not outcome.strip():
        raise ValidationFailed({"outcome": MSG_OUTCOME_REQUIRED})
    FOLLOWUP_STATES.check(task.status, FollowUpStatus.DONE)
    task.status = FollowUpStatus.DONE
    task.outcome = outcome.strip()
    task.completed_at = timezone.now()
    task.completed_by = person(actor)
    with history_actor(actor):
        task.save(update_fields=["status", "outcome", "completed_at", "completed_by", "updated_at"])
    return task
