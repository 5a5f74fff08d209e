"""What an MPPS N-CREATE or N-SET says, as plain values (PS3.4 Table F.7.2-1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from irflow.dicom.mpps.states import MppsStatus
from irflow.dicom.worklist.values import Code

# Radiation dose SR storage classes a step may reference (PS3.4 Table B.5-1).
DOSE_SR_SOP_CLASS_UIDS = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.88.67",  # X-Ray Radiation Dose SR
        "1.2.840.10008.5.1.4.1.1.88.68",  # Radiopharmaceutical Radiation Dose SR
        "1.2.840.10008.5.1.4.1.1.88.73",  # Patient Radiation Dose SR
        "1.2.840.10008.5.1.4.1.1.88.76",  # Enhanced X-Ray Radiation Dose SR
    }
)


@dataclass(frozen=True)
class ScheduledStep:
    """One item of the Scheduled Step Attributes Sequence (0040,0270): what was booked."""

    study_instance_uid: str
    accession_number: str = ""
    requested_procedure_id: str = ""
    requested_procedure_description: str = ""
    sps_id: str = ""
    sps_description: str = ""


@dataclass(frozen=True)
class SopReference:
    """A referenced image or non-image composite instance."""

    sop_class_uid: str
    sop_instance_uid: str

    @property
    def is_dose_report(self) -> bool:
        """True for a radiation dose SR, the instance irflow waits for after the step."""
        return self.sop_class_uid in DOSE_SR_SOP_CLASS_UIDS


@dataclass(frozen=True)
class PerformedSeries:
    """One item of the Performed Series Sequence (0040,0340)."""

    series_instance_uid: str
    protocol_name: str = ""
    series_description: str = ""
    performing_physician_name: str = ""
    operators_names: tuple[str, ...] = ()
    retrieve_ae_title: str = ""
    images: tuple[SopReference, ...] = ()
    non_images: tuple[SopReference, ...] = ()


@dataclass(frozen=True)
class ExposureDose:
    """One item of the Exposure Dose Sequence (0040,030E)."""

    radiation_mode: str = ""
    kvp_kv: float | None = None
    tube_current_ua: float | None = None
    exposure_time_ms: int | None = None
    filter_type: str = ""
    filter_materials: tuple[str, ...] = ()


@dataclass(frozen=True)
class DoseSummary:
    """The Radiation Dose module (retired in PS3.3-2017c) that older modalities still send."""

    fluoro_time_s: int | None = None
    exposure_count: int | None = None
    dap_dgy_cm2: float | None = None
    entrance_dose_mgy: float | None = None
    exposures: tuple[ExposureDose, ...] = ()


@dataclass(frozen=True)
class MppsCreate:
    """A parsed N-CREATE: the step the modality started (PS3.4 Table F.7.2-1)."""

    sop_instance_uid: str
    pps_id: str
    start: datetime
    station_ae_title: str
    modality: str
    scheduled_steps: tuple[ScheduledStep, ...]
    status: MppsStatus = MppsStatus.IN_PROGRESS
    patient_id: str = ""
    patient_name: str = ""
    patient_birth_date: date | None = None
    patient_sex: str = ""
    station_name: str = ""
    location: str = ""
    description: str = ""
    procedure_type_description: str = ""
    procedure_codes: tuple[Code, ...] = ()
    study_id: str = ""
    end: datetime | None = None
    performed_series: tuple[PerformedSeries, ...] = ()
    dose: DoseSummary | None = None
    charset: tuple[str, ...] = ()

    @property
    def is_unscheduled(self) -> bool:
        """True when no step names a booking (an emergency case to reconcile later)."""
        return not any(s.sps_id or s.accession_number for s in self.scheduled_steps)


@dataclass(frozen=True)
class MppsUpdate:
    """A parsed N-SET; None means the attribute was not in the request (leave it as stored)."""

    sop_instance_uid: str
    status: MppsStatus | None = None
    end: datetime | None = None
    description: str | None = None
    procedure_type_description: str | None = None
    procedure_codes: tuple[Code, ...] | None = None
    discontinuation_reasons: tuple[Code, ...] | None = None
    comments: str | None = None
    performed_series: tuple[PerformedSeries, ...] | None = None
    dose: DoseSummary | None = None
    ignored_keywords: tuple[str, ...] = ()

    @property
    def dose_report_uids(self) -> tuple[str, ...]:
        """SOP Instance UIDs of the dose SRs the step references."""
        return tuple(
            ref.sop_instance_uid
            for series in self.performed_series or ()
            for ref in series.images + series.non_images
            if ref.is_dose_report
        )
