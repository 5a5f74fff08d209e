"""The training programmes shipped (one: EBIR), put into a new database by a data migration
and back into a test database after a flush. Only adds what is missing."""

from __future__ import annotations

# The one programme shipped: the EBIR logbook requirement. Confidence U (not verified against
# the current EBIR handbook): the site checks it against CIRSE's
# eligibility page before relying on it (docs/training-and-credentials.md).
EBIR = {
    "code": "ebir",
    "name": "European Board of Interventional Radiology (EBIR)",
    "source": "CIRSE, European Board of Interventional Radiology: eligibility criteria "
    "(logbook of procedures as first operator). Not verified here: check the current "
    "EBIR handbook.",
    "source_url": "https://www.cirse.org/education/ebir-examination/",
    "confidence": "U",
}
EBIR_REQUIREMENTS = [
    ("At least 250 procedures as first operator", "first_operator", [], 250),
    (
        "At least 150 of them vascular or interventional oncology",
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
