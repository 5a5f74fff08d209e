"""The figures of the devices and safety page, each counted in the database (GROUP BY with
conditional counts, never a loop over rows in Python).

Open and overdue are judged on `today` (the day the page is viewed): a selector takes the
day as an argument, so tests move through time without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, F, Q, QuerySet
from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.checklists.models import PHASE_ORDER, SafetyOverride
from irflow.devices.models import DeviceInSitu, DeviceKind, DeviceStatus, RemovalReason
from irflow.dose.models import AlertLevel
from irflow.followup.models import PENDING, FollowUpKind, FollowUpStatus, FollowUpTask
from irflow.procedures.models import ProcedureRecord
from irflow.quality.selectors import Filters, cases, scope_q
from irflow.quality.stats import Rate, percentile
from irflow.readiness.models import Acknowledgement

# An IVC filter is counted as retrieved when it came out at a procedure or elsewhere; left
# permanently, dislodged or the patient died is not a retrieval.
RETRIEVED = (RemovalReason.PROCEDURE, RemovalReason.ELSEWHERE)
RETRIEVAL_ACTION = "retrieval"
PROCEDURE = ("order__procedure_type__code", "order__procedure_type__name")

# --- Scope --------------------------------------------------------------------------------


def devices(filters: Filters) -> QuerySet[DeviceInSitu]:
    """Devices of active patients, not entered in error, within the filters' scope."""
    qs = DeviceInSitu.objects.filter(patient__is_active=True).exclude(
        removal_reason=RemovalReason.ERROR
    )
    scope = scope_q(filters, "placed_by_procedure__")
    return qs.filter(scope).distinct() if scope else qs


def tasks(filters: Filters) -> QuerySet[FollowUpTask]:
    """Follow-up tasks of active patients falling due in the period (by due date), not
    cancelled, within the filters' scope (through the task's order's procedure)."""
    qs = FollowUpTask.objects.filter(
        patient__is_active=True, due_date__gte=filters.start, due_date__lte=filters.end
    ).exclude(status=FollowUpStatus.CANCELLED)
    scope = scope_q(filters, "order__procedure_records__")
    return qs.filter(pk__in=qs.filter(scope).values("pk")) if scope else qs


# --- SRDL cases ---------------------------------------------------------------------------

_TASK = "order__dose_alerts__followup_task__"
_SRDL = Q(order__dose_alerts__level=AlertLevel.SRDL)


def srdl_q(state: str, today: date) -> Q:
    """A case's SRDL alerts (and the skin follow-up each created) in one state."""
    if state == "done":
        return _SRDL & Q(**{f"{_TASK}status": FollowUpStatus.DONE})
    if state == "due":  # done, or its due date has passed
        return _SRDL & (
            Q(**{f"{_TASK}status": FollowUpStatus.DONE})
            | Q(**{f"{_TASK}status__in": PENDING, f"{_TASK}due_date__lt": today})
        )
    if state == "overdue":
        return _SRDL & Q(**{f"{_TASK}status__in": PENDING, f"{_TASK}due_date__lt": today})
    if state == "no_task":
        return _SRDL & Q(order__dose_alerts__followup_task__isnull=True)
    return _SRDL


@dataclass
class SrdlRow:
    key: str
    label: str
    procedures: int
    srdl: int
    due: int
    done: int
    overdue: int
    no_task: int
    drill: dict[str, str]

    @property
    def completion(self) -> Rate:
        return Rate(self.done, self.due)


def _srdl(filters: Filters, qs: QuerySet[ProcedureRecord], today: date) -> list[SrdlRow]:
    states = ("any", "due", "done", "overdue", "no_task")
    rows = (
        qs.values(*PROCEDURE)
        .annotate(
            n=Count("pk", distinct=True),
            **{s: Count("pk", distinct=True, filter=srdl_q(s, today)) for s in states},
        )
        .filter(any__gt=0)
        .order_by("order__procedure_type__name")
    )
    return [
        SrdlRow(
            key=r["order__procedure_type__code"],
            label=r["order__procedure_type__name"],
            procedures=r["n"],
            srdl=r["any"],
            due=r["due"],
            done=r["done"],
            overdue=r["overdue"],
            no_task=r["no_task"],
            drill={
                s: filters.query(procedure=r["order__procedure_type__code"], srdl=s) for s in states
            },
        )
        for r in rows
    ]


