"""Synthetic DICOM structured reports: X-Ray Radiation Dose SRs and the SRs irflow refuses.

Used by the modality simulator, the benchmarks and the test suites. Every report is built
from explicit values (events, scans, identifiers) so a test knows what an importer must
find; switches reproduce what real modalities get wrong (non-UCUM units, empty or
multi-valued numbers, missing Study Instance UID, private codes). Deterministic for a seed.

    rdsr = ProjectionRdsr(events=make_events(316, seed=1, biplane=True))
    data = rdsr.to_bytes()  # Explicit VR Little Endian, preamble and file meta
    rdsr.write(tmp_path / "dose.dcm", transfer_syntax=ImplicitVRLittleEndian)
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian

XRAY_RADIATION_DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.67"
ENHANCED_SR = "1.2.840.10008.5.1.4.1.1.88.22"
RADIOPHARMACEUTICAL_RADIATION_DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.68"
MPPS_SOP_CLASS = "1.2.840.10008.3.1.2.3.3"
AUTO = "auto"  # an identifier derived from the seed; None leaves the attribute out

type CodeTuple = tuple[str, str, str]
EventKind = Literal["fluoroscopy", "stationary", "stepping", "rotational"]
PlaneName = Literal["A", "B", "single"]

# Factor from irflow's unit to each unit the builder can write, per UnitStyle field.
_FACTORS: dict[str, dict[str, float]] = {
    "dap": {"Gy.m2": 1e-4, "Gym2": 1e-4, "dGy.cm2": 10.0, "Gy.cm2": 1.0, "uGy.m2": 100.0},
    "dose_rp": {"Gy": 1e-3, "mGy": 1.0, "uGy": 1e3},
    "time": {"s": 1.0, "ms": 1e3, "min": 1 / 60},
    "short_time": {"ms": 1.0, "s": 1e-3},
    "current": {"mA": 1.0, "uA": 1e3},
    "exposure": {"mA.s": 1.0, "uA.s": 1e3, "uAs": 1e3},
    "length": {"mm": 1.0, "cm": 0.1},
    "dlp": {"mGy.cm": 1.0, "Gy.cm": 1e-3, "mGycm": 1.0},
}

_EVENT_TYPES: dict[str, CodeTuple] = {
    "stationary": ("113611", "DCM", "Stationary Acquisition"),
    "stepping": ("113612", "DCM", "Stepping Acquisition"),
    "rotational": ("113613", "DCM", "Rotational Acquisition"),
}
_FLUOROSCOPY = {
    "SRT": ("P5-06000", "SRT", "Fluoroscopy"),
    "SCT": ("44491008", "SCT", "Fluoroscopy"),
}
_PLANES: dict[str, CodeTuple] = {
    "A": ("113620", "DCM", "Plane A"),
    "B": ("113621", "DCM", "Plane B"),
    "single": ("113622", "DCM", "Single Plane"),
}
_CT_TYPES: dict[str, CodeTuple] = {
    "spiral": ("P5-08001", "SRT", "Spiral Acquisition"),
    "sequenced": ("113804", "DCM", "Sequenced Acquisition"),
    "constant_angle": ("113805", "DCM", "Constant Angle Acquisition"),
    "stationary": ("113806", "DCM", "Stationary Acquisition"),
}
_ABDOMEN = ("T-D4000", "SRT", "Abdomen")
REFERENCE_POINT_CODE = ("113860", "DCM", "15cm from Isocenter toward Source")
REFERENCE_POINT_TEXT = "15cm below BeamIsocenter"

# NUM rows: (code value, meaning, attribute, UnitStyle field or fixed UCUM unit).
_TOTAL_ROWS = (
    ("113722", "Dose Area Product Total", "dap_gy_cm2", "dap"),
    ("113725", "Dose (RP) Total", "dose_rp_mgy", "dose_rp"),
    ("113726", "Fluoro Dose Area Product Total", "fluoro_dap_gy_cm2", "dap"),
    ("113728", "Fluoro Dose (RP) Total", "fluoro_dose_rp_mgy", "dose_rp"),
    ("113730", "Total Fluoro Time", "fluoro_time_s", "time"),
    ("113727", "Acquisition Dose Area Product Total", "acquisition_dap_gy_cm2", "dap"),
    ("113729", "Acquisition Dose (RP) Total", "acquisition_dose_rp_mgy", "dose_rp"),
    ("113855", "Total Acquisition Time", "acquisition_time_s", "time"),
    ("113731", "Total Number of Radiographic Frames", "frames", "1"),
)
_EVENT_ROWS = (
    ("122130", "Dose Area Product", "dap_gy_cm2", "dap"),
    ("113738", "Dose (RP)", "dose_rp_mgy", "dose_rp"),
    ("112011", "Positioner Primary Angle", "primary_angle_deg", "deg"),
    ("112012", "Positioner Secondary Angle", "secondary_angle_deg", "deg"),
    ("113791", "Pulse Rate", "pulse_rate_per_s", "{pulse}/s"),
    ("113768", "Number of Pulses", "number_of_pulses", "1"),
    ("113733", "KVP", "kvp", "kV"),
    ("113734", "X-Ray Tube Current", "tube_current_ma", "current"),
    ("113736", "Exposure", "exposure_mas", "exposure"),
    ("113824", "Exposure Time", "exposure_time_ms", "short_time"),
    ("113793", "Pulse Width", "pulse_width_ms", "short_time"),
    ("113742", "Irradiation Duration", "irradiation_duration_s", "time"),
    ("113750", "Distance Source to Detector", "sid_mm", "length"),
    ("113748", "Distance Source to Isocenter", "source_isocenter_mm", "length"),
    ("113751", "Table Longitudinal Position", "table_longitudinal_mm", "length"),
    ("113752", "Table Lateral Position", "table_lateral_mm", "length"),
    ("113753", "Table Height Position", "table_height_mm", "length"),
)


def _dcm(value: str, meaning: str) -> CodeTuple:
    return (value, "DCM", meaning)


def _uid(rng: random.Random) -> str:
    return f"2.25.{rng.getrandbits(100)}"


@dataclass(frozen=True)
class UnitStyle:
    """The units a synthetic report writes values in; values are converted to match."""

    dap: str = "Gy.m2"
    dose_rp: str = "Gy"
    time: str = "s"  # fluoro / acquisition totals, irradiation duration, CT exposure time
    short_time: str = "ms"  # exposure time, pulse width
    current: str = "mA"
    exposure: str = "uA.s"
    length: str = "mm"
    dlp: str = "mGy.cm"
    scheme: str = "UCUM"  # "UCM" reproduces GE's typo


@dataclass(frozen=True)
class XrayEvent:
    """One irradiation event, in irflow's units."""

    uid: str
    started: datetime
    kind: EventKind
    plane: PlaneName
    protocol: str
    dap_gy_cm2: float
    dose_rp_mgy: float
    kvp: float
    tube_current_ma: float
    exposure_time_ms: float
    pulse_width_ms: float
    pulse_rate_per_s: float
    number_of_pulses: int
    irradiation_duration_s: float
    primary_angle_deg: float
    secondary_angle_deg: float
    sid_mm: float
    source_isocenter_mm: float
    table_longitudinal_mm: float
    table_lateral_mm: float
    table_height_mm: float
    filter_cu_mm: float

    @property
    def is_fluoro(self) -> bool:
        return self.kind == "fluoroscopy"

    @property
    def exposure_mas(self) -> float:
        return self.tube_current_ma * self.exposure_time_ms / 1000


