"""AllergyIntolerance: an allergy on the chart; reported by a referrer is `unconfirmed`,
confirmed by the team `confirmed`, rejected `refuted`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irflow.fhir.base import Resource, Site, coding, concept, instant, ref, resource
from irflow.fhir.systems import ALLERGY_CLINICAL, ALLERGY_VERIFICATION

# irflow category -> http://hl7.org/fhir/R4/valueset-allergy-intolerance-category.html
CATEGORY = {
    "iodinated_contrast": "medication",
    "gadolinium": "medication",
    "drug": "medication",
    "iodine": "medication",
    "latex": "environment",
    "shellfish": "food",
    "food": "food",
}
VERIFICATION = {"confirmed": "confirmed", "reported": "unconfirmed", "rejected": "refuted"}


@dataclass(frozen=True)
class AllergyData:
    id: int
    patient_id: int
    agent: str
    category: str
    category_label: str
    reconciliation: str
    active: bool
    recorded_at: datetime
    reaction: str = ""
    severity: str = ""
    reported_by: str = ""


def allergy_resource(a: AllergyData, site: Site) -> Resource:
    verification = VERIFICATION.get(a.reconciliation, "unconfirmed")
    clinical = "active" if a.active else "inactive"
    reaction = {}
    if a.reaction:
        reaction = {"manifestation": [{"text": a.reaction}], "severity": a.severity or None}
    return resource(
        "AllergyIntolerance",
        a.id,
        None,
        clinicalStatus=concept(coding(ALLERGY_CLINICAL, clinical)),
        verificationStatus=concept(coding(ALLERGY_VERIFICATION, verification)),
        type="allergy",
        category=[CATEGORY[a.category]] if a.category in CATEGORY else [],
        criticality="high" if a.severity == "severe" else "low" if a.severity else None,
        code=concept(
            coding(site.code_system("allergy-category"), a.category, a.category_label),
            text=a.agent,
        ),
        patient=ref("Patient", a.patient_id),
        recordedDate=instant(a.recorded_at),
        asserter={"display": a.reported_by} if a.reported_by else None,
        reaction=[reaction] if reaction else [],
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "allergy_resource": {
        "clinicalStatus": "active / inactive",
        "verificationStatus": (
            "reconciliation: confirmed → confirmed, reported by a referrer → unconfirmed, "
            "rejected → refuted"
        ),
        "type": "`allergy`",
        "category": (
            "contrast, drugs, iodine → medication; latex → environment; food, shellfish → food"
        ),
        "criticality": "severe → high, else low",
        "code": "agent (text) and irflow's category",
        "patient": "the patient",
        "recordedDate": "recorded at",
        "asserter": "who reported it",
        "reaction": "reaction and severity",
    },
}
