"""Reads of procedure records, permission-filtered and written to the access log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from irflow.accounts.permissions import can, require
from irflow.audit.services import access_log_record
from irflow.lib.errors import NotFound
from irflow.procedures.models import (
    DeviceUsed,
    ProcedureRecord,
    ProcedureTeamMember,
    SedationAgent,
    Specimen,
)
from irflow.scheduling.models import Booking

MSG_PROCEDURE_NOT_FOUND = "No such procedure record, or you may not see it."


def _records() -> QuerySet[ProcedureRecord]:
    live = {"entered_in_error": False}
    return (
        ProcedureRecord.objects.filter(patient__is_active=True)
        .select_related(
            "booking__room",
            "order__procedure_type",
            "patient",
            "checked_in_by",
            "completed_by",
        )
        .prefetch_related(
            "patient__identifiers",
            Prefetch(
                "team", queryset=ProcedureTeamMember.objects.filter(**live).select_related("user")
            ),
            Prefetch("sedation_agents", queryset=SedationAgent.objects.filter(**live)),
            Prefetch("devices", queryset=DeviceUsed.objects.filter(**live)),
            Prefetch("specimens", queryset=Specimen.objects.filter(**live)),
        )
    )


def procedure_get(
    *, actor, procedure_id: int, what: str = "procedure record", action: str = "procedure.view"
) -> ProcedureRecord:
    """One procedure record, if `actor` may see it; the read is access-logged."""
    require(actor, action)
    record = _records().filter(pk=procedure_id).first()
    if record is None:
        raise NotFound(MSG_PROCEDURE_NOT_FOUND)
    access_log_record(actor=actor, patient=record.patient, what=f"{what} {record.pk}")
    return record


def procedure_for_booking(*, booking: Booking) -> ProcedureRecord | None:
    """The record of a booking the caller has already been allowed to read, if any."""
    return _records().filter(booking=booking).first()


def procedures_for_patient(*, actor, patient_id: int) -> list[ProcedureRecord]:
    """A patient's procedure records, newest first (the chart's list; caller logged the read)."""
    require(actor, "procedure.view")
    return list(
        ProcedureRecord.objects.filter(patient_id=patient_id)
        .select_related("order__procedure_type", "booking__room")
        .order_by("-checked_in_at")
    )


@dataclass
class DoseSummary:
    ka_r_mgy: float | None
    dap_gy_cm2: float | None
    fluoro_time_s: float | None
    dlp_mgy_cm: float | None


@dataclass
class ProcedurePage:
    """Everything the procedure page shows around the record."""

    booking: Booking
    record: ProcedureRecord | None
    performed_steps: list[Any] = field(default_factory=list)
    dose: DoseSummary | None = None
    checklists: Any = None


def procedure_page(*, actor, booking_id: int) -> ProcedurePage:
    """A booking's day of procedure: the record (if checked in), MPPS steps, dose, checklists."""
    from irflow.scheduling.selectors import booking_get

    require(actor, "procedure.view")
    booking = booking_get(actor=actor, booking_id=booking_id, what="procedure page")
    record = procedure_for_booking(booking=booking)
    page = ProcedurePage(booking=booking, record=record)
    page.performed_steps = list(booking.performed_steps.order_by("started_at", "pk"))
    if can(actor, "dose.view"):
        page.dose = dose_summary(order=booking.order)
    if can(actor, "checklist.view"):
        from irflow.checklists.selectors import booking_checklists

        page.checklists = booking_checklists(actor=actor, booking_id=booking.pk)
    return page


def dose_summary(*, order) -> DoseSummary | None:
    """The procedure's de-duplicated dose totals from the dose reports linked to its order."""
    from irflow.dose.models import RadiationDoseReport
    from irflow.dose.services.alerts import order_dose_totals

    if not RadiationDoseReport.objects.filter(order=order).exists():
        return None
    totals = order_dose_totals(order)
    return DoseSummary(
        ka_r_mgy=totals["ka_r_mgy"],
        dap_gy_cm2=totals["dap_gy_cm2"],
        fluoro_time_s=totals["fluoro_time_s"],
        dlp_mgy_cm=totals["dlp_mgy_cm"],
    )