def make_events(
    count: int, *, seed: int = 0, biplane: bool = False, start: datetime | None = None
) -> tuple[XrayEvent, ...]:
    """``count`` plausible events (about 70 % fluoroscopy); planes alternate if biplane."""
    rng = random.Random(seed)
    when = start or datetime(2025, 3, 14, 9, 30, 0)
    events = []
    for number in range(count):
        fluoro = rng.random() < 0.7
        kind: EventKind = "fluoroscopy" if fluoro else rng.choice(["stationary", "rotational"])
        pulses = rng.randint(20, 300) if fluoro else rng.randint(10, 120)
        rate = rng.choice([7.5, 15.0]) if fluoro else rng.choice([2.0, 3.0, 6.0])
        width = round(rng.uniform(3, 12), 1)
        when += timedelta(seconds=rng.randint(10, 120))
        events.append(
            XrayEvent(
                uid=_uid(rng),
                started=when.replace(microsecond=rng.randrange(0, 1000) * 1000),
                kind=kind,
                plane=("A" if number % 2 == 0 else "B") if biplane else "single",
                protocol="Fluoro Abdomen 7.5 p/s" if fluoro else "DSA Abdomen 3 f/s",
                dap_gy_cm2=round(rng.uniform(0.05, 40.0), 4),
                dose_rp_mgy=round(rng.uniform(0.1, 60.0), 3),
                kvp=float(rng.randint(60, 125)),
                tube_current_ma=round(rng.uniform(10, 800), 1),
                exposure_time_ms=round(pulses * width, 1),
                pulse_width_ms=width,
                pulse_rate_per_s=rate,
                number_of_pulses=pulses,
                irradiation_duration_s=round(pulses / rate, 2),
                primary_angle_deg=round(rng.uniform(-90, 90), 1),
                secondary_angle_deg=round(rng.uniform(-45, 45), 1),
                sid_mm=float(rng.randint(900, 1200)),
                source_isocenter_mm=785.0,
                table_longitudinal_mm=round(rng.uniform(-500, 500), 1),
                table_lateral_mm=round(rng.uniform(-100, 100), 1),
                table_height_mm=round(rng.uniform(100, 300), 1),
                filter_cu_mm=rng.choice([0.1, 0.3, 0.6, 0.9]),
            )
        )
    return tuple(events)


