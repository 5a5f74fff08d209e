"""Device: a device used at a procedure (id `used-<n>`: its UDI carrier, lot, serial, expiry,
manufacturer) or left in a patient without a scanned label (id `insitu-<n>`); `active` while
it is in the patient, `inactive` once removed or when it never stayed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from irflow.fhir.base import Resource, Site, coding, concept, day, ref, resource
from irflow.fhir.systems import UDI_ISSUER


def used_device_id(pk: int) -> str:
    return f"used-{pk}"


def in_situ_device_id(pk: int) -> str:
    return f"insitu-{pk}"


@dataclass(frozen=True)
class DeviceData:
    id: str
    patient_id: int
    name: str
    status: str  # active | inactive | entered-in-error
    manufacturer: str = ""
    lot: str = ""
    serial: str = ""
    expiry: date | None = None
    production_date: date | None = None
    udi: str = ""  # as scanned (the human-readable form)
    udi_issuer: str = ""  # GS1 | HIBCC
    device_identifier: str = ""  # the UDI-DI
    kind: str = ""
    kind_label: str = ""
    note: str = ""


def device_resource(d: DeviceData, site: Site) -> Resource:
    carrier: dict = {}
    if d.device_identifier or d.udi:
        carrier = {
            "deviceIdentifier": d.device_identifier,
            "issuer": UDI_ISSUER.get(d.udi_issuer, ""),
            "carrierHRF": d.udi,
            "entryType": "barcode",
        }
    return resource(
        "Device",
        d.id,
        None,
        udiCarrier=[carrier] if carrier else [],
        status=d.status,
        manufacturer=d.manufacturer,
        manufactureDate=day(d.production_date) if d.production_date else None,
        expirationDate=day(d.expiry) if d.expiry else None,
        lotNumber=d.lot,
        serialNumber=d.serial,
        deviceName=[{"name": d.name, "type": "user-friendly-name"}],
        type=concept(coding(site.code_system("device-kind"), d.kind, d.kind_label))
        if d.kind
        else None,
        patient=ref("Patient", d.patient_id),
        note=[{"text": d.note}] if d.note else [],
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "device_resource": {
        "udiCarrier": "UDI-DI, issuer (GS1 / HIBCC), the UDI as scanned",
        "status": "active while in situ; inactive when removed or never left in",
        "manufacturer": "manufacturer",
        "manufactureDate": "production date",
        "expirationDate": "expiry",
        "lotNumber": "lot",
        "serialNumber": "serial",
        "deviceName": "device type / name",
        "type": "kind of device in situ (IVC filter, drain, …)",
        "patient": "the patient",
        "note": "what is due (retrieval, exchange, …)",
    },
}
