"""MedicationStatement: a medication on the chart (what the patient takes, as prescribed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from irflow.fhir.base import Resource, Site, coding, concept, day, instant, quantity, ref, resource

FREQUENCY = {  # irflow frequency -> Timing.repeat (frequency per period)
    "od": (1, 1, "d"),
    "bd": (2, 1, "d"),
    "tds": (3, 1, "d"),
    "qds": (4, 1, "d"),
    "weekly": (1, 1, "wk"),
}


@dataclass(frozen=True)
class MedicationData:
    id: int
    patient_id: int
    name: str
    active: bool
    reconciliation: str
    drug: str = ""
    dose: Decimal | None = None
    dose_unit: str = ""
    frequency: str = ""
    frequency_label: str = ""
    dose_times: tuple[str, ...] = ()
    antithrombotic: bool = False
    started_on: date | None = None
    stopped_on: date | None = None
    updated_at: datetime | None = None


def medication_resource(m: MedicationData, site: Site) -> Resource:
    if m.reconciliation == "rejected":
        status = "entered-in-error"
    else:
        status = "active" if m.active else "stopped"
    dosage: dict = {"text": " ".join(x for x in (m.name, m.frequency_label) if x)}
    repeat: dict = {}
    if m.frequency in FREQUENCY:
        freq, per, unit = FREQUENCY[m.frequency]
        repeat = {"frequency": freq, "period": per, "periodUnit": unit}
    if m.dose_times:
        repeat["timeOfDay"] = [f"{t}:00" if len(t) == 5 else t for t in m.dose_times]
    if repeat:
        dosage["timing"] = {"repeat": repeat}
    if m.frequency == "prn":
        dosage["asNeededBoolean"] = True
    if m.dose is not None:
        dosage["doseAndRate"] = [{"doseQuantity": quantity(m.dose, m.dose_unit or "1")}]
    effective = {}
    if m.started_on:
        effective["start"] = day(m.started_on)
    if m.stopped_on:
        effective["end"] = day(m.stopped_on)
    codings = [coding(site.code_system("drug"), m.drug)] if m.drug else []
    return resource(
        "MedicationStatement",
        m.id,
        m.updated_at,
        status=status,
        category=concept(
            coding(site.code_system("medication-class"), "antithrombotic", "Antithrombotic")
        )
        if m.antithrombotic
        else None,
        medicationCodeableConcept=concept(*codings, text=m.name),
        subject=ref("Patient", m.patient_id),
        effectivePeriod=effective,
        dateAsserted=instant(m.updated_at) if m.updated_at else None,
        dosage=[dosage],
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "medication_resource": {
        "status": "active; stopped; rejected at reconciliation → entered-in-error",
        "category": "antithrombotic",
        "medicationCodeableConcept": "name as prescribed, drug key",
        "subject": "the patient",
        "effectivePeriod": "started and stopped on",
        "dateAsserted": "last updated",
        "dosage": "dose and unit, frequency, usual times",
    },
}
