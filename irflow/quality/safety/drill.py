"""The cases, devices and follow-up tasks behind a figure of the devices and safety page,
access-logged: one row per patient shown."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.audit.services import access_log_record
from irflow.checklists.models import PHASE_ORDER
from irflow.devices.models import DeviceInSitu, DeviceKind, DeviceStatus
from irflow.followup.models import FollowUpKind, FollowUpTask
from irflow.lib.errors import NotFound
from irflow.procedures.models import ProcedureRecord
from irflow.quality.safety.figures import (
    IVC_LABELS,
    IVC_STATES,
    TASK_LABELS,
    TASK_STATES,
    devices,
    ivc_filters,
    ivc_q,
    srdl_q,
    task_q,
    tasks,
)
from irflow.quality.selectors import CaseRow, Filters, listed_cases, narrowed

# --- Drill-down ---------------------------------------------------------------------------

MSG_UNKNOWN_DRILL = "No figure has {key}={value}: {key} is one of {choices}."
SRDL_STATES = ("any", "due", "done", "overdue", "no_task")
# The case list's narrow keys this page adds, each with the values it takes.
DRILL_KEYS: dict[str, tuple[str, ...]] = {
    "srdl": SRDL_STATES,
    "checklist": tuple(p.value for p in PHASE_ORDER),
    "no_checklist": tuple(p.value for p in PHASE_ORDER),
    "override": ("readiness", "emergency"),
}
DEVICE_KEYS: dict[str, tuple[str, ...]] = {
    "ivc": IVC_STATES,
    "overdue": tuple(DeviceKind.values),
}
TASK_KEYS: dict[str, tuple[str, ...]] = {
    "kind": tuple(FollowUpKind.values),
    "state": TASK_STATES,
}


def _check(narrow: dict[str, str], keys: dict[str, tuple[str, ...]]) -> None:
    for key, value in narrow.items():
        if key in keys and value not in keys[key]:
            raise NotFound(
                MSG_UNKNOWN_DRILL.format(key=key, value=value, choices=", ".join(keys[key]))
            )


def safety_narrowed(
    filters: Filters, narrow: dict[str, str], today: date
) -> QuerySet[ProcedureRecord]:
    """The cases behind one of this page's case figures: the dashboard's own narrowing, then
    this page's condition (an SRDL state, a checklist phase done or missing, an override)."""
    _check(narrow, DRILL_KEYS)
    qs = narrowed(filters, {k: v for k, v in narrow.items() if k not in DRILL_KEYS})
    if state := narrow.get("srdl"):
        qs = qs.filter(pk__in=ProcedureRecord.objects.filter(srdl_q(state, today)).values("pk"))
    if phase := narrow.get("checklist"):
        qs = qs.filter(booking__checklists__phase=phase)
    if phase := narrow.get("no_checklist"):
        qs = qs.exclude(booking__checklists__phase=phase)
    if kind := narrow.get("override"):
        related = "readiness_acknowledgements" if kind == "readiness" else "safety_overrides"
        qs = qs.filter(
            pk__in=ProcedureRecord.objects.filter(**{f"booking__{related}__isnull": False}).values(
                "pk"
            )
        )
    return qs


def case_list(
    *,
    actor: Actor,
    filters: Filters,
    narrow: dict[str, str],
    today: date | None = None,
    limit: int = 500,
) -> tuple[int, list[CaseRow]]:
    """The cases behind one of this page's figures (their count, and the first `limit`),
    in the dashboard's case list, access-logged: one row per patient shown."""
    require(actor, "quality.view")
    qs = safety_narrowed(filters, narrow, today or timezone.localdate())
    return listed_cases(actor=actor, qs=qs, what=filters.query(**narrow), limit=limit)


def device_list(
    *,
    actor: Actor,
    filters: Filters,
    narrow: dict[str, str],
    today: date | None = None,
    limit: int = 500,
) -> tuple[int, list[DeviceInSitu]]:
    """The devices behind a figure (IVC filters in one state, or overdue devices of one
    kind), access-logged: one row per patient shown."""
    require(actor, "quality.view")
    _check(narrow, DEVICE_KEYS)
    today = today or timezone.localdate()
    if state := narrow.get("ivc"):
        qs = ivc_filters(filters).filter(ivc_q(state, today))
    elif kind := narrow.get("overdue"):
        qs = devices(filters).filter(kind=kind, status=DeviceStatus.IN_SITU, due_on__lt=today)
    else:
        raise NotFound(MSG_UNKNOWN_DRILL.format(key="ivc", value="", choices=", ".join(IVC_STATES)))
    total = qs.count()
    rows = list(
        qs.select_related("patient", "placed_by_procedure__order__procedure_type").order_by(
            "due_on", "pk"
        )[:limit]
    )
    access_log_record(
        actor=actor,
        patient=None,
        what=f"quality devices {filters.query(**narrow)}"[:200],
        shown=[(d.patient_id, str(d.patient)) for d in rows],
    )
    return total, rows


def task_list(
    *,
    actor: Actor,
    filters: Filters,
    narrow: dict[str, str],
    today: date | None = None,
    limit: int = 500,
) -> tuple[int, list[FollowUpTask]]:
    """The follow-up tasks behind a figure (one kind, one state), access-logged: one row per
    patient shown."""
    require(actor, "quality.view")
    _check(narrow, TASK_KEYS)
    qs = tasks(filters).filter(task_q(narrow.get("state", "due"), today or timezone.localdate()))
    if kind := narrow.get("kind"):
        qs = qs.filter(kind=kind)
    total = qs.count()
    rows = list(
        qs.select_related("patient", "order__procedure_type", "completed_by").order_by(
            "due_date", "pk"
        )[:limit]
    )
    access_log_record(
        actor=actor,
        patient=None,
        what=f"quality follow-up {filters.query(**narrow)}"[:200],
        shown=[(t.patient_id, str(t.patient)) for t in rows],
    )
    return total, rows


def device_title(narrow: dict[str, str]) -> str:
    """What a device list shows, in words."""
    if state := narrow.get("ivc"):
        return f"IVC filters placed in the period: {IVC_LABELS[state].lower()}"
    kind = narrow.get("overdue", "")
    return f"Overdue devices in situ: {dict(DeviceKind.choices).get(kind, kind)}"


def task_title(narrow: dict[str, str]) -> str:
    """What a task list shows, in words."""
    kind = dict(FollowUpKind.choices).get(narrow.get("kind", ""), "all kinds")
    state = TASK_LABELS[narrow.get("state", "due")].lower()
    return f"Follow-up tasks due in the period ({kind}): {state}"
