"""ImagingStudy: the study of an order that was performed — the Study Instance UID as
`urn:oid:` (system `urn:dicom:uid`), the accession number, the modality, when it started."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irflow.fhir.base import Resource, Site, coding, instant, ref, resource, v2_type
from irflow.fhir.systems import DCM, DICOM_UID

MODALITY_NAMES = {
    "XA": "X-Ray Angiography",
    "RF": "Radio Fluoroscopy",
    "CT": "Computed Tomography",
    "US": "Ultrasound",
    "MR": "Magnetic Resonance",
}


def imaging_study_id(order_pk: int) -> str:
    """One study per order (its Study Instance UID); the id is the order's."""
    return str(order_pk)


@dataclass(frozen=True)
class ImagingStudyData:
    order_id: int
    patient_id: int
    study_instance_uid: str
    accession_number: str
    modalities: tuple[str, ...]
    procedure_name: str
    status: str  # registered | available | cancelled | unknown
    started: datetime | None = None
    procedure_id: int | None = None
    room_id: int | None = None
    series_count: int = 0
    instance_count: int = 0
    updated_at: datetime | None = None


def imaging_study_resource(s: ImagingStudyData, site: Site) -> Resource:
    from irflow.fhir.service_request import order_id

    counts = {}
    if s.series_count:
        counts = {"numberOfSeries": s.series_count, "numberOfInstances": s.instance_count}
    return resource(
        "ImagingStudy",
        imaging_study_id(s.order_id),
        s.updated_at,
        identifier=[
            {"system": DICOM_UID, "value": f"urn:oid:{s.study_instance_uid}"},
            {
                "type": v2_type("ACSN", "Accession ID"),
                "system": site.identifier_system("accession"),
                "value": s.accession_number,
            },
        ],
        status=s.status,
        modality=[coding(DCM, m, MODALITY_NAMES.get(m, m)) for m in s.modalities],
        subject=ref("Patient", s.patient_id),
        started=instant(s.started) if s.started else None,
        basedOn=[ref("ServiceRequest", order_id(s.order_id))],
        procedureReference=ref("Procedure", s.procedure_id) if s.procedure_id else None,
        location=ref("Location", s.room_id) if s.room_id else None,
        description=s.procedure_name,
        **counts,
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "imaging_study_resource": {
        "identifier": (
            "Study Instance UID as `urn:oid:` (system `urn:dicom:uid`); accession number (ACSN)"
        ),
        "status": "available once a step or the record is completed, else registered",
        "modality": "modalities of the bookings and performed steps (DCM)",
        "subject": "the patient",
        "started": "earliest start of a performed step or the record",
        "basedOn": "the order",
        "procedureReference": "the procedure record",
        "location": "the room",
        "description": "procedure name",
        "numberOfSeries": "series the modality reported (MPPS)",
        "numberOfInstances": "images the modality reported (MPPS)",
    },
}
