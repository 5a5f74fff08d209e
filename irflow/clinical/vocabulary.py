"""Vocabularies of IR that the core, the models, the forms and the API share: each declared
once here, with the words people read. Django choices and API schemas are derived from these
(`irflow.lib.choices`); a test ties them together."""

from __future__ import annotations

from typing import Literal, get_args

from irflow.clinical.inputs import (
    ArterialAccess,
    Consent,
    ContrastRoute,
    PremedicationRegimen,
    Sedation,
    ThromboticRisk,
)

ProcedureCategory = Literal[
    "vascular", "non_vascular", "oncology", "venous_access", "spine_pain", "neuro"
]
PROCEDURE_CATEGORIES: tuple[ProcedureCategory, ...] = get_args(ProcedureCategory)
PROCEDURE_CATEGORY_LABELS: dict[ProcedureCategory, str] = {
    "vascular": "Vascular",
    "non_vascular": "Non-vascular",
    "oncology": "Interventional oncology",
    "venous_access": "Venous access",
    "spine_pain": "Spine and pain",
    "neuro": "Neurointervention",
}

# The words for the core's own vocabularies (irflow.clinical.inputs), for forms and pages.
SEDATION_LABELS: dict[Sedation, str] = {
    "none": "No sedation",
    "local": "Local anaesthesia only",
    "minimal": "Minimal sedation",
    "moderate": "Moderate sedation",
    "deep": "Deep sedation",
    "general": "General anaesthesia",
}
CONTRAST_ROUTE_LABELS: dict[ContrastRoute, str] = {
    "none": "No iodinated contrast",
    "iv": "Intravenous",
    "ia_first_pass": "Intra-arterial, first-pass renal exposure",
    "ia_second_pass": "Intra-arterial, second-pass renal exposure",
}
ARTERIAL_ACCESS_LABELS: dict[ArterialAccess, str] = {
    "none": "No arterial access",
    "femoral": "Femoral artery",
    "radial": "Radial artery",
    "unspecified": "Arterial, site not decided",
}
CONSENT_LABELS: dict[Consent, str] = {
    "signed": "Signed",
    "pending": "Not signed yet",
    "not_required": "Not required",
}
THROMBOTIC_RISK_LABELS: dict[ThromboticRisk, str] = {
    "low": "Low",
    "moderate": "Moderate",
    "high": "High",
}
PREMEDICATION_LABELS: dict[PremedicationRegimen, str] = {
    "prednisone": "Prednisone 13, 7 and 1 h before",
    "methylprednisolone": "Methylprednisolone 12 and 2 h before",
    "accelerated_iv": "Accelerated IV (urgent)",
}

# The route contrast was given by, as the procedure record keeps it (the planning vocabulary
# above tells the renal exposure apart; the record says only which way it went in).
ContrastRouteGiven = Literal["iv", "intra_arterial"]
CONTRAST_ROUTES_GIVEN: tuple[ContrastRouteGiven, ...] = get_args(ContrastRouteGiven)
CONTRAST_ROUTE_GIVEN_LABELS: dict[ContrastRouteGiven, str] = {
    "iv": "Intravenous",
    "intra_arterial": "Intra-arterial",
}
# The planned route -> the route the record expects.
GIVEN_FOR_PLANNED: dict[ContrastRoute, ContrastRouteGiven | None] = {
    "none": None,
    "iv": "iv",
    "ia_first_pass": "intra_arterial",
    "ia_second_pass": "intra_arterial",
}
