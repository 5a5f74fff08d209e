"""The core's vocabularies are the one declaration: the models' choices, the forms and the
API's schema all say exactly what irflow.clinical says."""

from __future__ import annotations

from irflow.api import api
from irflow.clinical import vocabulary
from irflow.clinical.inputs import (
    ARTERIAL_ACCESSES,
    CONSENT_STATES,
    CONTRAST_ROUTES,
    PREMEDICATION_REGIMENS,
    SEDATION_LEVELS,
    THROMBOTIC_RISKS,
)
from irflow.procedures.models import ProcedureRecord
from irflow.readiness.forms import PreparationForm
from irflow.readiness.models import Preparation

PREPARATION = {
    "sedation": (SEDATION_LEVELS, vocabulary.SEDATION_LABELS),
    "contrast_route": (CONTRAST_ROUTES, vocabulary.CONTRAST_ROUTE_LABELS),
    "access_site": (ARTERIAL_ACCESSES, vocabulary.ARTERIAL_ACCESS_LABELS),
    "consent": (CONSENT_STATES, vocabulary.CONSENT_LABELS),
    "premedication": (PREMEDICATION_REGIMENS, vocabulary.PREMEDICATION_LABELS),
    "thrombotic_risk": (THROMBOTIC_RISKS, vocabulary.THROMBOTIC_RISK_LABELS),
}


def _non_blank(choices) -> list[tuple[str, str]]:
    return [(v, str(label)) for v, label in choices if v]


def test_the_preparation_model_and_form_say_what_the_core_says():
    form = PreparationForm()
    for field, (values, labels) in PREPARATION.items():
        expected = [(v, labels[v]) for v in values]
        assert _non_blank(Preparation._meta.get_field(field).choices) == expected, field
        assert _non_blank(form.fields[field].choices) == expected, field
        assert set(labels) == set(values), field


def test_the_procedure_record_speaks_the_core_vocabularies():
    sedation = ProcedureRecord._meta.get_field("sedation_depth").choices
    assert _non_blank(sedation) == [(v, vocabulary.SEDATION_LABELS[v]) for v in SEDATION_LEVELS]
    route = ProcedureRecord._meta.get_field("contrast_route").choices
    assert _non_blank(route) == [
        (v, vocabulary.CONTRAST_ROUTE_GIVEN_LABELS[v]) for v in vocabulary.CONTRAST_ROUTES_GIVEN
    ]
    # Every planned route maps to a route the record knows (or to none at all).
    assert set(vocabulary.GIVEN_FOR_PLANNED) == set(CONTRAST_ROUTES)
    assert set(vocabulary.GIVEN_FOR_PLANNED.values()) - {None} <= set(
        vocabulary.CONTRAST_ROUTES_GIVEN
    )


def test_the_api_schema_enumerates_the_core_vocabularies():
    schemas = api.get_openapi_schema()["components"]["schemas"]
    case = schemas["CaseIn"]["properties"]
    for field, (values, _) in PREPARATION.items():
        if field in ("access_site", "thrombotic_risk"):
            continue
        enum = next(option["enum"] for option in case[field]["anyOf"] if "enum" in option)
        assert enum == list(values), field
    access = schemas["ProcedureIn"]["properties"]["arterial_access"]
    assert access["enum"] == list(ARTERIAL_ACCESSES)
    risk = schemas["PatientFactsIn"]["properties"]["thrombotic_risk"]
    assert next(o["enum"] for o in risk["anyOf"] if "enum" in o) == list(THROMBOTIC_RISKS)
