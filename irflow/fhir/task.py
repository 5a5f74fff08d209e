"""Task: a follow-up task (a clinic visit, imaging, a call, a skin check, a device to remove),
with its owner, due window and the rule that created it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from irflow.fhir.base import Resource, Site, coding, concept, day, instant, ref, resource
from irflow.fhir.service_request import order_id

# follow-up status -> http://hl7.org/fhir/R4/valueset-task-status.html
STATUS = {
    "open": "requested",
    "acknowledged": "accepted",
    "done": "completed",
    "cancelled": "cancelled",
}


@dataclass(frozen=True)
class TaskData:
    id: int
    patient_id: int
    kind: str
    kind_label: str
    description: str
    status: str
    due_date: date
    created_at: datetime
    window_start: date | None = None
    owner_id: int | None = None
    owner: str = ""
    order_id: int | None = None
    source: str = ""
    outcome: str = ""
    completed_at: datetime | None = None
    updated_at: datetime | None = None


def task_resource(t: TaskData, site: Site) -> Resource:
    window = {"end": day(t.due_date)}
    if t.window_start:
        window["start"] = day(t.window_start)
    return resource(
        "Task",
        t.id,
        t.updated_at,
        identifier=[{"system": site.identifier_system("followup"), "value": str(t.id)}],
        basedOn=[ref("ServiceRequest", order_id(t.order_id))] if t.order_id else [],
        status=STATUS.get(t.status, "requested"),
        intent="plan",
        code=concept(
            coding(site.code_system("followup-kind"), t.kind, t.kind_label), text=t.kind_label
        ),
        description=t.description,
        focus=ref("ServiceRequest", order_id(t.order_id)) if t.order_id else None,
        **{"for": ref("Patient", t.patient_id)},
        authoredOn=instant(t.created_at),
        lastModified=instant(t.updated_at) if t.updated_at else None,
        owner=ref("Practitioner", t.owner_id, t.owner) if t.owner_id else None,
        reasonCode=concept(text=t.source) if t.source else None,
        note=[{"text": t.outcome}] if t.outcome else [],
        restriction={"period": window},
        executionPeriod={"end": instant(t.completed_at)} if t.completed_at else None,
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "task_resource": {
        "identifier": "follow-up task number",
        "basedOn": "the order",
        "status": (
            "open → requested, acknowledged → accepted, done → completed, cancelled → cancelled"
        ),
        "intent": "`plan`",
        "code": "kind: clinic, imaging, call, skin check, device removal, other",
        "description": "description",
        "focus": "the order",
        "for": "the patient",
        "authoredOn": "created at",
        "lastModified": "updated at",
        "owner": "owner",
        "reasonCode": "what created it (rule, dose report)",
        "note": "outcome",
        "restriction": "due window (window start to due date)",
        "executionPeriod": "completed at",
    },
}
