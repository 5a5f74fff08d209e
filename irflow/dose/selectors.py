"""Reads of dose data, filtered by permission and written to the access log.

Readers who may see dose but not patient records (the QI lead) get the same numbers without
the patient's identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import can, require
from irflow.audit.services import access_log_record
from irflow.clinical import SitePolicy, cumulative_window_days, notification_levels
from irflow.clinical.cumulative_dose import CUMULATIVE_SRDL
from irflow.clinical.radiation import SRDL_RULES, threshold
from irflow.dose.models import (
    PLANE_LABELS,
    AlertLevel,
    DoseAlert,
    IrradiationEventXrayData,
    LinkStatus,
    RadiationDoseReport,
    ReceivedObject,
    ReceivedStatus,
)
from irflow.dose.policy import site_policy
from irflow.dose.services.alerts import order_dose_totals, patient_cumulative_ka_r
from irflow.lib.errors import NotFound
from irflow.orders.models import Order
from irflow.patients.models import Patient

MSG_REPORT_NOT_FOUND = "No such dose report."
MSG_ORDER_NOT_FOUND = "No such order."
MSG_PATIENT_NOT_FOUND = "No such patient."
LIST_LIMIT = 200
# Alerts most serious first: an SRDL, then the cumulative review, then notification levels.
SEVERITY = {"srdl": 0, "review": 1, "notification": 2}


def order_alerts(order: Order) -> list[DoseAlert]:
    """The procedure's alerts, with the cumulative alerts it contributes to (whichever
    procedure they sit on)."""
    alerts = DoseAlert.objects.filter(
        Q(order=order) | Q(patient_id=order.patient_id, rule_id__in=CUMULATIVE_SRDL.values())
    ).select_related("acknowledged_by", "followup_task__owner")
    return [
        a
        for a in alerts
        if a.order_id == order.pk or order.pk in {c["order_id"] for c in a.contributions}
    ]


def _reports() -> QuerySet[RadiationDoseReport]:
    return RadiationDoseReport.objects.select_related(
        "order__procedure_type", "patient", "booking__room", "booking__primary_operator"
    )


def dose_reports_list(
    *, actor: Actor, link_status: str | None = None, limit: int = LIST_LIMIT
) -> list[RadiationDoseReport]:
    """The latest dose reports (summary columns only), optionally by link status."""
    require(actor, "dose.view")
    qs = _reports()
    if link_status:
        qs = qs.filter(link_status=link_status)
    reports: list[RadiationDoseReport] = list(qs.order_by("-performed_at", "-pk")[:limit])
    # The alerts of the rows shown, counted for those rows only: an annotation would group
    # every report of the department's history before the list is cut.
    alerts = dict(
        DoseAlert.objects.filter(order_id__in={r.order_id for r in reports if r.order_id})
        .values("order_id")
        .annotate(n=Count("pk"))
        .values_list("order_id", "n")
    )
    for r in reports:
        r.alert_count = alerts.get(r.order_id or 0, 0)  # type: ignore[attr-defined]
    access_log_record(
        actor=actor,
        patient=None,
        what=f"dose report list ({len(reports)})",
        shown=[r.patient for r in reports],
    )
    return reports


@dataclass
class ReportDetail:
    report: RadiationDoseReport
    patient: Patient | None
    planes: list
    events: list[IrradiationEventXrayData]
    ct_acquisitions: list
    repeated_events: int


def dose_report_get(*, actor: Actor, report_id: int) -> ReportDetail:
    """One report with its planes and the events first stored from it."""
    require(actor, "dose.view")
    report = _reports().filter(pk=report_id).first()
    if report is None:
        raise NotFound(MSG_REPORT_NOT_FOUND)
    access_log_record(actor=actor, patient=report.patient, what=f"dose report {report.pk}")
    return ReportDetail(
        report=report,
        patient=report.patient if can(actor, "patient.view") else None,
        planes=list(report.planes.all()),
        events=list(report.events.all()),
        ct_acquisitions=list(report.ct_acquisitions.all()),
        repeated_events=report.event_count - report.new_event_count,
    )


@dataclass
class OrderDose:
    order: Order
    patient: Patient | None
    reports: list[RadiationDoseReport]
    planes: list[dict]
    events: list[IrradiationEventXrayData]
    totals: dict
    alerts: list[DoseAlert]
    cumulative_window_days: int
    patient_cumulative_ka_r_mgy: float | None
    chart: dict = field(default_factory=dict)


_PLANE_FIELDS = (
    "dap_total_gy_cm2",
    "ka_r_total_mgy",
    "fluoro_time_total_s",
    "acquisition_time_total_s",
    "frames_total",
)


def _plane_totals(reports: list[RadiationDoseReport]) -> list[dict]:
    """Per plane, the stated totals of the procedure's reports that counted in full.

    A report that only repeats earlier events adds nothing; a partly new one is shown by its
    own events in the events table."""
    planes: dict[str, dict[str, float | None]] = {}
    for report in reports:
        if report.new_event_count == 0 and report.event_count > 0:
            continue
        for plane in report.planes.all():
            row = planes.setdefault(plane.plane or "single", dict.fromkeys(_PLANE_FIELDS))
            for name in _PLANE_FIELDS:
                value = getattr(plane, name)
                if value is not None:
                    row[name] = (row[name] or 0) + value
    return [{"label": PLANE_LABELS.get(k, k), **v} for k, v in sorted(planes.items())]


def _chart(events: list[IrradiationEventXrayData], policy: SitePolicy) -> dict[str, Any]:
    """Cumulative Ka,r against time, overall and per plane, with the rule thresholds."""
    timed = [e for e in events if e.datetime_started is not None and e.dose_rp_mgy is not None]
    timed.sort(key=lambda e: e.datetime_started)  # type: ignore[arg-type,return-value]
    if not timed:
        return {}
    series: dict[str, dict[str, list]] = {"total": {"x": [], "y": []}}
    running: dict[str, float] = {"total": 0.0}
    for event in timed:
        for key in ("total", event.plane or "single"):
            running[key] = running.get(key, 0.0) + (event.dose_rp_mgy or 0.0)
            line = series.setdefault(key, {"x": [], "y": []})
            line["x"].append(event.datetime_started.isoformat())  # type: ignore[union-attr]
            line["y"].append(round(running[key], 3))
    peak = running["total"]
    srdl = threshold(SRDL_RULES["ka_r_mgy"], policy=policy)
    levels = [lvl for lvl in notification_levels(up_to_mgy=max(peak, srdl), policy=policy)]
    return {
        "series": series,
        "srdl_mgy": srdl,
        "notification_mgy": [lvl for lvl in levels if lvl < srdl],
        "start": timed[0].datetime_started.isoformat(),  # type: ignore[union-attr]
        "end": timed[-1].datetime_started.isoformat(),  # type: ignore[union-attr]
    }


def dose_for_order(*, actor: Actor, order_id: int) -> OrderDose:
    """A procedure's dose review: totals per plane, every event, alerts, the cumulative curve
    and the patient's cumulative dose over the site's window."""
    require(actor, "dose.view")
    order = (
        Order.objects.select_related("patient", "procedure_type")
        .prefetch_related("patient__identifiers")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise NotFound(MSG_ORDER_NOT_FOUND)
    access_log_record(actor=actor, patient=order.patient, what=f"dose review {order.pk}")
    reports = list(
        _reports().filter(order=order).prefetch_related("planes").order_by("performed_at", "pk")
    )
    events = list(
        IrradiationEventXrayData.objects.filter(report__order=order).order_by(
            "datetime_started", "pk"
        )
    )
    totals = order_dose_totals(order_id=order.pk)
    policy = site_policy()
    window = cumulative_window_days(policy)
    cumulative = (
        patient_cumulative_ka_r(
            patient_id=order.patient_id, end=totals["last_at"], window_days=window
        )
        if totals["last_at"] is not None
        else None
    )
    return OrderDose(
        order=order,
        patient=order.patient if can(actor, "patient.view") else None,
        reports=reports,
        planes=_plane_totals(reports),
        events=events,
        totals=totals,
        alerts=sorted(
            order_alerts(order),
            key=lambda a: (a.acknowledged_at is not None, SEVERITY.get(a.level, 9), a.rule_id),
        ),
        cumulative_window_days=window,
        patient_cumulative_ka_r_mgy=cumulative,
        chart=_chart(events, policy),
    )


def dose_alerts_for_chart(*, actor: Actor, patient_id: int) -> list[DoseAlert] | None:
    """The patient's substantial-dose alerts (single procedures and cumulative) and review
    triggers, newest first; None when the reader may not see dose. The read is logged."""
    if not can(actor, "dose.view"):
        return None
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        raise NotFound(MSG_PATIENT_NOT_FOUND)
    access_log_record(actor=actor, patient=patient, what="chart dose alerts")
    return list(
        DoseAlert.objects.filter(patient=patient, level__in=[AlertLevel.SRDL, AlertLevel.REVIEW])
        .select_related("order__procedure_type", "followup_task__owner", "acknowledged_by")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class OrderDoseTotals:
    """A procedure's de-duplicated dose totals and the alerts its dose raised."""

    ka_r_mgy: float | None
    dap_gy_cm2: float | None
    fluoro_time_s: float | None
    dlp_mgy_cm: float | None
    alerts: list[DoseAlert]


