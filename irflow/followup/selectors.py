"""Reads of follow-up tasks, filtered by the reader's permissions and written to the access log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import OWN, can, require
from irflow.audit.services import access_log_record
from irflow.followup.models import PENDING, FollowUpTask
from irflow.lib.errors import NotFound
from irflow.patients.models import Patient
from irflow.patients.selectors import patient_get

MSG_TASK_NOT_FOUND = "No such follow-up task, or you may not see it."


def _visible(actor: Actor) -> QuerySet[FollowUpTask]:
    scope = require(actor, "followup.view")
    qs = FollowUpTask.objects.filter(patient__is_active=True)
    if scope is OWN:
        qs = qs.filter(patient__care_relations__clinician=person(actor))
    return qs.select_related("patient", "order__procedure_type", "owner", "acknowledged_by")


@dataclass(frozen=True)
class DueTask:
    task: FollowUpTask
    overdue: bool
    days_overdue: int


def followups_due(*, actor: Actor, on: date) -> list[DueTask]:
    """Pending tasks that have fallen due by `on` (window started) — overdue ones first."""
    qs = (
        _visible(actor)
        .filter(status__in=PENDING)
        .filter(Q(window_start__lte=on) | Q(window_start__isnull=True, due_date__lte=on))
    )
    tasks = list(qs.prefetch_related("patient__identifiers").order_by("due_date", "pk")[:500])
    access_log_record(
        actor=actor,
        patient=None,
        what=f"follow-up due list {on:%Y-%m-%d}",
        shown=[t.patient for t in tasks],
    )
    return [
        DueTask(task=t, overdue=t.due_date < on, days_overdue=max((on - t.due_date).days, 0))
        for t in tasks
    ]


def followups_for_patient(*, actor: Actor, patient_id: int) -> list[FollowUpTask]:
    """Every follow-up task of one patient, pending first, then by due date. The role is
    checked before the patient is looked up: one answer whether the patient exists or not."""
    require(actor, "followup.view")
    patient = patient_get(actor=actor, patient_id=patient_id, what="follow-up tasks")
    tasks = list(_visible(actor).filter(patient=patient).order_by("due_date", "pk"))
    tasks.sort(key=lambda t: (t.status not in PENDING, t.due_date))
    return tasks


def followups_for_chart(*, actor: Actor, patient: Patient) -> list[FollowUpTask] | None:
    """The chart's follow-up card for a patient the chart has already read (and logged):
    None when the reader may not see follow-up tasks."""
    if not can(actor, "followup.view"):
        return None
    tasks = list(_visible(actor).filter(patient=patient).order_by("due_date", "pk"))
    tasks.sort(key=lambda t: (t.status not in PENDING, t.due_date))
    return tasks


def followup_get(*, actor: Actor, task_id: int) -> FollowUpTask:
    """One follow-up task the reader may see (the read of the patient is logged)."""
    task = _visible(actor).filter(pk=task_id).first()
    if task is None:
        raise NotFound(MSG_TASK_NOT_FOUND)
    patient_get(actor=actor, patient_id=task.patient_id, what="follow-up task")
    return task