@dataclass(frozen=True)
class PlaneTotals:
    """What the accumulated container of one plane states, in irflow's units."""

    dap_gy_cm2: float
    fluoro_dap_gy_cm2: float
    acquisition_dap_gy_cm2: float
    dose_rp_mgy: float
    fluoro_dose_rp_mgy: float
    acquisition_dose_rp_mgy: float
    fluoro_time_s: float
    acquisition_time_s: float
    frames: int


def plane_totals(events: Iterable[XrayEvent]) -> PlaneTotals:
    """Sum events the way an accumulated container reports them."""
    events = list(events)
    fluoro = [e for e in events if e.is_fluoro]
    acquisitions = [e for e in events if not e.is_fluoro]
    return PlaneTotals(
        dap_gy_cm2=sum(e.dap_gy_cm2 for e in events),
        fluoro_dap_gy_cm2=sum(e.dap_gy_cm2 for e in fluoro),
        acquisition_dap_gy_cm2=sum(e.dap_gy_cm2 for e in acquisitions),
        dose_rp_mgy=sum(e.dose_rp_mgy for e in events),
        fluoro_dose_rp_mgy=sum(e.dose_rp_mgy for e in fluoro),
        acquisition_dose_rp_mgy=sum(e.dose_rp_mgy for e in acquisitions),
        fluoro_time_s=sum(e.irradiation_duration_s for e in fluoro),
        acquisition_time_s=sum(e.irradiation_duration_s for e in acquisitions),
        frames=sum(e.number_of_pulses for e in acquisitions),
    )


def _code_item(code: CodeTuple) -> Dataset:
    ds = Dataset()
    ds.CodeValue, ds.CodingSchemeDesignator, ds.CodeMeaning = code
    return ds


def _ds_text(value: float) -> str:
    # 10 significant digits always fit the 16 characters of a DS value.
    return f"{value:.10g}"


