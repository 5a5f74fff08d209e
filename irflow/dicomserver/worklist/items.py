"""What a booking says on the worklist: one `WorklistItem` per scheduled procedure step.

Every value that the SCP matches on is defined twice, once here in Python and once as a SQL
expression in `irflow.dicomserver.worklist.filters`; the tests hold the two to each other
with the reference matcher.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.utils import timezone

from irflow.dicom.worklist import Code, WorklistItem
from irflow.scheduling.models import SPS_STATUS

# Coding scheme designator of irflow's local procedure codes (PS3.16 8.2: 99 = private).
CODING_SCHEME = "99IRFLOW"
# Requested Procedure Priority (0040,1003) for each order priority.
DICOM_PRIORITY = {"emergent": "STAT", "urgent": "HIGH", "routine": "ROUTINE"}
# Patient's Sex (0010,0040) is M, F or O; irflow's "unknown" is a zero-length value.
DICOM_SEX = {"F": "F", "M": "M", "O": "O", "U": ""}
SH, LO = 16, 64
_WHITESPACE = re.compile(r"\s+")


def person_name(family: str | None, given: str | None) -> str:
    """A PN value `Family^Given` (just `Family` without a given name)."""
    family = (family or "").strip(" ")
    given = (given or "").strip(" ")
    return f"{family}^{given}" if given else family


def one_line(text: str | None, length: int) -> str:
    """Text for an SH/LO value: no control characters, at most `length` characters."""
    return _WHITESPACE.sub(" ", text or "").strip()[:length]


def naive_local(moment: datetime) -> datetime:
    """A stored (aware) time as the modality sees it: local wall-clock time, no offset."""
    return timezone.localtime(moment).replace(tzinfo=None)


# The columns a worklist item is built from (one row per booking, no model instances).
ITEM_FIELDS = (
    "patient_id",
    "patient__family_name",
    "patient__given_name",
    "patient__birth_date",
    "patient__sex",
    "patient__weight_kg",
    "patient__height_cm",
    "wl_mrn",
    "wl_mrn_issuer",
    "order__accession_number",
    "order__requested_procedure_id",
    "order__study_instance_uid",
    "order__priority",
    "order__clinical_indication",
    "order__procedure_type__code",
    "order__procedure_type__name",
    "order__created_by__last_name",
    "order__created_by__first_name",
    "order__referral__referrer__last_name",
    "order__referral__referrer__first_name",
    "sps_id",
    "status",
    "station_ae_title",
    "modality",
    "start",
    "room__code",
    "room__name",
    "primary_operator__last_name",
    "primary_operator__first_name",
)


def patient_label(row: dict) -> str:
    """How the access log names the patient (as `str(Patient)` does)."""
    return f"{row['patient__family_name'].upper()}, {row['patient__given_name']}"


def worklist_item(
    row: dict, *, allergies: tuple[str, ...] = (), medical_alerts: tuple[str, ...] = ()
) -> WorklistItem:
    """The worklist item of one booking row (`ITEM_FIELDS`, from `worklist_queryset`)."""
    weight = row["patient__weight_kg"]
    height = row["patient__height_cm"]
    procedure_name = one_line(row["order__procedure_type__name"], LO)
    return WorklistItem(
        patient_name=person_name(row["patient__family_name"], row["patient__given_name"]),
        patient_id=row["wl_mrn"] or "",
        issuer_of_patient_id=row["wl_mrn_issuer"] or "",
        patient_birth_date=row["patient__birth_date"],
        patient_sex=DICOM_SEX.get(row["patient__sex"], ""),
        patient_weight_kg=float(weight) if weight is not None else None,
        patient_size_m=float(height) / 100 if height is not None else None,
        allergies=tuple(one_line(a, LO) for a in allergies),
        medical_alerts=tuple(one_line(a, LO) for a in medical_alerts),
        accession_number=row["order__accession_number"],
        requesting_physician_name=person_name(
            row["order__created_by__last_name"], row["order__created_by__first_name"]
        ),
        referring_physician_name=person_name(
            row["order__referral__referrer__last_name"],
            row["order__referral__referrer__first_name"],
        ),
        requested_procedure_id=row["order__requested_procedure_id"],
        requested_procedure_description=procedure_name,
        requested_procedure_code=Code(
            value=row["order__procedure_type__code"][:SH],
            scheme=CODING_SCHEME,
            meaning=procedure_name,
        ),
        requested_procedure_priority=DICOM_PRIORITY.get(row["order__priority"], ""),
        reason_for_requested_procedure=one_line(row["order__clinical_indication"], LO),
        study_instance_uid=row["order__study_instance_uid"],
        sps_id=row["sps_id"],
        sps_status=SPS_STATUS.get(row["status"]) or "",
        sps_station_ae_title=row["station_ae_title"],
        sps_station_name=row["room__code"][:SH],
        sps_location=one_line(row["room__name"], SH),
        sps_modality=row["modality"],
        sps_start=naive_local(row["start"]),
        sps_performing_physician_name=person_name(
            row["primary_operator__last_name"], row["primary_operator__first_name"]
        ),
        sps_description=procedure_name,
    )
