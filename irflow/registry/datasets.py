"""The registry datasets, as data: the procedure families (which catalogue codes belong to
each) and, per family, the elements exported — name, definition, type, whether required, the
irflow field it comes from, and how its value is read from a gathered case (`Case`).
docs/registry.md is generated from these lists (`irflow docs`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

DATASET_VERSION = "2026.1"


@dataclass(frozen=True)
class Family:
    code: str
    label: str
    # Catalogue codes in the family: an exact code, or a prefix ending in "*".
    procedure_codes: tuple[str, ...]
    # Catalogue categories whose every procedure is in the family.
    categories: tuple[str, ...] = ()

    def includes(self, code: str, category: str) -> bool:
        if category in self.categories:
            return True
        return any(
            code.startswith(c[:-1]) if c.endswith("*") else code == c for c in self.procedure_codes
        )


FAMILIES: tuple[Family, ...] = (
    Family(
        "central_venous_access",
        "Central venous access (PICC, tunnelled line, port)",
        (),
        ("venous_access",),
    ),
    Family("ivc_filter", "IVC filter placement and retrieval", ("IVCF-*",)),
    Family("biopsy", "Biopsy", ("BX-*",)),
    Family(
        "drainage",
        "Drainage",
        ("DRN-*", "PARA", "THORA", "CHEST-DRN", "IPC", "PCN", "PTBD", "CHOLE"),
    ),
    Family(
        "embolisation",
        "Embolisation",
        ("EMB-*", "UFE", "PAE", "PVE", "TACE", "TARE"),
    ),
    Family("angioplasty_stent", "Angioplasty and stenting", ("PTA-*", "VEN-CEN", "FISTULA", "CAS")),
    Family("ablation", "Tumour ablation", ("ABL-*",)),
)
FAMILIES_BY_CODE = {f.code: f for f in FAMILIES}


def family_of(code: str, category: str) -> Family | None:
    """The family a catalogue procedure belongs to (the first that includes it), or None."""
    return next((f for f in FAMILIES if f.includes(code, category)), None)


@dataclass
class Case:
    """What the export reads of one completed procedure, gathered by the selectors."""

    record_id: int
    patient_key: str
    patient_id: int
    family_name: str
    given_name: str
    mrn: str
    birth_date: date
    sex: str
    procedure_day: date
    procedure_code: str
    procedure_name: str
    priority: str
    laterality: str
    body_site: str
    asa: str
    sedation: str
    access_sites: list[str]
    technical_success: str
    clinical_success: str
    contrast_ml: Decimal | None
    fluoro_time_s: float | None
    dap_gy_cm2: float | None
    ka_r_mgy: float | None
    devices: list[str]
    implanted_devices: list[str]
    specimens: int
    worst_sir_grade: str
    adverse_events: int
    admitted: bool | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def age_years(self) -> int:
        born, day = self.birth_date, self.procedure_day
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True)
class Element:
    name: str
    definition: str
    type: str  # string, integer, decimal, date, code, boolean
    required: bool
    source: str
    value: Callable[[Case], Any]
    # Only in an identified export (never in the de-identified file).
    identifying: bool = False
    # Required only for the cases this says (and `required_note` says which, in words).
    required_when: Callable[[Case], bool] | None = None
    required_note: str = ""

    def required_for(self, case: Case) -> bool:
        if not self.required:
            return False
        return self.required_when is None or self.required_when(case)


COMMON: tuple[Element, ...] = (
    Element(
        "patient_key",
        "The patient, as an HMAC-SHA256 of irflow's patient id under a key derived from the "
        "site's secret: the same patient has the same key in every export of the site.",
        "string",
        True,
        "patients.Patient.id (hashed)",
        lambda c: c.patient_key,
    ),
    Element(
        "family_name",
        "The patient's family name.",
        "string",
        True,
        "patients.Patient.family_name",
        lambda c: c.family_name,
        identifying=True,
    ),
    Element(
        "given_name",
        "The patient's given name.",
        "string",
        True,
        "patients.Patient.given_name",
        lambda c: c.given_name,
        identifying=True,
    ),
    Element(
        "mrn",
        "The medical record number.",
        "string",
        True,
        "patients.PatientIdentifier (MR)",
        lambda c: c.mrn,
        identifying=True,
    ),
    Element(
        "birth_date",
        "The date of birth.",
        "date",
        True,
        "patients.Patient.birth_date",
        lambda c: c.birth_date.isoformat(),
        identifying=True,
    ),
    Element(
        "age_years",
        "Age in whole years on the day of the procedure.",
        "integer",
        True,
        "patients.Patient.birth_date, procedures.ProcedureRecord (procedure day)",
        lambda c: c.age_years,
    ),
    Element(
        "sex",
        "Administrative sex: M, F, O (other) or U (unknown).",
        "code",
        True,
        "patients.Patient.sex",
        lambda c: c.sex,
    ),
    Element(
        "procedure_date",
        "The day of the procedure (when it started, else when the patient went in).",
        "date",
        True,
        "procedures.ProcedureRecord.started_at / in_room_at",
        lambda c: c.procedure_day.isoformat(),
    ),
    Element(
        "procedure_code",
        "The local catalogue code of the procedure.",
        "code",
        True,
        "catalogue.ProcedureType.code",
        lambda c: c.procedure_code,
    ),
    Element(
        "procedure_name",
        "The procedure's name in the catalogue.",
        "string",
        True,
        "catalogue.ProcedureType.name",
        lambda c: c.procedure_name,
    ),
    Element(
        "urgency",
        "The order's priority: routine, urgent or emergency.",
        "code",
        True,
        "orders.Order.priority",
        lambda c: c.priority,
    ),
    Element(
        "asa_class",
        "ASA physical status (with E for an emergency).",
        "code",
        False,
        "procedures.ProcedureRecord.asa_class, asa_emergency",
        lambda c: c.asa,
    ),
    Element(
        "sedation",
        "The depth of sedation given.",
        "code",
        True,
        "procedures.ProcedureRecord.sedation_depth",
        lambda c: c.sedation,
    ),
    Element(
        "access_sites",
        "The access sites, separated by “;”.",
        "string",
        False,
        "procedures.ProcedureRecord.access_sites",
        lambda c: ";".join(c.access_sites),
    ),
    Element(
        "technical_success",
        "Whether the planned intervention was completed as intended: yes, partial or no.",
        "code",
        True,
        "procedures.ProcedureRecord.technical_success",
        lambda c: c.technical_success,
    ),
    Element(
        "clinical_success",
        "Whether the intended clinical result was achieved at "
        "follow-up: yes, partial or no (blank until assessed).",
        "code",
        False,
        "procedures.ProcedureRecord.clinical_success",
        lambda c: c.clinical_success,
    ),
    Element(
        "contrast_ml",
        "Iodinated contrast given, in mL.",
        "decimal",
        False,
        "procedures.ProcedureRecord.contrast_ml",
        lambda c: c.contrast_ml,
    ),
    Element(
        "fluoro_time_s",
        "Total fluoroscopy time in seconds (sum of the linked dose reports).",
        "decimal",
        False,
        "dose.RadiationDoseReport.fluoro_time_total_s",
        lambda c: c.fluoro_time_s,
    ),
    Element(
        "dap_gy_cm2",
        "Total dose-area product in Gy·cm² (sum of the linked dose reports).",
        "decimal",
        False,
        "dose.RadiationDoseReport.dap_total_gy_cm2",
        lambda c: c.dap_gy_cm2,
    ),
    Element(
        "ka_r_mgy",
        "Total air kerma at the patient entrance reference point in mGy (sum "
        "of the linked dose reports).",
        "decimal",
        False,
        "dose.RadiationDoseReport.ka_r_total_mgy",
        lambda c: c.ka_r_mgy,
    ),
    Element(
        "adverse_events",
        "How many adverse events were recorded for the procedure (entered-in-error ones left out).",
        "integer",
        True,
        "outcomes.AdverseEvent (count)",
        lambda c: c.adverse_events,
    ),
    Element(
        "worst_sir_grade",
        "The worst SIR 2017 grade among them (mild, moderate, severe, "
        "life_threatening, death); blank when none.",
        "code",
        False,
        "outcomes.AdverseEvent.sir_grade",
        lambda c: c.worst_sir_grade,
    ),
    Element(
        "admitted",
        "Whether the patient was admitted after the procedure (yes/no); blank "
        "when recovery was not recorded in irflow.",
        "boolean",
        False,
        "recovery.RecoveryEpisode.disposition",
        lambda c: None if c.admitted is None else ("yes" if c.admitted else "no"),
    ),
)

_DEVICE = Element(
    "device",
    "The devices used, separated by “;” (implanted ones first).",
    "string",
    True,
    "procedures.DeviceUsed.device_type",
    lambda c: ";".join(
        c.implanted_devices + [d for d in c.devices if d not in c.implanted_devices]
    ),
)
_SITE = Element(
    "body_site",
    "The body site or level the order names, where it refines the procedure code (the code "
    "names the organ for most procedures, e.g. BX-LIV).",
    "string",
    False,
    "orders.Order.site",
    lambda c: c.body_site,
)
_LATERALITY = Element(
    "laterality",
    "left, right, bilateral or blank where not applicable.",
    "code",
    False,
    "orders.Order.laterality",
    lambda c: c.laterality,
)

FAMILY_ELEMENTS: dict[str, tuple[Element, ...]] = {
    "central_venous_access": (
        Element(
            "line_kind",
            "picc, non_tunnelled, tunnelled, port or removal (from the catalogue code).",
            "code",
            True,
            "catalogue.ProcedureType.code",
            lambda c: c.extra.get("line_kind", ""),
        ),
        _DEVICE,
        _LATERALITY,
    ),
    "ivc_filter": (
        Element(
            "filter_action",
            "placement or retrieval.",
            "code",
            True,
            "catalogue.ProcedureType.code",
            lambda c: "retrieval" if "OUT" in c.procedure_code else "placement",
        ),
        Element(
            _DEVICE.name,
            "The filter and other devices used, separated by “;” (implanted ones first).",
            _DEVICE.type,
            True,
            _DEVICE.source,
            _DEVICE.value,
            required_when=lambda c: "OUT" not in c.procedure_code,
            required_note="placement only",
        ),
    ),
    "biopsy": (
        _SITE,
        Element(
            "specimens",
            "How many specimens were sent.",
            "integer",
            True,
            "procedures.Specimen (count)",
            lambda c: c.specimens,
        ),
    ),
    "drainage": (_SITE, _DEVICE),
    "embolisation": (_SITE, _LATERALITY),
    "angioplasty_stent": (
        _SITE,
        _LATERALITY,
        Element(
            "device",
            "The stents, balloons and other devices recorded, separated by “;” (implanted "
            "ones first); blank when only the implants are recorded and none was placed.",
            "string",
            False,
            _DEVICE.source,
            _DEVICE.value,
        ),
    ),
    "ablation": (_SITE,),
}


def elements(family: str, *, identified: bool = False) -> tuple[Element, ...]:
    """The elements of `family`'s dataset, in file order (the identifying ones only when
    `identified`)."""
    every = COMMON + FAMILY_ELEMENTS[family]
    return tuple(e for e in every if identified or not e.identifying)


LINE_KINDS = {
    "PICC": "picc",
    "CVC-NT": "non_tunnelled",
    "CVC-TUN": "tunnelled",
    "PORT": "port",
    "PORT-OUT": "removal",
    "CVC-OUT": "removal",
}


def is_missing(value: object) -> bool:
    return value is None or value == ""