class _Items:
    """Content item factory applying a report's unit style and variant switches."""

    def __init__(self, spec: _SrBase) -> None:
        self.spec = spec

    def item(self, relationship: str, value_type: str, concept: CodeTuple) -> Dataset:
        ds = Dataset()
        ds.RelationshipType = relationship
        ds.ValueType = value_type
        ds.ConceptNameCodeSequence = [_code_item(concept)]
        return ds

    def container(self, concept: CodeTuple, children: list[Dataset]) -> Dataset:
        ds = self.item("CONTAINS", "CONTAINER", concept)
        ds.ContinuityOfContent = "SEPARATE"
        ds.ContentSequence = children
        return ds

    def code(self, concept: CodeTuple, value: CodeTuple, relationship: str = "CONTAINS") -> Dataset:
        ds = self.item(relationship, "CODE", concept)
        ds.ConceptCodeSequence = [_code_item(value)]
        return ds

    def text(self, concept: CodeTuple, value: str, relationship: str = "CONTAINS") -> Dataset:
        ds = self.item(relationship, "TEXT", concept)
        ds.TextValue = value
        return ds

    def uidref(self, concept: CodeTuple, value: str, relationship: str = "CONTAINS") -> Dataset:
        ds = self.item(relationship, "UIDREF", concept)
        ds.UID = value
        return ds

    def datetime(self, concept: CodeTuple, value: datetime) -> Dataset:
        ds = self.item("CONTAINS", "DATETIME", concept)
        ds.DateTime = value.strftime("%Y%m%d%H%M%S.%f")
        return ds

    def num(self, concept: CodeTuple, value: float, unit: str) -> Dataset:
        """A NUM item; ``unit`` is a UnitStyle field (value converted) or a fixed UCUM unit."""
        spec = self.spec
        ds = self.item("CONTAINS", "NUM", concept)
        code_value = concept[0]
        if code_value in spec.empty_concepts and spec.empty_style == "no_measured_value":
            ds.MeasuredValueSequence = []
            return ds
        if unit in _FACTORS:
            written_unit = getattr(spec.units, unit)
            value *= _FACTORS[unit][written_unit]
        else:
            written_unit = unit
        written_unit = spec.unit_overrides.get(code_value, written_unit)
        measured = Dataset()
        measured.MeasurementUnitsCodeSequence = [
            _code_item((written_unit, spec.units.scheme, written_unit))
        ]
        if code_value in spec.empty_concepts:
            measured.NumericValue = None
        elif code_value in spec.multi_valued_concepts:
            measured.NumericValue = [_ds_text(value), _ds_text(value * 1.5)]
        else:
            measured.NumericValue = _ds_text(value)
        ds.MeasuredValueSequence = [measured]
        return ds