# --- Devices ------------------------------------------------------------------------------


class _MedianDays(Aggregate):
    """PostgreSQL's median of a date difference (an interval of whole days)."""

    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


IVC_STATES = ("placed", "retrieved", "in_situ", "overdue", "not_retrieved")


def ivc_q(state: str, today: date) -> Q:
    if state == "retrieved":
        return Q(status=DeviceStatus.REMOVED, removal_reason__in=RETRIEVED)
    if state == "in_situ":  # still in, not yet past its planned retrieval date
        return Q(status=DeviceStatus.IN_SITU, due_on__gte=today)
    if state == "overdue":
        return Q(status=DeviceStatus.IN_SITU, due_on__lt=today)
    if state == "not_retrieved":  # closed otherwise: left permanently, dislodged, died
        return Q(status=DeviceStatus.REMOVED) & ~Q(removal_reason__in=RETRIEVED)
    return Q()


def ivc_filters(filters: Filters) -> QuerySet[DeviceInSitu]:
    """IVC filters placed in the period with retrieval as their planned action."""
    return devices(filters).filter(
        kind=DeviceKind.IVC_FILTER,
        action__iexact=RETRIEVAL_ACTION,
        placed_on__gte=filters.start,
        placed_on__lte=filters.end,
    )


@dataclass
class IvcFigure:
    counts: dict[str, int]
    median_dwell_days: float | None
    drill: dict[str, str]

    @property
    def retrieval(self) -> Rate:
        return Rate(self.counts["retrieved"], self.counts["placed"])


def _ivc(filters: Filters, today: date) -> IvcFigure:
    qs = ivc_filters(filters)
    counts = qs.aggregate(**{s: Count("pk", filter=ivc_q(s, today)) for s in IVC_STATES})
    retrieved = qs.filter(ivc_q("retrieved", today))
    if connection.vendor == "postgresql":
        median = retrieved.aggregate(m=_MedianDays(F("removed_on") - F("placed_on")))["m"]
        dwell = None if median is None else median / timedelta(days=1)
    else:  # the one column read and interpolated the same way (stats.percentile)
        dwell = percentile(
            [
                (out - placed).days
                for placed, out in retrieved.values_list("placed_on", "removed_on")
                if out is not None
            ],
            0.5,
        )
    return IvcFigure(counts, dwell, {s: filters.query(ivc=s) for s in IVC_STATES})


@dataclass
class KindRow:
    key: str
    label: str
    count: int
    drill: str


def _overdue_devices(filters: Filters, today: date) -> list[KindRow]:
    labels = dict(DeviceKind.choices)
    rows = (
        devices(filters)
        .filter(status=DeviceStatus.IN_SITU, due_on__lt=today)
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by("kind")
    )
    return sorted(
        (
            KindRow(
                r["kind"],
                labels.get(r["kind"], r["kind"]),
                r["n"],
                filters.query(overdue=r["kind"]),
            )
            for r in rows
        ),
        key=lambda r: r.label,
    )


# --- Follow-up tasks ----------------------------------------------------------------------

TASK_STATES = ("due", "done", "on_time", "late", "overdue", "open")


def task_q(state: str, today: date) -> Q:
    if state == "done":
        return Q(status=FollowUpStatus.DONE)
    if state == "late":  # completed after its due date, in the site's time zone
        return Q(status=FollowUpStatus.DONE, completed_at__date__gt=F("due_date"))
    if state == "on_time":
        return Q(status=FollowUpStatus.DONE) & ~Q(completed_at__date__gt=F("due_date"))
    if state == "overdue":
        return Q(status__in=PENDING, due_date__lt=today)
    if state == "open":  # still open, not yet past its due date
        return Q(status__in=PENDING, due_date__gte=today)
    return Q()


