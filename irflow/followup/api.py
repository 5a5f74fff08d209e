"""Follow-up tasks over REST: thin handlers over followup.services and followup.selectors."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from irflow.followup import selectors, services
from irflow.followup.models import FollowUpKind
from irflow.lib.apischema import Day, perm

router = Router()
API_PREFIX = "/followup"
API_TAGS = ["follow-up"]


class TaskOut(Schema):
    id: int
    patient_id: int
    order_id: int | None
    kind: str
    description: str
    owner_id: int | None
    owner_name: str
    window_start: date | None
    due_date: date
    status: str
    source: str
    source_rule_id: str
    source_rule_version: str
    outcome: str
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    completed_at: datetime | None

    @staticmethod
    def resolve_owner_name(obj) -> str:
        return str(obj.owner) if obj.owner_id else ""


class DueOut(Schema):
    task: TaskOut
    overdue: bool
    days_overdue: int


class TaskIn(Schema):
    patient_id: int
    kind: FollowUpKind
    description: str = Field(min_length=1, max_length=2000)
    due_date: Day
    window_start: Day | None = None
    owner_id: int | None = None
    order_id: int | None = None


class FollowupAcknowledgeIn(Schema):
    note: str = Field("", max_length=300)


class FollowupCompleteIn(Schema):
    outcome: str = Field(min_length=1, max_length=2000)


@router.get("/due", response=list[DueOut], openapi_extra=perm("followup.view"))
def followups_due(request, on: Day | None = None):
    """Pending tasks due or overdue on `on` (default today), overdue first."""
    return selectors.followups_due(actor=request.auth, on=on or timezone.localdate())


@router.get("/patients/{patient_id}", response=list[TaskOut], openapi_extra=perm("followup.view"))
def followups_for_patient(request, patient_id: int):
    return selectors.followups_for_patient(actor=request.auth, patient_id=patient_id)


@router.post(
    "/tasks", response={201: TaskOut}, openapi_extra=perm("followup.manage", errors=(404,))
)
def followup_create(request, payload: TaskIn):
    task = services.followup_create(actor=request.auth, **payload.dict())
    return Status(201, task)


@router.post(
    "/tasks/{followup_task_id}/acknowledge",
    response=TaskOut,
    openapi_extra=perm("followup.acknowledge"),
)
def followup_acknowledge(request, followup_task_id: int, payload: FollowupAcknowledgeIn):
    return services.followup_acknowledge(
        actor=request.auth, task_id=followup_task_id, note=payload.note
    )


@router.post(
    "/tasks/{followup_task_id}/complete", response=TaskOut, openapi_extra=perm("followup.manage")
)
def followup_complete(request, followup_task_id: int, payload: FollowupCompleteIn):
    return services.followup_complete(
        actor=request.auth, task_id=followup_task_id, outcome=payload.outcome
    )
