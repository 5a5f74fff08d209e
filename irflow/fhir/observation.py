"""Observations: the radiation dose summary of a study (HL7's Radiation Dose Summary for
Diagnostic Procedures IG: LOINC 73569-6, components with DICOM codes, `partOf` the
ImagingStudy; id `dose-<n>`), lab results (LOINC, UCUM; id `lab-<n>`) and pain scores (NRS 0–10,
LOINC 72514-3; id `pain-<n>`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from irflow.fhir.base import Resource, Site, coding, concept, instant, quantity, ref, resource
from irflow.fhir.imaging_study import imaging_study_id
from irflow.fhir.systems import (
    DCM,
    DCM_ACQUISITION_DAP_TOTAL,
    DCM_DAP_TOTAL,
    DCM_DOSE_RP_TOTAL,
    DCM_FLUORO_DAP_TOTAL,
    DCM_FLUORO_TIME_TOTAL,
    LOINC,
    LOINC_LABS,
    LOINC_PAIN_NRS,
    LOINC_RADIATION_DOSE,
    OBSERVATION_CATEGORY,
    RADIATION_DOSE_SUMMARY_PROFILE,
    UCUM,
)


def _category(code: str, display: str) -> list[dict]:
    return [concept(coding(OBSERVATION_CATEGORY, code, display))]


@dataclass(frozen=True)
class DoseData:
    id: int
    patient_id: int
    performed_at: datetime
    order_id: int | None = None
    procedure_id: int | None = None
    dap_total_gy_cm2: float | None = None
    fluoro_dap_total_gy_cm2: float | None = None
    acquisition_dap_total_gy_cm2: float | None = None
    ka_r_total_mgy: float | None = None
    fluoro_time_total_s: float | None = None
    device: str = ""
    updated_at: datetime | None = None


def _component(code: tuple[str, str, str], value: float) -> dict:
    unit = code[2]
    # irflow keeps DAP in Gy·cm²; DICOM reports Gy·m² (to the µGy·m², below what meters show).
    number = round(value / 10000, 9) if unit == "Gy.m2" else round(value, 3)
    return {
        "code": concept(coding(DCM, code[0], code[1])),
        "valueQuantity": {"value": number, "unit": unit, "system": UCUM, "code": unit},
    }


def dose_id(pk: int) -> str:
    return f"dose-{pk}"


def dose_observation(d: DoseData, site: Site) -> Resource:
    components = [
        _component(code, value)
        for code, value in (
            (DCM_DOSE_RP_TOTAL, d.ka_r_total_mgy),
            (DCM_DAP_TOTAL, d.dap_total_gy_cm2),
            (DCM_FLUORO_DAP_TOTAL, d.fluoro_dap_total_gy_cm2),
            (DCM_ACQUISITION_DAP_TOTAL, d.acquisition_dap_total_gy_cm2),
            (DCM_FLUORO_TIME_TOTAL, d.fluoro_time_total_s),
        )
        if value is not None
    ]
    out = resource(
        "Observation",
        dose_id(d.id),
        d.updated_at,
        identifier=[{"system": site.identifier_system("dose-report"), "value": str(d.id)}],
        partOf=[ref("ImagingStudy", imaging_study_id(d.order_id))] if d.order_id else [],
        status="final",
        category=_category("imaging", "Imaging"),
        code=concept(coding(LOINC, *LOINC_RADIATION_DOSE)),
        subject=ref("Patient", d.patient_id),
        effectiveDateTime=instant(d.performed_at),
        device={"display": d.device} if d.device else None,
        component=components,
    )
    out["meta"] = {**out.get("meta", {}), "profile": [RADIATION_DOSE_SUMMARY_PROFILE]}
    return out


@dataclass(frozen=True)
class LabData:
    id: int
    patient_id: int
    analyte: str
    analyte_label: str
    value: Decimal
    unit: str
    collected_at: datetime
    recorded_at: datetime | None = None


def lab_id(pk: int) -> str:
    return f"lab-{pk}"


def lab_observation(lab: LabData, site: Site) -> Resource:
    known = LOINC_LABS.get(lab.analyte)
    if known is not None:
        code = concept(coding(LOINC, known[0], known[1]), text=lab.analyte_label)
        value = quantity(lab.value, lab.unit or known[2], known[2])
    else:
        code = concept(coding(site.code_system("analyte"), lab.analyte), text=lab.analyte_label)
        value = (
            {"value": float(lab.value), "unit": lab.unit}
            if lab.unit
            else {"value": float(lab.value)}
        )
    return resource(
        "Observation",
        lab_id(lab.id),
        lab.recorded_at,
        status="final",
        category=_category("laboratory", "Laboratory"),
        code=code,
        subject=ref("Patient", lab.patient_id),
        effectiveDateTime=instant(lab.collected_at),
        issued=instant(lab.recorded_at) if lab.recorded_at else None,
        valueQuantity=value,
    )


@dataclass(frozen=True)
class PainData:
    id: int
    patient_id: int
    score: int
    recorded_at: datetime
    procedure_id: int | None = None
    performer_id: int | None = None
    note: str = ""


def pain_id(pk: int) -> str:
    return f"pain-{pk}"


def pain_observation(p: PainData, site: Site) -> Resource:
    return resource(
        "Observation",
        pain_id(p.id),
        p.recorded_at,
        partOf=[ref("Procedure", p.procedure_id)] if p.procedure_id else [],
        status="final",
        category=_category("survey", "Survey"),
        code=concept(coding(LOINC, *LOINC_PAIN_NRS), text="Pain score (NRS 0–10)"),
        subject=ref("Patient", p.patient_id),
        effectiveDateTime=instant(p.recorded_at),
        performer=[ref("Practitioner", p.performer_id)] if p.performer_id else [],
        valueInteger=p.score,
        note=[{"text": p.note}] if p.note else [],
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "dose_observation": {
        "identifier": "dose report number",
        "partOf": "the ImagingStudy of the order",
        "status": "`final`",
        "category": "`imaging`",
        "code": "LOINC 73569-6 Radiation exposure and protection information",
        "subject": "the patient",
        "effectiveDateTime": "performed at (from the RDSR)",
        "device": "manufacturer, model and station name",
        "component": (
            "DCM 113725 Dose (RP) total (mGy), 113722 DAP total, 113726 fluoro DAP, 113727 "
            "acquisition DAP (Gy.m2), 113730 fluoro time (s)"
        ),
    },
    "lab_observation": {
        "status": "`final`",
        "category": "`laboratory`",
        "code": (
            "LOINC: INR 6301-6, platelets 777-3, haemoglobin 718-7, creatinine 14682-9, eGFR "
            "62238-1, fibrinogen 3255-7"
        ),
        "subject": "the patient",
        "effectiveDateTime": "collected at",
        "issued": "recorded at",
        "valueQuantity": "value in its canonical unit (UCUM)",
    },
    "pain_observation": {
        "partOf": "the procedure",
        "status": "`final`",
        "category": "`survey`",
        "code": "LOINC 72514-3 pain severity 0–10 numeric rating",
        "subject": "the patient",
        "effectiveDateTime": "recorded at",
        "performer": "who recorded it",
        "valueInteger": "NRS score",
        "note": "note",
    },
}
