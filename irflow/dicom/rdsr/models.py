"""What an X-Ray Radiation Dose SR says, as frozen dataclasses with units in field names.

Date-times: a value is timezone-aware when the file states its offset (a DT value with its
own ``+HHMM`` suffix, or Timezone Offset From UTC (0008,0201) in the header) and naive
otherwise. A naive value is the modality's local wall-clock time; the consumer interprets it
in the department's time zone. ``DoseReport.utc_offset`` says which case applies to values
without their own suffix.

A numeric value the file leaves empty is ``None``, never ``0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple


class Code(NamedTuple):
    """A coded entry exactly as written in the file (value, scheme designator, meaning)."""

    value: str
    scheme: str
    meaning: str


class TemplateKind(StrEnum):
    PROJECTION = "projection"  # TID 10001: fluoroscopy, angiography, radiography
    CT = "ct"  # TID 10011


class Scope(StrEnum):
    STUDY = "study"
    PPS = "pps"


class Plane(StrEnum):
    A = "plane_a"
    B = "plane_b"
    SINGLE = "single"


class EventType(StrEnum):
    FLUOROSCOPY = "fluoroscopy"
    STATIONARY_ACQUISITION = "stationary_acquisition"
    STEPPING_ACQUISITION = "stepping_acquisition"
    ROTATIONAL_ACQUISITION = "rotational_acquisition"


class FluoroMode(StrEnum):
    CONTINUOUS = "continuous"
    PULSED = "pulsed"


@dataclass(frozen=True, slots=True)
class Device:
    """The irradiating device: header attributes first, observer context as a fallback."""

    manufacturer: str | None
    model_name: str | None
    serial_number: str | None
    station_name: str | None
    observer_uid: str | None


@dataclass(frozen=True, slots=True)
class ReferencePoint:
    """Reference point definition (113780): a code, or free text on some systems."""

    code: Code | None
    text: str | None


@dataclass(frozen=True, slots=True)
class Calibration:
    """Dosimeter calibration (122505) of one accumulated-dose container."""

    factor: float | None
    uncertainty_pct: float | None


@dataclass(frozen=True, slots=True)
class PlaneTotals:
    """Accumulated X-Ray Dose Data (113702) of one plane."""

    plane: Plane | None
    dap_total_gy_cm2: float | None
    fluoro_dap_total_gy_cm2: float | None
    acquisition_dap_total_gy_cm2: float | None
    ka_r_total_mgy: float | None
    fluoro_ka_r_total_mgy: float | None
    acquisition_ka_r_total_mgy: float | None
    fluoro_time_total_s: float | None
    acquisition_time_total_s: float | None
    frames_total: int | None
    reference_point: ReferencePoint | None
    calibrations: tuple[Calibration, ...]


@dataclass(frozen=True, slots=True)
class XrayFilter:
    """One filter of an irradiation event (113771)."""

    filter_type: Code | None
    material: Code | None
    thickness_min_mm: float | None
    thickness_max_mm: float | None


@dataclass(frozen=True, slots=True)
class IrradiationEvent:
    """Irradiation Event X-Ray Data (113706), one fluoroscopy run or acquisition."""

    event_uid: str | None
    datetime_started: datetime | None
    event_type: EventType | None
    event_type_code: Code | None
    acquisition_protocol: str | None
    plane: Plane | None
    dap_gy_cm2: float | None
    dose_rp_mgy: float | None
    kvp: float | None
    tube_current_ma: float | None
    average_tube_current_ma: float | None
    exposure_mas: float | None
    exposure_time_ms: float | None
    irradiation_duration_s: float | None
    pulse_rate_per_s: float | None
    number_of_pulses: int | None
    pulse_width_ms: float | None
    fluoro_mode: FluoroMode | None
    primary_angle_deg: float | None
    secondary_angle_deg: float | None
    sid_mm: float | None
    source_isocenter_mm: float | None
    table_longitudinal_mm: float | None
    table_lateral_mm: float | None
    table_height_mm: float | None
    filters: tuple[XrayFilter, ...]
    target_region: Code | None


@dataclass(frozen=True, slots=True)
class CtAcquisition:
    """CT Acquisition (113819), one scan of a CT dose report."""

    event_uid: str | None
    acquisition_type: Code | None
    acquisition_protocol: str | None
    target_region: Code | None
    exposure_time_s: float | None
    scanning_length_mm: float | None
    pitch_factor: float | None
    mean_ctdi_vol_mgy: float | None
    dlp_mgy_cm: float | None
    ctdi_phantom_type: Code | None


@dataclass(frozen=True, slots=True)
class DoseReport:
    """One X-Ray Radiation Dose SR.

    Report-level projection totals are the sum over planes of the values present (``None``
    when no plane gives the value); in a biplane report the fluoro time total is therefore
    the sum of both tubes' times. CT fields are empty for projection reports and vice versa.
    """

    sop_class_uid: str
    sop_instance_uid: str | None
    study_instance_uid: str | None
    accession_number: str | None
    patient_id: str | None
    patient_name: str | None
    patient_birth_date: str | None
    patient_sex: str | None
    mpps_sop_instance_uid: str | None
    scope: Scope | None
    device: Device
    study_datetime: datetime | None
    content_datetime: datetime | None
    utc_offset: timedelta | None
    template: TemplateKind
    procedure_reported: Code | None
    planes: tuple[PlaneTotals, ...]
    events: tuple[IrradiationEvent, ...]
    dap_total_gy_cm2: float | None
    fluoro_dap_total_gy_cm2: float | None
    acquisition_dap_total_gy_cm2: float | None
    ka_r_total_mgy: float | None
    fluoro_ka_r_total_mgy: float | None
    acquisition_ka_r_total_mgy: float | None
    fluoro_time_total_s: float | None
    acquisition_time_total_s: float | None
    frames_total: int | None
    dlp_total_mgy_cm: float | None
    ct_event_count: int | None
    ct_acquisitions: tuple[CtAcquisition, ...]
    content_item_count: int
    warnings: tuple[str, ...]