def dose_totals_for_order(*, actor: Actor, order: Order) -> OrderDoseTotals | None:
    """The totals and alerts of a procedure the caller has already read (and logged), or
    None when no dose report is linked to its order."""
    require(actor, "dose.view")
    alerts = sorted(order_alerts(order), key=lambda a: (SEVERITY.get(a.level, 9), a.rule_id))
    if not alerts and not RadiationDoseReport.objects.filter(order=order).exists():
        return None
    totals = order_dose_totals(order_id=order.pk)
    return OrderDoseTotals(
        ka_r_mgy=totals["ka_r_mgy"],
        dap_gy_cm2=totals["dap_gy_cm2"],
        fluoro_time_s=totals["fluoro_time_s"],
        dlp_mgy_cm=totals["dlp_mgy_cm"],
        alerts=alerts,
    )


@dataclass
class Unmatched:
    report: RadiationDoseReport
    suggestions: list[Order]


def reconciliation_list(*, actor: Actor) -> list[Unmatched]:
    """Reports not linked to a procedure, with orders of the same Patient ID as suggestions."""
    require(actor, "dose.reconcile")
    reports = list(
        _reports()
        .filter(link_status__in=[LinkStatus.UNMATCHED, LinkStatus.MISMATCH])
        .order_by("-performed_at", "-pk")[:LIST_LIMIT]
    )
    ids = {r.dicom_patient_id.strip() for r in reports if r.dicom_patient_id.strip()}
    orders = (
        Order.objects.filter(patient__identifiers__value__in=ids, patient__is_active=True)
        .select_related("patient", "procedure_type")
        .prefetch_related("patient__identifiers")
        .order_by("-created_at")
        .distinct()[:500]
        if ids
        else []
    )
    by_id: dict[str, list[Order]] = {}
    for order in orders:
        for ident in order.patient.identifiers.all():
            by_id.setdefault(ident.value.strip(), []).append(order)
    access_log_record(
        actor=actor,
        patient=None,
        what=f"dose reconciliation ({len(reports)})",
        shown=[o.patient for o in orders],
    )
    result = []
    for report in reports:
        candidates = by_id.get(report.dicom_patient_id.strip(), [])
        day = report.performed_at
        candidates.sort(key=lambda o: abs((o.created_at - day).total_seconds()))
        result.append(Unmatched(report=report, suggestions=candidates[:5]))
    return result


def quarantine_list(*, actor: Actor) -> list[ReceivedObject]:
    """Objects that could not be read (with the reason), and objects still waiting."""
    require(actor, "dose.reconcile")
    stale = timezone.now() - timedelta(minutes=2)
    items = list(
        ReceivedObject.objects.filter(
            Q(status=ReceivedStatus.QUARANTINED)
            | Q(status=ReceivedStatus.RECEIVED, received_at__lte=stale)
        ).order_by("-received_at", "-pk")[:LIST_LIMIT]
    )
    access_log_record(actor=actor, patient=None, what=f"dose quarantine ({len(items)})")
    return items


def reconcile_counts(*, actor: Actor) -> dict[str, int]:
    """Counts for the dose pages' tabs (no patient data: no access-log entry)."""
    if not can(actor, "dose.reconcile"):
        return {}
    return {
        "unmatched": RadiationDoseReport.objects.filter(
            link_status__in=[LinkStatus.UNMATCHED, LinkStatus.MISMATCH]
        ).count(),
        "quarantined": ReceivedObject.objects.filter(status=ReceivedStatus.QUARANTINED).count(),
    }
