"""The flat worklist item the SCP builds from one booking (scheduled procedure step) row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from irflow.dicom.worklist.values import Code


@dataclass(frozen=True)
class WorklistItem:
    """One Scheduled Procedure Step with its requested procedure, order, visit and patient.

    Names are PN strings (`Family^Given`, optionally `=ideographic=phonetic`); `sps_start` is
    naive local time, as DICOM times carry no offset here.
    """

    # Patient (Patient Identification, Demographic and Medical modules)
    patient_name: str = ""
    patient_id: str = ""
    issuer_of_patient_id: str = ""
    patient_birth_date: date | None = None
    patient_sex: str = ""
    patient_weight_kg: float | None = None
    patient_size_m: float | None = None
    allergies: tuple[str, ...] = ()
    medical_alerts: tuple[str, ...] = ()
    pregnancy_status: int | None = None  # (0010,21C0): 1 not, 2 possibly, 3 definitely, 4 unknown
    patient_state: str = ""
    special_needs: str = ""
    # Visit
    admission_id: str = ""
    current_patient_location: str = ""
    # Imaging service request (the order)
    accession_number: str = ""
    referring_physician_name: str = ""
    requesting_physician_name: str = ""
    # Requested procedure
    requested_procedure_id: str = ""
    requested_procedure_description: str = ""
    requested_procedure_code: Code | None = None
    requested_procedure_priority: str = ""  # STAT, HIGH, ROUTINE, MEDIUM, LOW
    reason_for_requested_procedure: str = ""
    study_instance_uid: str = ""
    # Scheduled procedure step (the booking)
    sps_id: str = ""
    sps_status: str = ""  # SCHEDULED, ARRIVED, READY, STARTED, DISCONTINUED, COMPLETED
    sps_station_ae_title: str = ""
    sps_station_name: str = ""
    sps_location: str = ""
    sps_modality: str = ""
    sps_start: datetime | None = None
    sps_performing_physician_name: str = ""
    sps_description: str = ""
    sps_protocol_codes: tuple[Code, ...] = ()
    sps_pre_medication: str = ""
    sps_requested_contrast_agent: str = ""


def resolve(obj: object, path: str) -> object:
    """The value at a dotted field path (`sps_start.date`, `requested_procedure_code.value`)."""
    value: object = obj
    for part in path.split("."):
        if value is None:
            return None
        if isinstance(value, datetime) and part in ("date", "time"):
            value = value.date() if part == "date" else value.time()
        else:
            value = getattr(value, part)
    return value