@dataclass(frozen=True)
class _SrBase:
    """Patient, study, device and variant settings shared by every synthetic SR."""

    seed: int = 0
    patient_id: str = "IRF0001"
    patient_name: str = "Testperson^Anna"
    patient_birth_date: str = "19570412"
    patient_sex: str = "F"
    accession_number: str = "ACC25000001"
    study_instance_uid: str | None = AUTO
    sop_instance_uid: str = AUTO
    mpps_uid: str | None = AUTO
    manufacturer: str = "Irflow Simulated Systems"
    model_name: str = "Angio Sim 2"
    serial_number: str = "SIM-0001"
    station_name: str = "ANGIO1"
    device_observer_uid: str = AUTO
    study_datetime: datetime = datetime(2025, 3, 14, 9, 20, 0)
    timezone_offset: str | None = "+0100"
    character_set: str = "ISO_IR 192"
    template_identifier: bool = True
    units: UnitStyle = field(default_factory=UnitStyle)
    # Concept code values whose NUM items are written empty (see ``empty_style``), with
    # two values, or with the given unit string instead of the usual one.
    empty_concepts: frozenset[str] = frozenset()
    empty_style: Literal["no_measured_value", "empty_string"] = "no_measured_value"
    multi_valued_concepts: frozenset[str] = frozenset()
    unit_overrides: Mapping[str, str] = field(default_factory=dict)
    scope: Literal["pps", "study"] = "pps"

    def uids(self) -> dict[str, str | None]:
        """The identifiers this report uses, AUTO ones derived from the seed."""
        rng = random.Random(f"uids-{self.seed}")
        drawn = {name: _uid(rng) for name in ("study", "sop", "mpps", "observer", "series")}
        given = {
            "study": self.study_instance_uid,
            "sop": self.sop_instance_uid,
            "mpps": self.mpps_uid,
            "observer": self.device_observer_uid,
            "series": AUTO,
        }
        return {name: drawn[name] if value == AUTO else value for name, value in given.items()}

    def dataset(self) -> Dataset:
        """The report as a pydicom Dataset (no file meta)."""
        raise NotImplementedError

    def to_bytes(
        self, *, transfer_syntax: str = ExplicitVRLittleEndian, undefined_lengths: bool = False
    ) -> bytes:
        """Encode as a DICOM Part 10 file (preamble, file meta, dataset)."""
        ds = self.dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = UID(transfer_syntax)
        if undefined_lengths:
            _use_undefined_lengths(ds)
        buffer = io.BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        return buffer.getvalue()

    def write(
        self,
        path: str | Path,
        *,
        transfer_syntax: str = ExplicitVRLittleEndian,
        undefined_lengths: bool = False,
    ) -> Path:
        """Write :meth:`to_bytes` to ``path`` and return the path."""
        target = Path(path)
        target.write_bytes(
            self.to_bytes(transfer_syntax=transfer_syntax, undefined_lengths=undefined_lengths)
        )
        return target

    def _document(self, sop_class: str, root: CodeTuple, template: str | None) -> Dataset:
        uids = self.uids()
        ds = Dataset()
        ds.SpecificCharacterSet = self.character_set
        ds.SOPClassUID = sop_class
        ds.SOPInstanceUID = uids["sop"]
        ds.StudyDate = ds.ContentDate = self.study_datetime.strftime("%Y%m%d")
        ds.StudyTime = self.study_datetime.strftime("%H%M%S")
        ds.ContentTime = (self.study_datetime + timedelta(hours=1)).strftime("%H%M%S")
        ds.AccessionNumber = self.accession_number
        ds.Modality = "SR"
        ds.Manufacturer = self.manufacturer
        if self.timezone_offset is not None:
            ds.TimezoneOffsetFromUTC = self.timezone_offset
        ds.StationName = self.station_name
        ds.ManufacturerModelName = self.model_name
        ds.ReferringPhysicianName = ""
        if uids["mpps"]:
            reference = Dataset()
            reference.ReferencedSOPClassUID = MPPS_SOP_CLASS
            reference.ReferencedSOPInstanceUID = uids["mpps"]
            ds.ReferencedPerformedProcedureStepSequence = [reference]
        ds.PatientName = self.patient_name
        ds.PatientID = self.patient_id
        ds.PatientBirthDate = self.patient_birth_date
        ds.PatientSex = self.patient_sex
        ds.DeviceSerialNumber = self.serial_number
        if uids["study"]:
            ds.StudyInstanceUID = uids["study"]
        ds.SeriesInstanceUID = uids["series"]
        ds.StudyID = "1"
        ds.SeriesNumber = 999
        ds.InstanceNumber = 1
        ds.ValueType = "CONTAINER"
        ds.ConceptNameCodeSequence = [_code_item(root)]
        ds.ContinuityOfContent = "SEPARATE"
        if template and self.template_identifier:
            identifier = Dataset()
            identifier.MappingResource = "DCMR"
            identifier.TemplateIdentifier = template
            ds.ContentTemplateSequence = [identifier]
        ds.CompletionFlag = "COMPLETE"
        ds.VerificationFlag = "UNVERIFIED"
        return ds

    def _scope(self, items: _Items) -> Dataset:
        if self.scope == "pps":
            scope = _dcm("113016", "Performed Procedure Step")
            concept, uid = _dcm("121126", "Performed Procedure Step SOP Instance UID"), "mpps"
        else:
            scope = _dcm("113014", "Study")
            concept, uid = _dcm("110180", "Study Instance UID"), "study"
        row = items.code(_dcm("113705", "Scope of Accumulation"), scope, "HAS OBS CONTEXT")
        value = self.uids()[uid]
        if value:
            row.ContentSequence = [items.uidref(concept, value, "HAS PROPERTIES")]
        return row

    def _context(self, items: _Items, procedure: CodeTuple) -> list[Dataset]:
        """Procedure reported, device observer context (TID 1002 / 1004), scope."""
        observer = "HAS OBS CONTEXT"
        return [
            items.code(_dcm("121058", "Procedure reported"), procedure, "HAS CONCEPT MOD"),
            items.code(_dcm("121005", "Observer Type"), _dcm("121007", "Device"), observer),
            items.uidref(
                _dcm("121012", "Device Observer UID"), self.uids()["observer"] or "", observer
            ),
            items.text(_dcm("121013", "Device Observer Name"), self.station_name, observer),
            items.text(_dcm("121014", "Device Observer Manufacturer"), self.manufacturer, observer),
            items.text(_dcm("121015", "Device Observer Model Name"), self.model_name, observer),
            items.text(
                _dcm("121016", "Device Observer Serial Number"), self.serial_number, observer
            ),
            self._scope(items),
        ]


