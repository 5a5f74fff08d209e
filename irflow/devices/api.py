"""Devices in situ over REST (thin handlers over devices.services and devices.selectors)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from irflow.devices import selectors, services
from irflow.devices.models import DeviceKind, RemovalReason
from irflow.lib.apischema import Day, perm

router = Router()
API_PREFIX = "/devices"
API_TAGS = ["devices"]


class DeviceOut(Schema):
    id: int
    patient_id: int
    kind: str
    name: str
    action: str
    placed_on: date
    due_on: date
    status: str
    removed_on: date | None
    removal_reason: str
    placed_by_procedure_id: int | None
    removed_by_procedure_id: int | None


class DeviceLineOut(Schema):
    device: DeviceOut
    overdue: bool
    days_overdue: int


class DeviceIn(Schema):
    patient_id: int
    kind: DeviceKind
    name: str = Field(min_length=1, max_length=100)
    placed_on: Day
    due_on: Day
    action: str = Field("", max_length=60)


class RemoveIn(Schema):
    removed_on: Day
    reason: RemovalReason
    note: str = Field("", max_length=300)


@router.get("/overdue", response=list[DeviceLineOut], openapi_extra=perm("device.view"))
def devices_overdue(request, on: Day | None = None):
    """Devices still in patients past their removal or exchange date on `on` (default today)."""
    return selectors.devices_overdue(actor=request.auth, on=on or timezone.localdate())


@router.get(
    "/patients/{patient_id}", response=list[DeviceLineOut], openapi_extra=perm("device.view")
)
def devices_for_patient(request, patient_id: int, on: Day | None = None):
    return selectors.devices_for_patient(
        actor=request.auth, patient_id=patient_id, on=on or timezone.localdate()
    )


@router.post("", response={201: DeviceOut}, openapi_extra=perm("device.manage", errors=(404,)))
def device_register(request, payload: DeviceIn):
    """Register a device placed elsewhere."""
    return Status(201, services.device_register(actor=request.auth, **payload.dict()))


@router.post("/{device_id}/remove", response=DeviceOut, openapi_extra=perm("device.manage"))
def device_remove(request, device_id: int, payload: RemoveIn):
    """Record that a device is out (it leaves the overdue lists)."""
    return services.device_remove(actor=request.auth, device_id=device_id, **payload.dict())
