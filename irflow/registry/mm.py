"""The morbidity and mortality review: the cases of a period with an adverse event of grade
moderate or worse, or an unplanned admission, each with its events, dose and report.

"Moderate or worse" in each of irflow's grade systems (docs/registry.md says why):
- SIR 2017: moderate, severe, life-threatening or disabling, death;
- legacy SIR: classes C–F (the "major" complications: therapy and a hospital stay or worse);
- CIRSE 2017: grades 3–6 (additional therapy or a stay over 48 h, sequelae, death).
An event qualifies when any of its recorded grades does. An unplanned admission is an event
whose level of care was an unplanned admission or higher care, or a recovery that ended in an
admission when the preparation did not plan an overnight stay."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.audit.services import access_log_record
from irflow.clinical import grade
from irflow.dose.models import LinkStatus, RadiationDoseReport
from irflow.outcomes.models import AdverseEvent
from irflow.patients.models import Patient
from irflow.procedures.models import ProcedureRecord
from irflow.reports.models import Report

SIR_ORDER = ("mild", "moderate", "severe", "life_threatening", "death")
MODERATE_OR_WORSE: dict[str, frozenset[str]] = {
    "sir-2017": frozenset(SIR_ORDER[1:]),
    "sir-legacy": frozenset({"C", "D", "E", "F"}),
    "cirse-2017": frozenset({"3", "4", "5", "6"}),
}
UNPLANNED_CARE = frozenset({"admission", "higher"})
MSG_PERIOD = "The period must end on or after the day it starts."


def qualifying_grades(event: AdverseEvent) -> list[str]:
    """The event's grades that are moderate or worse, in words ("" list when none)."""
    found = []
    for system, code in (
        ("sir-2017", event.sir_grade),
        ("sir-legacy", event.legacy_sir_class),
        ("cirse-2017", event.cirse_grade),
    ):
        if code and code in MODERATE_OR_WORSE[system]:
            label = grade(system, code).label
            found.append(
                {
                    "sir-2017": "SIR 2017 {}",
                    "sir-legacy": "legacy SIR class {}",
                    "cirse-2017": "CIRSE {}",
                }[system].format(label)
            )
    return found


@dataclass
class MmEvent:
    event: AdverseEvent
    grades: list[str]
    unplanned_admission: bool


@dataclass
class MmCase:
    patient: Patient
    record: ProcedureRecord | None
    day: date
    events: list[MmEvent] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    dap_gy_cm2: float | None = None
    ka_r_mgy: float | None = None
    report: Report | None = None

    @property
    def procedure_name(self) -> str:
        return self.record.order.procedure_type.name if self.record else "No procedure named"


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise ValueError(MSG_PERIOD)
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def mm_selection(start: date, end: date) -> list[MmCase]:
    """The period's M&M cases, oldest first (no permission check, no log)."""
    lo, hi = _bounds(start, end)
    cases: dict[tuple[int, int | None], MmCase] = {}

    def case_for(patient: Patient, record: ProcedureRecord | None, day: date) -> MmCase:
        key = (patient.pk, record.pk if record else None)
        if key not in cases:
            cases[key] = MmCase(patient=patient, record=record, day=day)
        return cases[key]

    events = AdverseEvent.objects.filter(
        onset_at__gte=lo, onset_at__lt=hi, entered_in_error=False
    ).select_related("patient", "record__order__procedure_type", "record__booking")
    for event in events.order_by("onset_at", "pk"):
        grades = qualifying_grades(event)
        unplanned = event.care_level in UNPLANNED_CARE
        if not grades and not unplanned:
            continue
        record = event.record
        day = record.procedure_day() if record else timezone.localtime(event.onset_at).date()
        case = case_for(event.patient, record, day)
        case.events.append(MmEvent(event, grades, unplanned))
        if grades and "adverse event moderate or worse" not in case.reasons:
            case.reasons.append("adverse event moderate or worse")
        if unplanned and "unplanned admission" not in case.reasons:
            case.reasons.append("unplanned admission")
    admitted = (
        ProcedureRecord.objects.annotate(
            mm_day=Coalesce("started_at", "in_room_at", "booking__start")
        )
        .filter(mm_day__gte=lo, mm_day__lt=hi, recovery__disposition="admitted")
        .exclude(Q(booking__preparation__stay="overnight"))
        .select_related("patient", "order__procedure_type", "booking")
    )
    for record in admitted:
        case = case_for(record.patient, record, record.procedure_day())
        if "unplanned admission" not in case.reasons:
            case.reasons.append("unplanned admission")
    records = [c.record for c in cases.values() if c.record is not None]
    doses: dict[int, list[RadiationDoseReport]] = defaultdict(list)
    for d in RadiationDoseReport.objects.filter(
        order_id__in={r.order_id for r in records}, link_status=LinkStatus.LINKED
    ):
        doses[d.order_id].append(d)  # type: ignore[index]
    reports = {r.record_id: r for r in Report.objects.filter(record__in=records)}
    for case in cases.values():
        if case.record is None:
            continue
        linked = doses[case.record.order_id]
        daps = [d.dap_counted_gy_cm2 for d in linked if d.dap_counted_gy_cm2 is not None]
        kars = [d.ka_r_counted_mgy for d in linked if d.ka_r_counted_mgy is not None]
        case.dap_gy_cm2 = round(sum(daps), 3) if daps else None
        case.ka_r_mgy = round(sum(kars), 1) if kars else None
        case.report = reports.get(case.record.pk)
    return sorted(cases.values(), key=lambda c: (c.day, c.patient.pk))


def mm_cases(*, actor: Actor, start: date, end: date, what: str = "M&M review") -> list[MmCase]:
    """The M&M list for a period; every patient on it goes in the access log."""
    require(actor, "mm.view")
    cases = mm_selection(start, end)
    access_log_record(
        actor=actor,
        patient=None,
        what=f"{what} {start:%Y-%m-%d}–{end:%Y-%m-%d}",
        shown=[c.patient for c in cases],
    )
    return cases
