"""What lies behind a timeliness figure: the referrals, procedures or bookings it counts
(access-logged, one row per patient shown), and each chart's rows for its table view and its
CSV/XLSX download."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.audit.services import access_log_record
from irflow.lib.errors import ValidationFailed
from irflow.procedures.models import ProcedureRecord
from irflow.quality.selectors import Filters, cases
from irflow.quality.thresholds import threshold_for
from irflow.quality.timeliness import (
    PROCEDURE_END,
    REPORT_TARGET,
    WAIT_KINDS,
    Timeliness,
    bookings,
    held_bookings,
    referrals,
    signed_late_q,
    signed_q,
)
from irflow.referrals.selectors import urgency_targets
from irflow.referrals.waiting import format_hours
from irflow.scheduling.models import Booking, BookingStatus, CancelReason

# What a drill-down lists (`show=`), and the unit it lists.
SHOW = {
    "triage": "referral",
    "triage_late": "referral",
    "procedure": "referral",
    "procedure_late": "referral",
    "signed": "record",
    "signed_late": "record",
    "unsigned": "record",
    "cancelled": "booking",
    "booked": "booking",
}
SHOW_LABELS = {
    "triage": "referrals triaged",
    "triage_late": "referrals triaged after the target",
    "procedure": "referrals treated",
    "procedure_late": "referrals treated after the target",
    "signed": "procedures with a signed report",
    "signed_late": "procedures whose report was signed after the target",
    "unsigned": "procedures without a signed report",
    "cancelled": "bookings cancelled",
    "booked": "bookings held (not cancelled)",
}
MSG_SHOW = "Choose what to list: " + ", ".join(SHOW) + "."
MSG_REASON = "“{value}” is not a cancellation reason."


@dataclass
class ListRow:
    at: datetime
    patient_id: int
    patient_label: str
    procedure: str
    urgency: str
    room: str
    accession_number: str
    detail: str
    record_id: int | None = None
    referral_id: int | None = None


def _wait(end: datetime | None, start: datetime) -> str:
    return "—" if end is None else format_hours((end - start).total_seconds() / 3600)


def _referral_rows(filters: Filters, show: str, limit: int) -> tuple[int, list[ListRow]]:
    kind = show.removesuffix("_late")
    column, i = WAIT_KINDS[kind]
    qs = referrals(filters).filter(**{f"{column}__isnull": False})
    if show.endswith("_late"):
        late = Q()
        for urgency, hours in urgency_targets().items():
            limit_h = timedelta(hours=hours[i])
            late |= Q(urgency=urgency, **{f"{column}__gt": F("received_at") + limit_h})
        qs = qs.filter(late)
    total = qs.count()
    targets = urgency_targets()
    found = qs.select_related("patient", "procedure_type", "order__procedure_type").order_by(
        "-received_at", "-pk"
    )[:limit]
    rows = []
    for r in found:
        end = getattr(r, column)
        target = targets[r.urgency][i]
        rows.append(
            ListRow(
                at=r.received_at,
                patient_id=r.patient_id,
                patient_label=r.patient_label(),
                procedure=r.order.procedure_type.name if r.order else r.requested_procedure,
                urgency=r.get_urgency_display(),
                room="",
                accession_number=r.order.accession_number if r.order else "",
                detail=f"{kind} after {_wait(end, r.received_at)} (target {format_hours(target)})",
                referral_id=r.pk,
            )
        )
    return total, rows


def _record_rows(filters: Filters, show: str, limit: int) -> tuple[int, list[ListRow]]:
    qs: QuerySet[ProcedureRecord] = cases(filters)
    if show == "unsigned":
        qs = qs.exclude(signed_q())
    else:
        qs = qs.filter(signed_q())
        if show == "signed_late":
            target = threshold_for(filters.procedure or "*", REPORT_TARGET)
            qs = qs.filter(signed_late_q(target.value)) if target.value is not None else qs.none()
    total = qs.count()
    found = (
        qs.select_related(
            "booking__patient", "booking__order__procedure_type", "booking__room", "report"
        )
        .annotate(procedure_end=PROCEDURE_END)
        .order_by("-checked_in_at", "-pk")[:limit]
    )
    rows = []
    for r in found:
        report = getattr(r, "report", None)
        if report is not None and report.signed_at is not None and show != "unsigned":
            detail = f"signed {_wait(report.signed_at, r.procedure_end)} after the procedure"
        else:
            detail = "no report yet" if report is None else f"report {report.get_status_display()}"
        rows.append(_booking_like(r.booking, r, detail))
    return total, rows


def _booking_like(booking: Booking, record: ProcedureRecord | None, detail: str) -> ListRow:
    return ListRow(
        at=record.checked_in_at if record is not None else booking.start,
        patient_id=booking.patient_id,
        patient_label=str(booking.patient),
        procedure=booking.order.procedure_type.name,
        urgency=booking.order.get_priority_display(),
        room=booking.room.name,
        accession_number=booking.order.accession_number,
        detail=detail,
        record_id=record.pk if record is not None else None,
    )


def _booking_rows(
    filters: Filters, show: str, reason: str, limit: int
) -> tuple[int, list[ListRow]]:
    if show == "booked":
        qs = held_bookings(filters)
    else:
        qs = bookings(filters).filter(status=BookingStatus.CANCELLED)
        if reason:
            qs = qs.filter(cancel_reason="" if reason == "none" else reason)
    total = qs.count()
    found = qs.select_related(
        "patient", "order__procedure_type", "room", "procedure_record"
    ).order_by("-start", "-pk")[:limit]
    rows = []
    for b in found:
        record = getattr(b, "procedure_record", None)
        if b.status == BookingStatus.CANCELLED:
            detail = f"cancelled: {b.get_cancel_reason_display() or 'no reason recorded'}"
        else:
            detail = f"booked {b.duration_min} min, {b.get_status_display().lower()}"
        row = _booking_like(b, None, detail)
        row.record_id = record.pk if record is not None else None
        rows.append(row)
    return total, rows


def timeliness_list(
    *, actor: Actor, filters: Filters, show: str, reason: str = "", limit: int = 500
) -> tuple[str, int, list[ListRow]]:
    """The referrals, procedures or bookings behind one timeliness figure: (the unit, their
    count, the first `limit`), access-logged: one row per patient shown."""
    require(actor, "quality.view")
    unit = SHOW.get(show)
    if unit is None:
        raise ValidationFailed({"show": MSG_SHOW})
    if reason and reason != "none" and reason not in CancelReason.values:
        raise ValidationFailed({"reason": MSG_REASON.format(value=reason)})
    if unit == "referral":
        total, rows = _referral_rows(filters, show, limit)
    elif unit == "record":
        total, rows = _record_rows(filters, show, limit)
    else:
        total, rows = _booking_rows(filters, show, reason, limit)
    access_log_record(
        actor=actor,
        patient=None,
        what=f"quality timeliness {filters.query(show=show, reason=reason)}"[:200],
        shown=[(r.patient_id, r.patient_label) for r in rows],
    )
    return unit, total, rows


# --- Tables (the charts' table views and downloads) ---------------------------------------


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def table(data: Timeliness, chart: str) -> tuple[list[str], list[list]]:
    """The rows of one timeliness chart, as its table view and CSV/XLSX download show them."""
    if chart in WAIT_KINDS:
        columns = [
            "urgency",
            "target_hours",
            "completed",
            "median_hours",
            "p90_hours",
            "within_target",
            "within_target_pct",
            "within_ci_low_pct",
            "within_ci_high_pct",
            "breaching",
        ]
        return columns, [
            [
                w.label,
                w.target_hours,
                w.count,
                w.median_hours,
                w.p90_hours,
                w.within.numerator,
                _pct(w.within.value),
                _pct(w.within.low),
                _pct(w.within.high),
                w.breaching,
            ]
            for w in data.waits_of(chart)
        ]
    if chart == "reports":
        columns = [
            "procedure",
            "procedures",
            "signed",
            "median_hours",
            "p90_hours",
            "target",
            "within_target",
            "within_target_pct",
            "within_ci_low_pct",
            "within_ci_high_pct",
            "breaching",
            "unsigned",
        ]
        return columns, [
            [
                r.label,
                r.procedures,
                r.signed,
                r.median_hours,
                r.p90_hours,
                r.target.label,
                "" if r.within is None else r.within.numerator,
                "" if r.within is None else _pct(r.within.value),
                "" if r.within is None else _pct(r.within.low),
                "" if r.within is None else _pct(r.within.high),
                "" if r.breaching is None else r.breaching,
                r.unsigned,
            ]
            for r in data.reports
        ]
    if chart == "cancellations":
        c = data.cancellations
        columns = [
            "reason",
            "bookings_cancelled",
            "bookings",
            "rate_pct",
            "ci_low_pct",
            "ci_high_pct",
        ]
        rows = [
            [r.label, r.count, c.bookings, _pct(r.rate.value), _pct(r.rate.low), _pct(r.rate.high)]
            for r in c.by_reason
        ]
        rows.append(
            [
                "All cancellations",
                c.cancelled.numerator,
                c.bookings,
                _pct(c.cancelled.value),
                _pct(c.cancelled.low),
                _pct(c.cancelled.high),
            ]
        )
        return columns, rows
    if chart == "rooms":
        columns = [
            "room",
            "bookings",
            "booked_min",
            "used_min",
            "used_of_booked_pct",
            "available_min",
            "used_of_available_pct",
            "booked_of_available_pct",
            "used_from_mpps",
            "used_from_record",
            "without_times",
        ]
        return columns, [
            [
                r.label,
                r.bookings,
                r.booked_minutes,
                r.used_minutes,
                _pct(r.of_booked),
                r.available_minutes,
                _pct(r.of_available),
                _pct(r.booked_of_available),
                r.from_mpps,
                r.from_record,
                r.without_times,
            ]
            for r in data.rooms
        ]
    raise ValueError(f"unknown chart {chart!r}")


CHARTS = ("triage", "procedure", "reports", "cancellations", "rooms")
