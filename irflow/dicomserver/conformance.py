"""The generated parts of docs/dicom-conformance.md: SOP classes, matching and return keys.

    python -m irflow.dicomserver.conformance     rewrites the tables in the document

They come from the listener's registry and the worklist key table of `irflow.dicom.worklist`,
so the statement says what the code does; a test fails when the document is out of date.
"""

from __future__ import annotations

from pydicom.uid import UID
from pynetdicom.presentation import DEFAULT_TRANSFER_SYNTAXES

from irflow.dicom.worklist import MATCHING_KEYS, RETURN_KEYS
from irflow.dicom.worklist.keys import TOP_KEYS, KeySpec
from irflow.dicomserver.registry import services
from irflow.lib.docblocks import DOCS

DOC = DOCS / "dicom-conformance.md"
MARKERS = {
    "sop-classes": "SOP classes",
    "matching-keys": "matching keys",
    "return-keys": "return keys",
}

# Where each worklist value comes from in irflow.
SOURCES = {
    "sps_station_ae_title": "the booking's station AE title (the room's modality)",
    "sps_start.date": "booking start, local date",
    "sps_start.time": "booking start, local time",
    "sps_modality": "the booking's modality (the room's)",
    "sps_performing_physician_name": "primary operator, `Family^Given`",
    "sps_description": "procedure name from the catalogue",
    "sps_station_name": "room code",
    "sps_location": "room name (first 16 characters)",
    "sps_protocol_codes.value": "— (zero-length)",
    "sps_protocol_codes.scheme": "— (zero-length)",
    "sps_protocol_codes.meaning": "— (zero-length)",
    "sps_pre_medication": "— (zero-length)",
    "sps_id": "booking SPS ID",
    "sps_requested_contrast_agent": "— (zero-length)",
    "sps_status": "booking status: SCHEDULED, ARRIVED, READY, STARTED",
    "requested_procedure_id": "order requested procedure ID",
    "requested_procedure_description": "procedure name from the catalogue",
    "requested_procedure_code.value": "catalogue procedure code",
    "requested_procedure_code.scheme": "`99IRFLOW` (local codes)",
    "requested_procedure_code.meaning": "procedure name",
    "study_instance_uid": "order Study Instance UID",
    "requested_procedure_priority": "order priority: STAT, HIGH, ROUTINE",
    "reason_for_requested_procedure": "order clinical indication (first 64 characters)",
    "accession_number": "order accession number",
    "requesting_physician_name": "the physician who created the order",
    "referring_physician_name": "the referrer of the order's referral (empty without one)",
    "admission_id": "— (zero-length)",
    "current_patient_location": "— (zero-length)",
    "patient_name": "patient `Family^Given`",
    "patient_id": "MRN of the configured issuer (`IRFLOW_MRN_ISSUER`), else the first MRN",
    "issuer_of_patient_id": "issuer of that MRN",
    "patient_birth_date": "patient date of birth",
    "patient_sex": "M, F, O (unknown: zero-length)",
    "patient_weight_kg": "patient weight, kg",
    "patient_size_m": "patient height, m",
    "patient_state": "— (zero-length)",
    "pregnancy_status": "— (zero-length)",
    "medical_alerts": "active conditions that change the rules (e.g. On dialysis)",
    "allergies": "active allergies (agent)",
    "special_needs": "— (zero-length)",
}

_TS_NAMES = {
    "1.2.840.10008.1.2": "Implicit VR Little Endian",
    "1.2.840.10008.1.2.1": "Explicit VR Little Endian",
    "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
    "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
}


def _name(uid: str) -> str:
    return _TS_NAMES.get(uid) or UID(uid).name


def _walk(specs: tuple[KeySpec, ...], prefix: str = "", field_prefix: str = ""):
    """(path, spec, field path) for every leaf key, in table order."""
    for spec in specs:
        path = f"{prefix}{spec.keyword}"
        if spec.items:
            nested = (
                field_prefix if spec.flat else f"{field_prefix}{spec.field}." if spec.field else ""
            )
            yield from _walk(spec.items, f"{path}>", nested)
        else:
            field = f"{field_prefix}{spec.field}" if spec.field else ""
            yield path, spec, field


def _tag(spec: KeySpec) -> str:
    return f"({spec.tag >> 16:04X},{spec.tag & 0xFFFF:04X})"


def _matching(spec: KeySpec) -> str:
    kinds = ["universal", "single value", "wildcard `*` `?`"]
    if spec.vr in ("DA", "TM"):
        kinds = ["universal", "single value", "range"]
    elif spec.vr == "UI":
        kinds = ["universal", "single value", "list of UIDs"]
    case = {"PN": "; case-insensitive", "DA": "", "TM": "", "UI": ""}.get(
        spec.vr, "; case-sensitive"
    )
    return ", ".join(kinds) + case


def sop_classes_markdown() -> str:
    """The SOP classes each registered service offers (all as SCP), with transfer syntaxes."""

    rows = ["| service | SOP classes (SCP) | transfer syntaxes |", "|---|---|---|"]
    for service in sorted(services(), key=lambda s: s.name):
        classes = "<br>".join(f"{UID(uid).name} `{uid}`" for uid, _ in service.contexts)
        syntaxes: list[str] = []
        for _, proposed in service.contexts:
            for ts in proposed or DEFAULT_TRANSFER_SYNTAXES:
                if _name(ts) not in syntaxes:
                    syntaxes.append(_name(ts))
        rows.append(f"| {service.name} | {classes} | {', '.join(syntaxes)} |")
    return "\n".join(rows)


def matching_keys_markdown() -> str:
    """The keys irflow matches on, with the matching it supports for each."""
    rows = ["| key | tag | VR | matching | irflow value |", "|---|---|---|---|---|"]
    for path, spec, field in _walk(TOP_KEYS):
        if path in MATCHING_KEYS:
            rows.append(
                f"| {path} | {_tag(spec)} | {spec.vr} | {_matching(spec)} | {SOURCES[field]} |"
            )
    return "\n".join(rows)


def return_keys_markdown() -> str:
    """Every key irflow returns a value for (requested keys it has no value for come back
    zero-length)."""
    rows = ["| key | tag | VR | irflow value |", "|---|---|---|---|"]
    for path, spec, field in _walk(TOP_KEYS):
        if path in RETURN_KEYS:
            rows.append(f"| {path} | {_tag(spec)} | {spec.vr} | {SOURCES[field]} |")
    return "\n".join(rows)


def generated() -> dict[str, str]:
    return {
        "sop-classes": sop_classes_markdown(),
        "matching-keys": matching_keys_markdown(),
        "return-keys": return_keys_markdown(),
    }