def _use_undefined_lengths(ds: Dataset) -> None:
    for element in ds:
        if element.VR == "SQ":
            element.is_undefined_length = True
            for item in element.value:
                item.is_undefined_length_sequence_item = True
                _use_undefined_lengths(item)


@dataclass(frozen=True)
class ProjectionRdsr(_SrBase):
    """TID 10001 projection X-ray dose report: one accumulated container per plane."""

    events: tuple[XrayEvent, ...] = field(default_factory=lambda: make_events(5))
    fluoroscopy_scheme: Literal["SRT", "SCT"] = "SRT"
    reference_point: Literal["code", "text"] = "code"
    private_items_per_event: int = 0

    @property
    def biplane(self) -> bool:
        """Biplane when any event is on plane A or B (events come from make_events)."""
        return any(event.plane != "single" for event in self.events)

    def planes(self) -> dict[PlaneName, PlaneTotals]:
        """The totals each accumulated container states, by plane."""
        names: tuple[PlaneName, ...] = ("A", "B") if self.biplane else ("single",)
        return {name: plane_totals(e for e in self.events if e.plane == name) for name in names}

    def dataset(self) -> Dataset:
        """The report as a pydicom Dataset (no file meta)."""
        items = _Items(self)
        ds = self._document(
            XRAY_RADIATION_DOSE_SR, _dcm("113701", "X-Ray Radiation Dose Report"), "10001"
        )
        ds.ContentSequence = [
            *self._context(items, _dcm("113704", "Projection X-Ray")),
            *(self._accumulated(items, name, totals) for name, totals in self.planes().items()),
            *(self._event(items, event) for event in self.events),
            items.code(
                _dcm("113854", "Source of Dose Information"),
                _dcm("113856", "Automated Data Collection"),
            ),
        ]
        return ds

    def _accumulated(self, items: _Items, plane: PlaneName, totals: PlaneTotals) -> Dataset:
        calibration = items.container(
            _dcm("122505", "Calibration"),
            [
                items.datetime(_dcm("113723", "Calibration Date"), datetime(2024, 11, 2, 8, 0)),
                items.num(_dcm("122322", "Calibration Factor"), 0.93, "1"),
                items.num(_dcm("113763", "Calibration Uncertainty"), 5.0, "%"),
            ],
        )
        reference_concept = _dcm("113780", "Reference Point Definition")
        reference = (
            items.code(reference_concept, REFERENCE_POINT_CODE)
            if self.reference_point == "code"
            else items.text(reference_concept, REFERENCE_POINT_TEXT)
        )
        return items.container(
            _dcm("113702", "Accumulated X-Ray Dose Data"),
            [
                items.code(_dcm("113764", "Acquisition Plane"), _PLANES[plane], "HAS CONCEPT MOD"),
                calibration,
                *(
                    items.num(_dcm(code, meaning), getattr(totals, attribute), unit)
                    for code, meaning, attribute, unit in _TOTAL_ROWS
                ),
                reference,
            ],
        )

    def _event(self, items: _Items, event: XrayEvent) -> Dataset:
        event_type = (
            _FLUOROSCOPY[self.fluoroscopy_scheme] if event.is_fluoro else _EVENT_TYPES[event.kind]
        )
        filters = items.container(
            _dcm("113771", "X-Ray Filters"),
            [
                items.code(_dcm("113772", "X-Ray Filter Type"), _dcm("113650", "Strip filter")),
                items.code(
                    _dcm("113757", "X-Ray Filter Material"),
                    ("C-127F9", "SRT", "Copper or Copper compound"),
                ),
                items.num(
                    _dcm("113758", "X-Ray Filter Thickness Minimum"), event.filter_cu_mm, "length"
                ),
                items.num(
                    _dcm("113773", "X-Ray Filter Thickness Maximum"), event.filter_cu_mm, "length"
                ),
            ],
        )
        rows = [
            items.datetime(_dcm("111526", "DateTime Started"), event.started),
            items.code(_dcm("113721", "Irradiation Event Type"), event_type),
            items.text(_dcm("125203", "Acquisition Protocol"), event.protocol),
            items.code(_dcm("113764", "Acquisition Plane"), _PLANES[event.plane]),
            items.uidref(_dcm("113769", "Irradiation Event UID"), event.uid),
            filters,
            *(
                items.num(_dcm(code, meaning), getattr(event, attribute), unit)
                for code, meaning, attribute, unit in _EVENT_ROWS
            ),
            items.code(_dcm("123014", "Target Region"), _ABDOMEN),
        ]
        if event.is_fluoro:
            rows.append(items.code(_dcm("113732", "Fluoro Mode"), _dcm("113631", "Pulsed")))
        rows += [
            items.num((f"{n:03d}", "99PHI-IXR-XPER", f"Private parameter {n}"), n * 1.5, "mm")
            for n in range(1, self.private_items_per_event + 1)
        ]
        return items.container(_dcm("113706", "Irradiation Event X-Ray Data"), rows)


