"""Reads of procedure records, permission-filtered and written to the access log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.audit.services import access_log_record
from irflow.lib.errors import NotFound
from irflow.procedures.models import (
    DeviceUsed,
    ProcedureRecord,
    ProcedureTeamMember,
    SedationAgent,
    Specimen,
    expired_on,
)
from irflow.procedures.udi import Udi, UdiError, parse_udi
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
            Prefetch(
                "devices",
                queryset=DeviceUsed.objects.filter(**live).select_related("expiry_override_by"),
            ),
            Prefetch("specimens", queryset=Specimen.objects.filter(**live)),
        )
    )


def procedure_get(
    *,
    actor: Actor,
    procedure_id: int,
    what: str = "procedure record",
    action: str = "procedure.view",
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


def records_for_bookings(*, booking_ids: list[int]) -> dict[int, ProcedureRecord]:
    """The records of many bookings the caller may read, by booking (a fixed number of
    queries: the record, then its team, drugs, devices and specimens, each in one)."""
    return {r.booking_id: r for r in _records().filter(booking_id__in=booking_ids)}


def procedures_for_patient(*, actor: Actor, patient_id: int) -> list[ProcedureRecord]:
    """A patient's procedure records, newest first (the chart's list; caller logged the read)."""
    require(actor, "procedure.view")
    return list(
        ProcedureRecord.objects.filter(patient_id=patient_id)
        .select_related("order__procedure_type", "booking__room")
        .order_by("-checked_in_at")
    )


@dataclass(frozen=True)
class DeviceCheck:
    """What a scan (or a typed expiry) says before the device is added: the UDI read or why
    not, whether the device expired before the day of the procedure, and how this product
    was last recorded (its type and maker, to fill in)."""

    udi: Udi | None
    error: str
    expiry: date | None
    day: date
    known: DeviceUsed | None

    @property
    def expired(self) -> bool:
        return expired_on(self.expiry, self.day)


def procedure_booking_id(*, actor: Actor, procedure_id: int) -> int:
    """The booking a procedure record belongs to (its page is the booking's), for a reader
    who may see procedure records: the role is checked before the record is looked up, so a
    missing record and a refused one answer alike. Names no patient: not access-logged (the
    page it leads to is)."""
    require(actor, "procedure.view")
    booking_id = (
        ProcedureRecord.objects.filter(pk=procedure_id, patient__is_active=True)
        .values_list("booking_id", flat=True)
        .first()
    )
    if booking_id is None:
        raise NotFound(MSG_PROCEDURE_NOT_FOUND)
    return booking_id


def device_check(
    *, actor: Actor, procedure_id: int, udi: str, expiry: date | None, today: date
) -> DeviceCheck:
    """Read a scan as it comes, for the person recording the device (nothing of the patient is
    read beyond the day of the procedure, so nothing is access-logged)."""
    require(actor, "procedure.record")
    record = ProcedureRecord.objects.select_related("booking").filter(pk=procedure_id).first()
    if record is None:
        raise NotFound(MSG_PROCEDURE_NOT_FOUND)
    parsed, error, known = None, "", None
    if udi.strip():
        try:
            parsed = parse_udi(udi, today=today)
        except UdiError as exc:
            error = exc.message
    if parsed is not None:
        expiry = parsed.expiry or expiry
        known = (
            DeviceUsed.objects.filter(
                device_identifier=parsed.device_identifier, entered_in_error=False
            )
            .only("device_type", "manufacturer")
            .order_by("-pk")
            .first()
        )
    return DeviceCheck(
        udi=parsed, error=error, expiry=expiry, day=record.procedure_day(), known=known
    )
