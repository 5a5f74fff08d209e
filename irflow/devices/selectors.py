"""Reads of devices in situ: overdue ones for the board, a patient's for the chart.

`on` is passed in (never read from the clock here), so the day a device becomes overdue is
testable without waiting for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import OWN, can, require
from irflow.audit.services import access_log_record
from irflow.devices.models import DeviceInSitu, DeviceStatus
from irflow.patients.selectors import patient_get


@dataclass(frozen=True)
class DeviceLine:
    device: DeviceInSitu
    overdue: bool
    days_overdue: int
    days_left: int


def _visible(actor: Actor) -> QuerySet[DeviceInSitu]:
    scope = require(actor, "device.view")
    qs = DeviceInSitu.objects.filter(patient__is_active=True)
    if scope is OWN:
        qs = qs.filter(patient__care_relations__clinician=person(actor))
    return qs.select_related(
        "patient", "placed_by_procedure__order__procedure_type", "removed_by", "device_used"
    )


def _line(device: DeviceInSitu, on: date) -> DeviceLine:
    return DeviceLine(
        device=device,
        overdue=device.is_overdue(on),
        days_overdue=device.days_overdue(on),
        days_left=(device.due_on - on).days,
    )


def devices_overdue(*, actor: Actor, on: date, log: bool = True) -> list[DeviceLine]:
    """Devices still in a patient past their removal or exchange date on `on`, most overdue
    first."""
    qs = _visible(actor).filter(status=DeviceStatus.IN_SITU, due_on__lt=on)
    devices = list(qs.prefetch_related("patient__identifiers").order_by("due_on", "pk")[:200])
    if log:
        access_log_record(actor=actor, patient=None, what=f"devices overdue {on:%Y-%m-%d}")
    return [_line(d, on) for d in devices]


def devices_in_situ(*, actor: Actor, on: date) -> list[DeviceLine]:
    """Every device still in place, by due date (the devices worklist)."""
    qs = _visible(actor).filter(status=DeviceStatus.IN_SITU)
    devices = list(qs.prefetch_related("patient__identifiers").order_by("due_on", "pk")[:500])
    access_log_record(actor=actor, patient=None, what=f"devices in situ {on:%Y-%m-%d}")
    return [_line(d, on) for d in devices]


def devices_for_patient(
    *, actor: Actor, patient_id: int, on: date, log: bool = True
) -> list[DeviceLine]:
    """A patient's devices: those still in first (overdue first), then removed ones.

    `log=False` for the chart's card: opening the chart was logged already."""

    if log:
        patient_get(actor=actor, patient_id=patient_id, what="devices in situ")
    devices = list(_visible(actor).filter(patient_id=patient_id).order_by("due_on", "pk"))
    devices.sort(key=lambda d: (d.status != DeviceStatus.IN_SITU, d.due_on))
    return [_line(d, on) for d in devices]


def devices_for_chart(*, actor: Actor, patient_id: int, on: date) -> list[DeviceLine] | None:
    """The chart's card: None when the reader may not see devices."""
    if not can(actor, "device.view"):
        return None
    return devices_for_patient(actor=actor, patient_id=patient_id, on=on, log=False)