@dataclass(frozen=True)
class CtScan:
    """One CT acquisition, in irflow's units."""

    uid: str
    acquisition_type: Literal["spiral", "sequenced", "constant_angle", "stationary"]
    protocol: str
    scanning_length_mm: float
    pitch_factor: float | None
    ctdi_vol_mgy: float
    dlp_mgy_cm: float
    exposure_time_s: float


def make_ct_scans(count: int, *, seed: int = 0) -> tuple[CtScan, ...]:
    """``count`` CT acquisitions: a scout, then spirals."""
    rng = random.Random(f"ct-{seed}")
    scans = []
    for number in range(count):
        spiral = number > 0
        length = round(rng.uniform(150, 700), 1) if spiral else 500.0
        ctdi = round(rng.uniform(2, 25), 2) if spiral else 0.15
        scans.append(
            CtScan(
                uid=_uid(rng),
                acquisition_type="spiral" if spiral else "constant_angle",
                protocol="Abdomen portal" if spiral else "Topogram",
                scanning_length_mm=length,
                pitch_factor=round(rng.uniform(0.6, 1.4), 3) if spiral else None,
                ctdi_vol_mgy=ctdi,
                dlp_mgy_cm=round(ctdi * length / 10, 2),
                exposure_time_s=round(rng.uniform(2, 12), 2),
            )
        )
    return tuple(scans)