@dataclass
class TaskRow:
    key: str
    label: str
    counts: dict[str, int]
    drill: dict[str, str]

    @property
    def completion(self) -> Rate:
        return Rate(self.counts["done"], self.counts["due"])


def _followup(filters: Filters, today: date) -> list[TaskRow]:
    labels = dict(FollowUpKind.choices)
    rows = (
        tasks(filters)
        .values("kind")
        .annotate(**{s: Count("pk", filter=task_q(s, today)) for s in TASK_STATES})
        .order_by("kind")
    )
    return sorted(
        (
            TaskRow(
                r["kind"],
                labels.get(r["kind"], r["kind"]),
                {s: int(r[s]) for s in TASK_STATES},  # type: ignore[literal-required]
                {s: filters.query(kind=r["kind"], state=s) for s in TASK_STATES},
            )
            for r in rows
        ),
        key=lambda r: r.label,
    )


# --- Safety process -----------------------------------------------------------------------


@dataclass
class PhaseRow:
    key: str
    label: str
    rate: Rate
    drill_done: str
    drill_missing: str

    @property
    def missing(self) -> int:
        return self.rate.denominator - self.rate.numerator


def _checklists(filters: Filters, qs: QuerySet[ProcedureRecord]) -> list[PhaseRow]:
    counts = qs.aggregate(
        n=Count("pk", distinct=True),
        **{
            p.value: Count("pk", distinct=True, filter=Q(booking__checklists__phase=p.value))
            for p in PHASE_ORDER
        },
    )
    return [
        PhaseRow(
            p.value,
            p.label,
            Rate(counts[p.value], counts["n"]),
            filters.query(checklist=p.value),
            filters.query(no_checklist=p.value),
        )
        for p in PHASE_ORDER
    ]


@dataclass
class OverrideRow:
    key: str
    label: str
    procedures: int
    readiness_cases: int
    readiness: int
    emergency_cases: int
    emergency: int
    drill_readiness: str
    drill_emergency: str


def _overrides(filters: Filters, qs: QuerySet[ProcedureRecord]) -> list[OverrideRow]:
    rows = (
        qs.values(*PROCEDURE)
        .annotate(
            n=Count("pk", distinct=True),
            readiness_cases=Count(
                "pk", distinct=True, filter=Q(booking__readiness_acknowledgements__isnull=False)
            ),
            readiness=Count("booking__readiness_acknowledgements", distinct=True),
            emergency_cases=Count(
                "pk", distinct=True, filter=Q(booking__safety_overrides__isnull=False)
            ),
            emergency=Count("booking__safety_overrides", distinct=True),
        )
        .order_by("order__procedure_type__name")
    )
    return [
        OverrideRow(
            key=r["order__procedure_type__code"],
            label=r["order__procedure_type__name"],
            procedures=r["n"],
            readiness_cases=r["readiness_cases"],
            readiness=r["readiness"],
            emergency_cases=r["emergency_cases"],
            emergency=r["emergency"],
            drill_readiness=filters.query(
                procedure=r["order__procedure_type__code"], override="readiness"
            ),
            drill_emergency=filters.query(
                procedure=r["order__procedure_type__code"], override="emergency"
            ),
        )
        for r in rows
    ]


@dataclass
class OverrideEntry:
    kind: str  # "readiness" or "emergency"
    at: datetime
    by: str
    procedure: str
    rule: str
    finding: str
    reason: str
    record_id: int


