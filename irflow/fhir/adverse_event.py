"""AdverseEvent: an adverse event of a procedure, with its grades as codings (SIR 2017, and
the legacy SIR class and CIRSE grade when recorded), the outcome, the procedure as the suspect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irflow.fhir.base import Resource, Site, coding, concept, instant, ref, resource
from irflow.fhir.systems import ADVERSE_EVENT_OUTCOME

# irflow outcome -> http://hl7.org/fhir/R4/codesystem-adverse-event-outcome.html
OUTCOME = {
    "resolved": "resolved",
    "resolved_sequelae": "resolvedWithSequelae",
    "ongoing": "ongoing",
    "death": "fatal",
    "unknown": "unknown",
}
GRADE_SYSTEMS = {"sir": "sir-2017-grade", "legacy_sir": "sir-legacy-class", "cirse": "cirse-grade"}


@dataclass(frozen=True)
class AdverseEventData:
    id: int
    patient_id: int
    onset_at: datetime
    recorded_at: datetime
    description: str
    detection_label: str
    sir_grade: str
    outcome: str
    legacy_sir_class: str = ""
    cirse_grade: str = ""
    attribution_label: str = ""
    procedure_id: int | None = None
    recorder_id: int | None = None
    entered_in_error: bool = False
    updated_at: datetime | None = None


def adverse_event_resource(e: AdverseEventData, site: Site) -> Resource:
    grades = [
        coding(site.code_system(GRADE_SYSTEMS["sir"]), e.sir_grade, f"SIR 2017 {e.sir_grade}")
    ]
    if e.legacy_sir_class:
        grades.append(
            coding(
                site.code_system(GRADE_SYSTEMS["legacy_sir"]),
                e.legacy_sir_class,
                f"SIR class {e.legacy_sir_class}",
            )
        )
    if e.cirse_grade:
        grades.append(
            coding(
                site.code_system(GRADE_SYSTEMS["cirse"]),
                e.cirse_grade,
                f"CIRSE grade {e.cirse_grade}",
            )
        )
    suspect = []
    if e.procedure_id is not None:
        suspect.append(
            {
                "instance": ref("Procedure", e.procedure_id),
                "causality": [{"assessment": concept(text=e.attribution_label)}]
                if e.attribution_label
                else [],
            }
        )
    return resource(
        "AdverseEvent",
        e.id,
        e.updated_at,
        identifier={"system": site.identifier_system("adverse-event"), "value": str(e.id)},
        actuality="actual",
        event=concept(text=e.description),
        subject=ref("Patient", e.patient_id),
        date=instant(e.onset_at),
        recordedDate=instant(e.recorded_at),
        recorder=ref("Practitioner", e.recorder_id) if e.recorder_id else None,
        seriousness=concept(*grades, text=f"SIR 2017 grade {e.sir_grade}"),
        outcome=concept(coding(ADVERSE_EVENT_OUTCOME, OUTCOME.get(e.outcome, "unknown"))),
        suspectEntity=suspect,
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "adverse_event_resource": {
        "identifier": "adverse event number",
        "actuality": "`actual`",
        "event": "description",
        "subject": "the patient",
        "date": "onset",
        "recordedDate": "recorded at",
        "recorder": "who recorded it",
        "seriousness": "the grades as codings: SIR 2017 grade, legacy SIR class, CIRSE grade",
        "outcome": "resolved, resolved with sequelae, ongoing, death → fatal, unknown",
        "suspectEntity": "the procedure, causality the attribution",
    },
}
