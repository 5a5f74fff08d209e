"""The Modality Worklist keys irflow knows (PS3.4 Table K.6-1), for parsing, responses and docs.

`field` is the `WorklistItem` path a key maps to; a key without a field is part of the
information model but not kept by irflow, so it is returned zero-length when requested.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pydicom.datadict import tag_for_keyword

SPS_SEQUENCE = "ScheduledProcedureStepSequence"


# Identity equality keeps hashing cheap where key tuples index caches.
@dataclass(frozen=True, eq=False)
class KeySpec:
    """One key of the information model and how irflow serves it."""

    keyword: str
    vr: str
    field: str | None = None
    matching: bool = False  # irflow filters on it; otherwise a non-empty value is ignored
    items: tuple[KeySpec, ...] = ()  # for SQ: the keys of its items
    flat: bool = False  # for SQ: item keys are fields of the WorklistItem itself

    @property
    def tag(self) -> int:
        """The element tag of the keyword."""
        tag = tag_for_keyword(self.keyword)
        assert tag is not None, self.keyword
        return tag


def _code_items(*, matching: bool) -> tuple[KeySpec, ...]:
    return (
        KeySpec("CodeValue", "SH", "value", matching=matching),
        KeySpec("CodingSchemeDesignator", "SH", "scheme", matching=matching),
        KeySpec("CodingSchemeVersion", "SH"),
        KeySpec("CodeMeaning", "LO", "meaning"),
    )


_REFERENCE_ITEMS = (
    KeySpec("ReferencedSOPClassUID", "UI"),
    KeySpec("ReferencedSOPInstanceUID", "UI"),
)

SPS_KEYS = (
    KeySpec("ScheduledStationAETitle", "AE", "sps_station_ae_title", matching=True),
    KeySpec("ScheduledProcedureStepStartDate", "DA", "sps_start.date", matching=True),
    KeySpec("ScheduledProcedureStepStartTime", "TM", "sps_start.time", matching=True),
    KeySpec("Modality", "CS", "sps_modality", matching=True),
    KeySpec(
        "ScheduledPerformingPhysicianName", "PN", "sps_performing_physician_name", matching=True
    ),
    KeySpec("ScheduledProcedureStepDescription", "LO", "sps_description"),
    KeySpec("ScheduledStationName", "SH", "sps_station_name", matching=True),
    KeySpec("ScheduledProcedureStepLocation", "SH", "sps_location"),
    KeySpec(
        "ScheduledProtocolCodeSequence",
        "SQ",
        "sps_protocol_codes",
        items=_code_items(matching=False),
    ),
    KeySpec("PreMedication", "LO", "sps_pre_medication"),
    KeySpec("ScheduledProcedureStepID", "SH", "sps_id", matching=True),
    KeySpec("RequestedContrastAgent", "LO", "sps_requested_contrast_agent"),
    KeySpec("ScheduledProcedureStepStatus", "CS", "sps_status", matching=True),
)

TOP_KEYS = (
    KeySpec(SPS_SEQUENCE, "SQ", items=SPS_KEYS, flat=True),
    # Requested Procedure
    KeySpec("RequestedProcedureID", "SH", "requested_procedure_id", matching=True),
    KeySpec("RequestedProcedureDescription", "LO", "requested_procedure_description"),
    KeySpec(
        "RequestedProcedureCodeSequence",
        "SQ",
        "requested_procedure_code",
        items=_code_items(matching=True),
    ),
    KeySpec("StudyInstanceUID", "UI", "study_instance_uid", matching=True),
    KeySpec("ReferencedStudySequence", "SQ", items=_REFERENCE_ITEMS),
    KeySpec("RequestedProcedurePriority", "SH", "requested_procedure_priority"),
    KeySpec("PatientTransportArrangements", "LO"),
    KeySpec("ReasonForTheRequestedProcedure", "LO", "reason_for_requested_procedure"),
    # Imaging Service Request
    KeySpec("AccessionNumber", "SH", "accession_number", matching=True),
    KeySpec("RequestingPhysician", "PN", "requesting_physician_name"),
    KeySpec("ReferringPhysicianName", "PN", "referring_physician_name", matching=True),
    # Visit
    KeySpec("AdmissionID", "LO", "admission_id"),
    KeySpec("CurrentPatientLocation", "LO", "current_patient_location"),
    KeySpec("ReferencedPatientSequence", "SQ", items=_REFERENCE_ITEMS),
    # Patient
    KeySpec("PatientName", "PN", "patient_name", matching=True),
    KeySpec("PatientID", "LO", "patient_id", matching=True),
    KeySpec("IssuerOfPatientID", "LO", "issuer_of_patient_id"),
    KeySpec("PatientBirthDate", "DA", "patient_birth_date", matching=True),
    KeySpec("PatientSex", "CS", "patient_sex", matching=True),
    KeySpec("PatientWeight", "DS", "patient_weight_kg"),
    KeySpec("PatientSize", "DS", "patient_size_m"),
    KeySpec("ConfidentialityConstraintOnPatientDataDescription", "LO"),
    KeySpec("PatientState", "LO", "patient_state"),
    KeySpec("PregnancyStatus", "US", "pregnancy_status"),
    KeySpec("MedicalAlerts", "LO", "medical_alerts"),
    KeySpec("Allergies", "LO", "allergies"),
    KeySpec("SpecialNeeds", "LO", "special_needs"),
)


@cache
def specs_by_tag(specs: tuple[KeySpec, ...]) -> dict[int, KeySpec]:
    """Index a tuple of key specs by element tag."""
    return {spec.tag: spec for spec in specs}


def _paths(specs: tuple[KeySpec, ...], *, matching: bool, prefix: str = "") -> tuple[str, ...]:
    out: list[str] = []
    for spec in specs:
        path = f"{prefix}{spec.keyword}"
        if spec.items:
            out.extend(_paths(spec.items, matching=matching, prefix=f"{path}>"))
        elif spec.matching if matching else spec.field is not None:
            out.append(path)
    return tuple(out)


# For the conformance statement: keys irflow matches on, and keys it returns values for.
MATCHING_KEYS = _paths(TOP_KEYS, matching=True)
RETURN_KEYS = _paths(TOP_KEYS, matching=False)
