"""Writes of the procedure record: opening it, its groups (saved one by one as they are
typed), team, sedation, devices (GS1 or HIBCC UDI), specimens, and marking it completed.

These keep the record; they move no patient. The day of the case — check-in, the patient into
the room, the procedure's start and completion, with their safety rules — is
`irflow.dayofcase`, which calls these.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.models import User
from irflow.accounts.permissions import can, require
from irflow.clinical.inputs import SEDATION_LEVELS
from irflow.clinical.vocabulary import GIVEN_FOR_PLANNED
from irflow.lib.errors import Conflict, NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.lib.versions import save_fields
from irflow.procedures import groups
from irflow.procedures.models import (
    RECORD_STATES,
    AccessSite,
    DeviceUsed,
    Monitoring,
    ProcedureRecord,
    ProcedureTeamMember,
    RecordStatus,
    SedationAgent,
    Specimen,
    expired_on,
)
from irflow.procedures.selectors import procedure_get
from irflow.procedures.signals import procedure_completed
from irflow.procedures.udi import UdiError, parse_udi
from irflow.scheduling.models import Booking, BookingStatus, TeamRole
from irflow.scheduling.selectors import booking_get

MSG_BOOKING_CANCELLED = "This booking was cancelled; there is no procedure to document."
MSG_RECORD_COMPLETED = "This procedure record is completed; it can no longer be changed here."
MSG_NUMBER = "“{value}” is not a number."
MSG_DOSE_NEGATIVE = "A dose cannot be negative ({value} {unit})."
MSG_REQUIRED = "This field is required."
MSG_ROLE = "“{role}” is not a team role."
MSG_STAFF = "No active member of staff has the number {user_id}."
MSG_ALREADY_IN_TEAM = "{user} is already in the team as {role}."
MSG_COMPLETE_TIMES = "Record the {missing} before completing the procedure."
MSG_PART_UNKNOWN = "No such entry on this record."
MSG_DEVICE_TYPE = "Say what the device is (or scan its UDI and choose the type)."
MSG_DEVICE_EXPIRED = (
    "This device expired on {expiry}, before the day of the procedure ({day}): do not use "
    "it. A physician may record its use with the reason."
)
MSG_EXPIRED_PHYSICIAN = "Only a physician may record the use of an expired device."
MSG_NOT_EXPIRED = "The device has not expired: there is nothing to override."


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _record_for_update(actor: Actor, procedure_id: int) -> ProcedureRecord:
    require(actor, "procedure.record")
    procedure_get(
        actor=actor,
        procedure_id=procedure_id,
        what="procedure record edit",
        action="procedure.record",
    )
    record = (
        ProcedureRecord.objects.select_for_update()
        .select_related("order__procedure_type", "booking")
        .get(pk=procedure_id)
    )
    return record


def _open_record(actor: Actor, procedure_id: int) -> ProcedureRecord:
    record = _record_for_update(actor, procedure_id)
    if record.status == RecordStatus.COMPLETED:
        raise Conflict(MSG_RECORD_COMPLETED, code="record_completed")
    return record


@transaction.atomic
def procedure_record_open(*, actor: Actor, booking_id: int) -> ProcedureRecord:
    """Open the booking's procedure record with the catalogue's and the preparation's defaults
    (at check-in: whoever checks patients in opens it). Opening it twice is harmless."""
    require(actor, "booking.progress")
    booking = booking_get(actor=actor, booking_id=booking_id, what="check-in")
    booking = (
        Booking.objects.select_for_update()
        .select_related("order__procedure_type")
        .get(pk=booking.pk)
    )
    existing = ProcedureRecord.objects.filter(booking=booking).first()
    if existing is not None:
        return existing
    if booking.status == BookingStatus.CANCELLED:
        raise Conflict(MSG_BOOKING_CANCELLED, code="booking_cancelled")
    procedure_type = booking.order.procedure_type
    preparation = getattr(booking, "preparation", None)
    planned_sedation = getattr(preparation, "sedation", "") or procedure_type.default_sedation
    planned: Any = getattr(preparation, "contrast_route", "")
    planned_route = GIVEN_FOR_PLANNED.get(planned) or ""
    if not planned_route and procedure_type.uses_contrast:
        planned_route = "intra_arterial" if procedure_type.arterial_access else "iv"
    record = ProcedureRecord(
        booking=booking,
        order=booking.order,
        patient_id=booking.patient_id,
        checked_in_at=timezone.now(),
        checked_in_by=person(actor),
        sedation_depth=planned_sedation if planned_sedation in SEDATION_LEVELS else "",
        contrast_route=planned_route,
        monitoring=[Monitoring.ECG, Monitoring.SPO2, Monitoring.NIBP]
        if planned_sedation in ("moderate", "deep", "general")
        else [],
        access_sites=[AccessSite.RIGHT_CFA] if procedure_type.arterial_access else [],
        updated_by=person(actor),
    )
    with history_actor(actor):
        record.save()
        ProcedureTeamMember.objects.bulk_create(
            [
                ProcedureTeamMember(
                    record=record, user=m.user, role=m.role, created_by=person(actor)
                )
                for m in booking.team.select_related("user")
            ]
        )
    return record


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ValidationFailed({field: MSG_NUMBER.format(value=value)}) from exc
    if not number.is_finite():
        raise ValidationFailed({field: MSG_NUMBER.format(value=value)})
    return number


def _fits_column(model: type[models.Model], name: str, value: Decimal) -> str | None:
    """Why `value` does not fit the model's decimal column (digits, places), or None.

    The database would otherwise keep what it cannot give back: SQLite stores it and every
    later read of the record fails; PostgreSQL refuses it with an error.
    """
    column = model._meta.get_field(name)
    assert isinstance(column, models.DecimalField)
    try:
        for validator in column.validators:
            validator(value)
    except DjangoValidationError as exc:
        return " ".join(exc.messages)
    return None


@transaction.atomic
def procedure_record_update(
    *, actor: Actor, procedure_id: int, group: str, values: dict[str, Any]
) -> ProcedureRecord:
    """Save some fields of one group of the record (times, access, sedation, contrast,
    findings, outcome), checked with the group's declaration (`groups.py`) as the group will
    be: a start time after the recorded end is refused.
    """
    record = _record_for_update(actor, procedure_id)
    clean = groups.clean_group(group, values, record)
    if record.status == RecordStatus.COMPLETED and group != "outcome":
        # Clinical success is judged at follow-up, after the record is completed.
        raise Conflict(MSG_RECORD_COMPLETED, code="record_completed")
    for name, value in clean.items():
        setattr(record, name, value)
    record.updated_by = person(actor)
    with history_actor(actor):
        save_fields(record, *clean, "updated_by")
    return record


def _staff(user_id: int, field: str = "user_id") -> User:
    user = User.objects.filter(pk=user_id, is_active=True).exclude(role="").first()
    if user is None:
        raise ValidationFailed({field: MSG_STAFF.format(user_id=user_id)})
    return user


@transaction.atomic
def team_member_add(
    *, actor: Actor, procedure_id: int, user_id: int, role: str
) -> ProcedureTeamMember:
    """Add a member of the team in a role (primary operator, assistant, trainee, …)."""
    record = _open_record(actor, procedure_id)
    if role not in TeamRole.values:
        raise ValidationFailed({"role": MSG_ROLE.format(role=role)})
    user = _staff(user_id)
    if record.team.filter(user=user, role=role, entered_in_error=False).exists():
        raise ValidationFailed(
            {"user_id": MSG_ALREADY_IN_TEAM.format(user=user, role=TeamRole(role).label.lower())}
        )
    with history_actor(actor):
        return ProcedureTeamMember.objects.create(
            record=record, user=user, role=role, created_by=person(actor)
        )


@transaction.atomic
def sedation_agent_add(
    *, actor: Actor, procedure_id: int, agent: str, dose: Any, unit: str
) -> SedationAgent:
    """Record a sedative or analgesic given (agent, dose, unit)."""
    record = _open_record(actor, procedure_id)
    errors: dict[str, str] = {}
    amount = _decimal(dose, "dose")
    if not (agent or "").strip():
        errors["agent"] = MSG_REQUIRED
    if amount is None:
        errors["dose"] = MSG_REQUIRED
    elif amount < 0:
        errors["dose"] = MSG_DOSE_NEGATIVE.format(value=_num(amount), unit=unit)
    elif too_big := _fits_column(SedationAgent, "dose", amount):
        errors["dose"] = too_big
    if not (unit or "").strip():
        errors["unit"] = MSG_REQUIRED
    if errors or amount is None:
        raise ValidationFailed(errors)
    with history_actor(actor):
        return SedationAgent.objects.create(
            record=record,
            agent=agent.strip(),
            dose=amount,
            unit=unit.strip(),
            created_by=person(actor),
        )


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _expiry_refusal(
    actor: Actor, expiry: date | None, day: date, reason: str
) -> ValidationFailed | None:
    if expired_on(expiry, day):
        assert expiry is not None
        if not reason:
            error = ValidationFailed(
                {"expiry": MSG_DEVICE_EXPIRED.format(expiry=_day(expiry), day=_day(day))}
            )
            error.code = "device_expired"
            return error
        if not can(actor, "device.expired_override"):
            return ValidationFailed({"expiry_override_reason": MSG_EXPIRED_PHYSICIAN})
        return None
    if reason:
        return ValidationFailed({"expiry_override_reason": MSG_NOT_EXPIRED})
    return None


@transaction.atomic
def device_add(
    *,
    actor: Actor,
    procedure_id: int,
    device_type: str = "",
    udi: str = "",
    manufacturer: str = "",
    lot: str = "",
    expiry: date | None = None,
    serial: str = "",
    implanted: bool = False,
    in_situ_kind: str = "",
    expiry_override_reason: str = "",
    today: date | None = None,
) -> DeviceUsed:
    """Record a device used. A scanned UDI (GS1 or HIBCC) fills the device identifier, lot,
    serial, expiry and production date; a malformed one is refused with the reason (the scan
    is not half-kept). A device expired before the day of the procedure is refused unless a
    physician records why it is used all the same."""
    record = _open_record(actor, procedure_id)
    parsed = None
    if udi and udi.strip():
        try:
            parsed = parse_udi(udi, today=today or timezone.localdate())
        except UdiError as exc:
            raise ValidationFailed({"udi": exc.message}) from exc
    device_type = (device_type or "").strip()
    if not device_type:
        device_type = _catalogue_device_name(record, in_situ_kind)
    if not device_type:
        raise ValidationFailed({"device_type": MSG_DEVICE_TYPE})
    used_until = parsed.expiry if parsed and parsed.expiry else expiry
    reason = (expiry_override_reason or "").strip()[:500]
    refusal = _expiry_refusal(actor, used_until, record.procedure_day(), reason)
    if refusal is not None:
        raise refusal
    device = DeviceUsed(
        record=record,
        device_type=device_type[:100],
        manufacturer=(manufacturer or "").strip()[:100],
        lot=parsed.lot if parsed and parsed.lot else (lot or "").strip()[:20],
        expiry=used_until,
        serial=parsed.serial if parsed and parsed.serial else (serial or "").strip()[:20],
        production_date=parsed.production_date if parsed else None,
        gtin=parsed.gtin if parsed else "",
        udi=parsed.human_readable if parsed else "",
        udi_issuer=parsed.issuer if parsed else "",
        device_identifier=parsed.device_identifier if parsed else "",
        implanted=bool(implanted),
        in_situ_kind=(in_situ_kind or "").strip()[:30] if implanted else "",
        expiry_override_reason=reason,
        expiry_override_by=person(actor) if reason else None,
        created_by=person(actor),
    )
    with history_actor(actor):
        device.save()
    return device


def _catalogue_device_name(record: ProcedureRecord, kind: str) -> str:
    for place in record.order.procedure_type.device_defaults.get("places", []):
        if place.get("kind") == kind:
            return str(place.get("name", ""))
    return ""


@transaction.atomic
def specimen_add(
    *, actor: Actor, procedure_id: int, label: str, sent_to: str, specimen_type: str = ""
) -> Specimen:
    """Record a specimen: its label and where it was sent."""
    record = _open_record(actor, procedure_id)
    errors = {}
    if not (label or "").strip():
        errors["label"] = MSG_REQUIRED
    if not (sent_to or "").strip():
        errors["sent_to"] = MSG_REQUIRED
    if errors:
        raise ValidationFailed(errors)
    with history_actor(actor):
        return Specimen.objects.create(
            record=record,
            label=label.strip()[:100],
            sent_to=sent_to.strip()[:100],
            specimen_type=(specimen_type or "").strip()[:100],
            created_by=person(actor),
        )


PARTS: dict[str, type[ProcedureTeamMember | SedationAgent | DeviceUsed | Specimen]] = {
    "team": ProcedureTeamMember,
    "sedation": SedationAgent,
    "device": DeviceUsed,
    "specimen": Specimen,
}


@transaction.atomic
def record_part_strike(*, actor: Actor, procedure_id: int, kind: str, part_id: int) -> None:
    """Strike out an entry made in error (it stays in the history, marked, never deleted)."""
    record = _open_record(actor, procedure_id)
    model = PARTS.get(kind)
    part = model._default_manager.filter(pk=part_id, record=record).first() if model else None
    if part is None:
        raise NotFound(MSG_PART_UNKNOWN)
    part.entered_in_error = True
    with history_actor(actor):
        part.save(update_fields=["entered_in_error"])


def completion_problems(record: ProcedureRecord) -> dict[str, str]:
    """What stops the record from being completed as a record: every time recorded, in order."""
    missing = [label for f, label in groups.TIME_FIELDS if getattr(record, f) is None]
    if missing:
        return {"times": MSG_COMPLETE_TIMES.format(missing=", ".join(missing))}
    return groups.time_order_errors({f: getattr(record, f) for f, _ in groups.TIME_FIELDS})


@transaction.atomic
def procedure_record_complete(*, actor: Actor, procedure_id: int) -> ProcedureRecord:
    """Mark the record completed (its times recorded and in order); no later change but the
    clinical success. The day-of-case layer checks its rules first."""
    record = _open_record(actor, procedure_id)
    errors = completion_problems(record)
    if errors:
        raise ValidationFailed(errors)
    RECORD_STATES.check(record.status, RecordStatus.COMPLETED)
    record.status = RecordStatus.COMPLETED
    record.completed_at = timezone.now()
    record.completed_by = person(actor)
    with history_actor(actor):
        save_fields(record, "status", "completed_at", "completed_by")
    procedure_completed.send(sender=ProcedureRecord, record=record, actor=actor)
    return record