def _override_list(qs: QuerySet[ProcedureRecord], limit: int = 500) -> list[OverrideEntry]:
    """Every readiness and emergency override of the cases, newest first (no patient named:
    each links to the case, whose review is access-logged)."""
    records = qs.values("pk")
    readiness = (
        Acknowledgement.objects.filter(booking__procedure_record__in=records)
        .select_related(
            "acknowledged_by", "booking__procedure_record", "booking__order__procedure_type"
        )
        .order_by("-acknowledged_at", "-pk")[:limit]
    )
    emergency = (
        SafetyOverride.objects.filter(booking__procedure_record__in=records)
        .select_related(
            "overridden_by", "booking__procedure_record", "booking__order__procedure_type"
        )
        .order_by("-overridden_at", "-pk")[:limit]
    )
    out = [
        OverrideEntry(
            "readiness",
            a.acknowledged_at,
            str(a.acknowledged_by),
            a.booking.order.procedure_type.name,
            a.rule_id,
            a.message,
            a.reason,
            a.booking.procedure_record.pk,
        )
        for a in readiness
    ] + [
        OverrideEntry(
            "emergency",
            o.overridden_at,
            str(o.overridden_by),
            o.booking.order.procedure_type.name,
            o.rule_text or o.rule,
            o.refusal,
            o.reason,
            o.booking.procedure_record.pk,
        )
        for o in emergency
    ]
    return sorted(out, key=lambda e: e.at, reverse=True)[:limit]


# --- The page -----------------------------------------------------------------------------


@dataclass
class SafetyDashboard:
    filters: Filters
    today: date
    total: int
    srdl: list[SrdlRow]
    ivc: IvcFigure
    overdue_devices: list[KindRow]
    followup: list[TaskRow]
    checklists: list[PhaseRow]
    overrides: list[OverrideRow]
    override_list: list[OverrideEntry]

    def chart_data(self) -> dict:
        return {
            "srdl": [
                {
                    "x": r.label,
                    "srdl": r.srdl,
                    "done": r.done,
                    "overdue": r.overdue,
                    "drill": r.drill,
                }
                for r in self.srdl
            ],
            "ivc": [
                {"x": IVC_LABELS[s], "y": self.ivc.counts[s], "drill": self.ivc.drill[s]}
                for s in IVC_STATES[1:]
            ],
            "overdue_devices": [
                {"x": r.label, "y": r.count, "drill": r.drill} for r in self.overdue_devices
            ],
            "followup": {
                "states": [{"code": s, "label": TASK_LABELS[s]} for s in TASK_STACK],
                "rows": [
                    {"x": r.label, "counts": r.counts, "drill": r.drill} for r in self.followup
                ],
            },
            "checklists": [
                {
                    "x": r.label,
                    "rate": r.rate.value,
                    "ci": r.rate.interval,
                    "done": r.rate.numerator,
                    "n": r.rate.denominator,
                    "drill": r.drill_missing,
                }
                for r in self.checklists
            ],
            "overrides": [
                {
                    "x": r.label,
                    "readiness": r.readiness,
                    "emergency": r.emergency,
                    "drill_readiness": r.drill_readiness,
                    "drill_emergency": r.drill_emergency,
                }
                for r in self.overrides
            ],
        }


IVC_LABELS = {
    "placed": "Placed",
    "retrieved": "Retrieved",
    "in_situ": "In situ, not yet due",
    "overdue": "In situ past the planned date",
    "not_retrieved": "Not retrieved (closed otherwise)",
}
TASK_LABELS = {
    "due": "Due",
    "done": "Completed",
    "on_time": "Completed on time",
    "late": "Completed late",
    "overdue": "Open, overdue",
    "open": "Open, not yet due",
}
TASK_STACK = ("on_time", "late", "overdue", "open")


def safety_dashboard(
    *, actor: Actor, filters: Filters, today: date | None = None
) -> SafetyDashboard:
    """Every figure of the devices and safety page for the filters, open and overdue judged
    on `today` (default: the site's today). Aggregates only: no patient is named."""
    require(actor, "quality.view")
    today = today or timezone.localdate()
    qs = cases(filters)
    overrides = _overrides(filters, qs)
    return SafetyDashboard(
        filters=filters,
        today=today,
        total=sum(r.procedures for r in overrides),
        srdl=_srdl(filters, qs, today),
        ivc=_ivc(filters, today),
        overdue_devices=_overdue_devices(filters, today),
        followup=_followup(filters, today),
        checklists=_checklists(filters, qs),
        overrides=overrides,
        override_list=_override_list(qs),
    )