@dataclass(frozen=True)
class CtRdsr(_SrBase):
    """TID 10011 CT dose report (optionally in the Enhanced SR class, as GE sends it)."""

    scans: tuple[CtScan, ...] = field(default_factory=lambda: make_ct_scans(3))
    enhanced_sr: bool = False
    model_name: str = "CT Sim 128"
    station_name: str = "CT1"

    @property
    def dlp_total_mgy_cm(self) -> float:
        return sum(scan.dlp_mgy_cm for scan in self.scans)

    def dataset(self) -> Dataset:
        """The report as a pydicom Dataset (no file meta)."""
        items = _Items(self)
        sop_class = ENHANCED_SR if self.enhanced_sr else XRAY_RADIATION_DOSE_SR
        ds = self._document(sop_class, _dcm("113701", "X-Ray Radiation Dose Report"), "10011")
        accumulated = items.container(
            _dcm("113811", "CT Accumulated Dose Data"),
            [
                items.num(
                    _dcm("113812", "Total Number of Irradiation Events"),
                    len(self.scans),
                    "{events}",
                ),
                items.num(
                    _dcm("113813", "CT Dose Length Product Total"), self.dlp_total_mgy_cm, "dlp"
                ),
            ],
        )
        ds.ContentSequence = [
            *self._context(items, ("P5-08000", "SRT", "Computed Tomography X-Ray")),
            accumulated,
            *(self._scan(items, scan) for scan in self.scans),
        ]
        return ds

    def _scan(self, items: _Items, scan: CtScan) -> Dataset:
        parameters = [
            items.num(_dcm("113824", "Exposure Time"), scan.exposure_time_s, "time"),
            items.num(_dcm("113825", "Scanning Length"), scan.scanning_length_mm, "length"),
        ]
        if scan.pitch_factor is not None:
            parameters.append(
                items.num(_dcm("113828", "Pitch Factor"), scan.pitch_factor, "{ratio}")
            )
        dose = [
            items.num(_dcm("113830", "Mean CTDIvol"), scan.ctdi_vol_mgy, "mGy"),
            items.code(
                _dcm("113835", "CTDIw Phantom Type"), _dcm("113691", "IEC Body Dosimetry Phantom")
            ),
            items.num(_dcm("113838", "DLP"), scan.dlp_mgy_cm, "dlp"),
        ]
        return items.container(
            _dcm("113819", "CT Acquisition"),
            [
                items.text(_dcm("125203", "Acquisition Protocol"), scan.protocol),
                items.code(_dcm("123014", "Target Region"), _ABDOMEN),
                items.code(_dcm("113820", "CT Acquisition Type"), _CT_TYPES[scan.acquisition_type]),
                items.uidref(_dcm("113769", "Irradiation Event UID"), scan.uid),
                items.container(_dcm("113822", "CT Acquisition Parameters"), parameters),
                items.container(_dcm("113829", "CT Dose"), dose),
            ],
        )


@dataclass(frozen=True)
class NonDoseSr(_SrBase):
    """A radiology report SR (root LOINC 18748-4): valid DICOM, not a dose report."""

    def dataset(self) -> Dataset:
        """The report as a pydicom Dataset (no file meta)."""
        items = _Items(self)
        ds = self._document(ENHANCED_SR, ("18748-4", "LN", "Diagnostic Imaging Report"), None)
        ds.ContentSequence = [
            items.container(
                _dcm("121070", "Findings"),
                [items.text(_dcm("121071", "Finding"), "No abnormality detected.")],
            )
        ]
        return ds


@dataclass(frozen=True)
class RadiopharmaceuticalSr(_SrBase):
    """A Radiopharmaceutical Radiation Dose SR (TID 10021), which irflow refuses."""

    def dataset(self) -> Dataset:
        """The report as a pydicom Dataset (no file meta)."""
        items = _Items(self)
        ds = self._document(
            RADIOPHARMACEUTICAL_RADIATION_DOSE_SR,
            _dcm("113500", "Radiopharmaceutical Radiation Dose Report"),
            "10021",
        )
        ds.ContentSequence = [
            items.container(
                _dcm("113502", "Radiopharmaceutical Administration"),
                [items.num(_dcm("113507", "Administered activity"), 350.0, "MBq")],
            )
        ]
        return ds
