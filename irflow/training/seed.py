"""The training programmes shipped (one: EBIR), put into a new database by a data migration
and back into a test database after a flush. Only adds what is missing."""

from __future__ import annotations

# The one programme shipped: the EBIR logbook requirement, confidence V (read in the primary
# source, CIRSE's EBIR entry criteria; Interventional News, 14 January 2021, says the same).
# The 150 count vascular diagnosis and intervention (chapter 2.2.1 of the European Curriculum
# and Syllabus for IR) and vascular interventional oncology; irflow's "oncology" category also
# holds tumour ablations, so the second count can be higher than EBIR's
# (docs/training-and-credentials.md).
EBIR = {
    "code": "ebir",
    "name": "European Board of Interventional Radiology (EBIR)",
    "source": "CIRSE, European Board of Interventional Radiology: Entry criteria & application, "
    "proof of experience (as published with the 2021–2022 examination dates): at least 250 "
    "IR procedures as first operator, 150 of them interventions of chapter 2.2.1 Vascular "
    "Diagnosis and Intervention and/or Vascular Interventional Oncology of the European "
    "Curriculum and Syllabus for Interventional Radiology.",
    "source_url": "https://www.cirse.org/education/ebir/entry-criteria-application/",
    "confidence": "V",
}
EBIR_REQUIREMENTS = [
    ("At least 250 IR procedures as first operator", "first_operator", [], 250),
    (
        "At least 150 of them vascular or vascular interventional oncology",
        "first_operator",
        ["vascular", "oncology"],
        150,
    ),
]


def programmes_seed(Programme, Requirement) -> None:
    """`Programme` and `Requirement` are the models, or a migration's historical versions."""
    programme, created = Programme.objects.get_or_create(code=EBIR["code"], defaults=EBIR)
    if created:
        for position, (label, role, categories, minimum) in enumerate(EBIR_REQUIREMENTS):
            Requirement.objects.create(
                programme=programme,
                label=label,
                role=role,
                categories=categories,
                minimum=minimum,
                position=position,
            )
