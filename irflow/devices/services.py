"""Writes of devices in situ: registered when a procedure leaves one in, closed when a
procedure takes it out (or by hand), so that no device is forgotten."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import require
from irflow.devices.models import (
    DEVICE_STATES,
    DeviceInSitu,
    DeviceKind,
    DeviceStatus,
    RemovalReason,
)
from irflow.lib.errors import NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.lib.versions import save_fields
from irflow.patients.selectors import patient_get
from irflow.procedures.models import ProcedureRecord

MSG_DEVICE_NOT_FOUND = "No such device, or you may not see it."
MSG_KIND = "“{kind}” is not a kind of device."
MSG_NAME = "Name the device."
MSG_DUE_BEFORE_PLACED = "The removal date ({due}) cannot be before the placement ({placed})."
MSG_REMOVED_BEFORE_PLACED = (
    "The removal date ({removed}) cannot be before the placement ({placed})."
)
MSG_REASON = "Choose why the device is no longer in place."
MSG_ALREADY_REMOVED = "This device's removal was already recorded on {removed}."
MSG_FUTURE = "The removal date cannot be in the future."
MSG_REMOVED_ON = "Give the date the device came out."


def _local_day(moment: datetime | None) -> date:
    return timezone.localtime(moment).date() if moment is not None else timezone.localdate()


def devices_from_procedure(*, actor: Actor, procedure_id: int) -> list[DeviceInSitu]:
    """Register what the procedure left in (catalogue `places`, and implanted devices with a
    kind) and close what it took out (catalogue `removes`); idempotent. Called in the
    completing transaction, which checked the permission."""
    record = ProcedureRecord.objects.select_related("order__procedure_type").get(pk=procedure_id)
    defaults = record.order.procedure_type.device_defaults or {}
    day = _local_day(record.ended_at or record.completed_at)
    # Removal first: an exchange removes the old catheter and places the new one.
    for kind in defaults.get("removes", []):
        for device in (
            DeviceInSitu.objects.select_for_update()
            .filter(patient_id=record.patient_id, kind=kind, status=DeviceStatus.IN_SITU)
            .exclude(placed_by_procedure=record)
        ):
            _close(
                device,
                actor=actor,
                on=max(day, device.placed_on),
                reason=RemovalReason.PROCEDURE,
                note=f"{record.order.procedure_type.name} ({record.order.accession_number})",
                procedure=record,
            )
    created = []
    implanted = {
        d.in_situ_kind: d
        for d in record.devices.filter(entered_in_error=False, implanted=True).exclude(
            in_situ_kind=""
        )
    }
    places = {p["kind"]: p for p in defaults.get("places", [])}
    for kind in dict.fromkeys([*places, *implanted]):
        if DeviceInSitu.objects.filter(placed_by_procedure=record, kind=kind).exists():
            continue
        place = places.get(kind, {})
        used = implanted.get(kind)
        after_days = int(place.get("removal_after_days", 90))
        device = DeviceInSitu(
            patient_id=record.patient_id,
            kind=kind if kind in DeviceKind.values else DeviceKind.OTHER,
            name=str(place.get("name") or (used.device_type if used else kind))[:100],
            action=str(place.get("action", "review"))[:60],
            placed_on=day,
            due_on=day + timedelta(days=after_days),
            placed_by_procedure=record,
            device_used=used,
            created_by=person(actor),
        )
        with history_actor(actor):
            device.save()
        created.append(device)
    return created


@transaction.atomic
def device_register(
    *,
    actor: Actor,
    patient_id: int,
    kind: str,
    name: str,
    placed_on: date,
    due_on: date,
    action: str = "",
) -> DeviceInSitu:
    """Register a device placed elsewhere (another hospital, before irflow) by hand."""

    require(actor, "device.manage")
    patient = patient_get(actor=actor, patient_id=patient_id, what="device registration")
    errors: dict[str, str] = {}
    if kind not in DeviceKind.values:
        errors["kind"] = MSG_KIND.format(kind=kind)
    if not (name or "").strip():
        errors["name"] = MSG_NAME
    if due_on < placed_on:
        errors["due_on"] = MSG_DUE_BEFORE_PLACED.format(due=due_on, placed=placed_on)
    if errors:
        raise ValidationFailed(errors)
    with history_actor(actor):
        return DeviceInSitu.objects.create(
            patient=patient,
            kind=kind,
            name=name.strip()[:100],
            action=(action or "").strip()[:60],
            placed_on=placed_on,
            due_on=due_on,
            created_by=person(actor),
        )


def _close(
    device: DeviceInSitu,
    *,
    actor: Actor,
    on: date,
    reason: str,
    note: str = "",
    procedure: ProcedureRecord | None = None,
) -> DeviceInSitu:
    DEVICE_STATES.check(device.status, DeviceStatus.REMOVED)
    device.status = DeviceStatus.REMOVED
    device.removed_on = on
    device.removal_reason = reason
    device.removal_note = note[:300]
    device.removed_by_procedure = procedure
    device.removed_by = person(actor)
    with history_actor(actor):
        save_fields(
            device,
            "status",
            "removed_on",
            "removal_reason",
            "removal_note",
            "removed_by_procedure",
            "removed_by",
        )
    return device


@transaction.atomic
def device_remove(
    *,
    actor: Actor,
    device_id: int,
    removed_on: date | None,
    reason: str,
    note: str = "",
    today: date | None = None,
) -> DeviceInSitu:
    """Record by hand that a device is out (or left for good): it leaves the overdue lists."""

    require(actor, "device.manage")
    device = DeviceInSitu.objects.select_for_update().filter(pk=device_id).first()
    if device is None:
        raise NotFound(MSG_DEVICE_NOT_FOUND)
    patient_get(actor=actor, patient_id=device.patient_id, what="device removal")
    if device.status == DeviceStatus.REMOVED:
        raise ValidationFailed(
            {"removed_on": MSG_ALREADY_REMOVED.format(removed=device.removed_on)}
        )
    errors: dict[str, str] = {}
    if reason not in RemovalReason.values:
        errors["reason"] = MSG_REASON
    if removed_on is None:
        errors["removed_on"] = MSG_REMOVED_ON
    elif removed_on < device.placed_on:
        errors["removed_on"] = MSG_REMOVED_BEFORE_PLACED.format(
            removed=removed_on, placed=device.placed_on
        )
    elif removed_on > (today or timezone.localdate()):
        errors["removed_on"] = MSG_FUTURE
    if errors or removed_on is None:
        raise ValidationFailed(errors)
    return _close(device, actor=actor, on=removed_on, reason=reason, note=(note or "").strip())
