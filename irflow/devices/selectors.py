"""Reads of devices in situ: overdue ones for the board, a patient's for the chart; and the
recall search (every patient who received a product or lot).

`on` is passed in (never read from the clock here), so the day a device becomes overdue is
testable without waiting for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import OWN, can, require
from irflow.audit.services import access_log_record
from irflow.devices.models import DeviceInSitu, DeviceStatus
from irflow.lib.errors import ValidationFailed
from irflow.patients.selectors import patient_get
from irflow.procedures.models import DeviceUsed
from irflow.procedures.udi import normalise_product


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
        access_log_record(
            actor=actor,
            patient=None,
            what=f"devices overdue {on:%Y-%m-%d}",
            shown=[d.patient for d in devices],
        )
    return [_line(d, on) for d in devices]


def devices_in_situ(*, actor: Actor, on: date) -> list[DeviceLine]:
    """Every device still in place, by due date (the devices worklist)."""
    qs = _visible(actor).filter(status=DeviceStatus.IN_SITU)
    devices = list(qs.prefetch_related("patient__identifiers").order_by("due_on", "pk")[:500])
    access_log_record(
        actor=actor,
        patient=None,
        what=f"devices in situ {on:%Y-%m-%d}",
        shown=[d.patient for d in devices],
    )
    return [_line(d, on) for d in devices]


def devices_for_patient(
    *, actor: Actor, patient_id: int, on: date, log: bool = True
) -> list[DeviceLine]:
    """A patient's devices: those still in first (overdue first), then removed ones.

    `log=False` for the chart's card: opening the chart was logged already. The role is
    checked before the patient is looked up: one answer whether the patient exists or not."""
    require(actor, "device.view")
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


# ------------------------------------------------------------------ recall

MSG_RECALL_EMPTY = "Give the product (GTIN or HIBC product), the lot, or both."
RECALL_LIMIT = 2000


class RecallStatus:
    IN_SITU = "in_situ"
    REMOVED = "removed"
    IMPLANTED = "implanted"
    NOT_LEFT_IN = "not_left_in"


RECALL_STATUS_LABELS = {
    RecallStatus.IN_SITU: "In situ",
    RecallStatus.REMOVED: "Removed",
    RecallStatus.IMPLANTED: "Left in (not followed)",
    RecallStatus.NOT_LEFT_IN: "Used, not left in",
}


@dataclass(frozen=True)
class RecallLine:
    """One device a patient received: where it stands now (in situ, removed, or used and not
    left in)."""

    device: DeviceUsed
    status: str
    removed_on: date | None

    @property
    def status_label(self) -> str:
        return RECALL_STATUS_LABELS[self.status]


def _recall_status(device: DeviceUsed) -> tuple[str, date | None]:
    followed = list(device.in_situ.all())
    if followed:
        latest = followed[-1]
        if latest.status == DeviceStatus.REMOVED:
            return RecallStatus.REMOVED, latest.removed_on
        return RecallStatus.IN_SITU, None
    return (RecallStatus.IMPLANTED if device.implanted else RecallStatus.NOT_LEFT_IN), None


def device_recall(*, actor: Actor, product: str = "", lot: str = "") -> list[RecallLine]:
    """Every patient who received a product and/or lot, across procedures (struck-out
    entries left out), newest first, with the device's status today. Lots match whatever
    their case; a product matches its GTIN with or without the leading zeros, or its HIBC
    labeler and product code."""
    require(actor, "device.recall")
    product = normalise_product(product)
    lot = (lot or "").strip()
    if not product and not lot:
        raise ValidationFailed({"product": MSG_RECALL_EMPTY})
    qs = DeviceUsed.objects.filter(entered_in_error=False)
    if product:
        qs = qs.filter(Q(device_identifier=product) | Q(gtin=product))
    if lot:
        qs = qs.filter(lot__iexact=lot)
    devices = list(
        qs.select_related(
            "record__patient", "record__order__procedure_type", "record__booking__room"
        )
        .prefetch_related(
            "record__patient__identifiers",
            Prefetch("in_situ", queryset=DeviceInSitu.objects.order_by("pk")),
        )
        .order_by("-record__checked_in_at", "-pk")[:RECALL_LIMIT]
    )
    access_log_record(
        actor=actor,
        patient=None,
        what=f"device recall product={product or '-'} lot={lot or '-'} ({len(devices)} found)",
        shown=[d.record.patient for d in devices],
    )
    return [RecallLine(d, *_recall_status(d)) for d in devices]
