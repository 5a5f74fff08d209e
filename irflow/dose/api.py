"""Radiation dose over REST: thin handlers over dose.selectors and dose.services."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Router, Schema

from irflow.accounts.permissions import can
from irflow.dose import selectors, services
from irflow.dose.models import LinkStatus
from irflow.lib.apischema import perm

router = Router()
API_PREFIX = "/dose"
API_TAGS = ["dose"]


class DoseReportOut(Schema):
    id: int
    sop_instance_uid: str
    template: str
    performed_at: datetime
    manufacturer: str
    model_name: str
    station_name: str
    dap_total_gy_cm2: float | None
    ka_r_total_mgy: float | None
    fluoro_time_total_s: float | None
    dlp_total_mgy_cm: float | None
    event_count: int
    new_event_count: int
    dap_counted_gy_cm2: float | None
    ka_r_counted_mgy: float | None
    fluoro_time_counted_s: float | None
    dlp_counted_mgy_cm: float | None
    link_status: str
    link_method: str
    link_problem: str
    order_id: int | None
    patient_id: int | None


class PlaneOut(Schema):
    plane: str
    dap_total_gy_cm2: float | None
    ka_r_total_mgy: float | None
    fluoro_time_total_s: float | None
    acquisition_time_total_s: float | None
    frames_total: int | None
    reference_point: str


class EventOut(Schema):
    event_uid: str | None
    datetime_started: datetime | None
    event_type: str
    plane: str
    acquisition_protocol: str
    dap_gy_cm2: float | None
    dose_rp_mgy: float | None
    kvp: float | None
    irradiation_duration_s: float | None
    number_of_pulses: int | None
    primary_angle_deg: float | None
    secondary_angle_deg: float | None


class ReportDetailOut(Schema):
    report: DoseReportOut
    dicom_patient_id: str | None
    planes: list[PlaneOut]
    events: list[EventOut]
    repeated_events: int


class ContributionOut(Schema):
    order_id: int
    on: date
    ka_r_mgy: float | None
    psd_mgy: float | None = Field(description="Peak skin dose; null: not known.")


class AlertOut(Schema):
    id: int
    order_id: int = Field(description="The procedure the alert sits on.")
    level: str
    rule_id: str
    rule_set_version: str
    quantity: str
    value: float
    threshold: float
    unit: str
    message: str
    verified: bool
    followup_task_id: int | None
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    contributions: list[ContributionOut] = Field(
        description="A cumulative alert's procedures (empty for a single procedure's alert)."
    )


class TotalsOut(Schema):
    ka_r_mgy: float | None
    dap_gy_cm2: float | None
    fluoro_time_s: float | None
    dlp_mgy_cm: float | None


class OrderDoseOut(Schema):
    order_id: int
    accession_number: str | None
    totals: TotalsOut
    reports: list[DoseReportOut]
    events: int
    alerts: list[AlertOut]
    cumulative_window_days: int
    patient_cumulative_ka_r_mgy: float | None


class LinkIn(Schema):
    order_id: int
    mismatch_reason: str = Field("", max_length=300, json_schema_extra={"x-multiline": True})


class AcknowledgeIn(Schema):
    note: str = Field("", max_length=300)


class ReceivedOut(Schema):
    id: int
    channel: str
    sop_instance_uid: str
    calling_ae_title: str
    received_at: datetime
    status: str
    reason: str
    attempts: int
    dose_report_id: int | None


@router.get("/reports", response=list[DoseReportOut], openapi_extra=perm("dose.view"))
def dose_reports(request, link_status: LinkStatus | None = None):
    """Latest dose reports, newest first (summary columns)."""
    return selectors.dose_reports_list(actor=request.auth, link_status=link_status)


@router.get("/reports/{dose_report_id}", response=ReportDetailOut, openapi_extra=perm("dose.view"))
def dose_report(request, dose_report_id: int):
    """One report: stated totals per plane and the events first received in it."""
    detail = selectors.dose_report_get(actor=request.auth, report_id=dose_report_id)
    identified = can(request.auth, "patient.view")
    return {
        "report": detail.report,
        "dicom_patient_id": detail.report.dicom_patient_id if identified else None,
        "planes": detail.planes,
        "events": detail.events,
        "repeated_events": detail.repeated_events,
    }


@router.post(
    "/reports/{dose_report_id}/link", response=DoseReportOut, openapi_extra=perm("dose.reconcile")
)
def dose_report_link(request, dose_report_id: int, payload: LinkIn):
    """Link an unmatched report to its order; a different patient needs `mismatch_reason`."""
    return services.dose_report_link(
        actor=request.auth,
        report_id=dose_report_id,
        order_id=payload.order_id,
        mismatch_reason=payload.mismatch_reason,
    )


@router.get("/orders/{order_id}", response=OrderDoseOut, openapi_extra=perm("dose.view"))
def dose_for_order(request, order_id: int):
    """A procedure's de-duplicated dose totals, reports and alerts."""
    review = selectors.dose_for_order(actor=request.auth, order_id=order_id)
    return {
        "order_id": review.order.pk,
        "accession_number": review.order.accession_number if review.patient else None,
        "totals": review.totals,
        "reports": review.reports,
        "events": len(review.events),
        "alerts": review.alerts,
        "cumulative_window_days": review.cumulative_window_days,
        "patient_cumulative_ka_r_mgy": review.patient_cumulative_ka_r_mgy,
    }


@router.post(
    "/alerts/{dose_alert_id}/acknowledge",
    response=AlertOut,
    openapi_extra=perm("dose.acknowledge"),
)
def dose_alert_acknowledge(request, dose_alert_id: int, payload: AcknowledgeIn):
    return services.dose_alert_acknowledge(
        actor=request.auth, alert_id=dose_alert_id, note=payload.note
    )


@router.get("/received", response=list[ReceivedOut], openapi_extra=perm("dose.reconcile"))
def received_objects(request):
    """Quarantined objects (with the reason) and objects still waiting to be read."""
    return selectors.quarantine_list(actor=request.auth)


@router.post(
    "/received/{received_object_id}/reprocess",
    response=ReceivedOut,
    openapi_extra=perm("dose.reconcile"),
)
def received_reprocess(request, received_object_id: int):
    """Read a quarantined object again; answers with its new status and reason."""
    outcome = services.received_reprocess(actor=request.auth, received_id=received_object_id)
    return outcome.received
