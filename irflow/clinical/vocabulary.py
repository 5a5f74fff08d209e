"""Vocabularies of IR that the core, the models, the forms and the API share: each declared
once here, with the words people read. Django choices and API schemas are derived from these
(`irflow.lib.choices`); a test ties them together."""

from __future__ import annotations

from typing import Literal, get_args

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
