"""Hypothesis strategies for broad, valid readiness inputs (None and edge values included)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from irflow.clinical import (
    Allergy,
    CaseInput,
    Intake,
    Lab,
    Medication,
    PatientInput,
    ProcedureInput,
    SitePolicy,
)
from irflow.clinical.inputs import (
    ANALYTES,
    CONSENT_STATES,
    CONTRAST_ROUTES,
    INTAKE_KINDS,
    PREMEDICATION_REGIMENS,
    SEDATION_LEVELS,
    URGENCIES,
    AllergyAgent,
    ArterialAccess,
)

ZONES = ("Europe/London", "America/New_York", "UTC")
DRUGS = (
    "warfarin", "heparin_iv", "heparin_sc", "enoxaparin_prophylactic", "enoxaparin_therapeutic",
    "dalteparin", "fondaparinux", "argatroban", "bivalirudin", "apixaban", "rivaroxaban",
    "edoxaban", "dabigatran", "clopidogrel", "prasugrel", "ticagrelor", "aspirin", "cilostazol",
    "abciximab", "eptifibatide", "tirofiban", "cangrelor", "metformin",
)  # fmt: skip
# Values on and around every published limit, plus broad ranges.
EDGES = {
    "inr": (0.9, 1.5, 1.51, 1.8, 2.0, 2.2, 2.5, 3.0),
    "platelets": (0.0, 19.9, 20.0, 20.1, 30.0, 49.9, 50.0),
    "haemoglobin": (0.0, 80.0, 130.0),
    "creatinine": (0.0, 40.0, 80.0, 130.0, 600.0),
    "egfr": (0.0, 14.9, 29.9, 30.0, 44.9, 45.0, 90.0),
    "fibrinogen": (0.0, 0.99, 1.0, 1.01, 3.0),
}
POLICIES = (
    SitePolicy(timezone="Europe/London"),
    SitePolicy(timezone="America/New_York"),
    SitePolicy(
        {
            "sir-2019.inr.high-risk": {"inr_max": 1.8},
            "sir-2019.inr.low-risk": {"inr_max": 3.0},
            "acr-nkf-2020.kdigo-alternative": {"enabled": True},
            "acr-nkf-2020.route.ia-second-pass": {"apply_iv_bands": False},
            "irflow-site.lab-validity": {"inr_days": 1, "egfr_days": 90},
            "asa-fasting.applies": {"sedation_levels": ["deep", "general"]},
        },
        timezone="UTC",
    ),
)

# Around the 2025 DST changes in both zones, and ordinary days.
moments = st.sampled_from(
    [
        datetime(2025, 3, 9, 7, 0, tzinfo=UTC),
        datetime(2025, 3, 30, 1, 30, tzinfo=UTC),
        datetime(2025, 7, 16, 8, 0, tzinfo=UTC),
        datetime(2025, 10, 26, 0, 45, tzinfo=UTC),
        datetime(2025, 11, 2, 6, 0, tzinfo=UTC),
        datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
    ]
).flatmap(lambda base: st.integers(-48 * 60, 48 * 60).map(lambda m: base + timedelta(minutes=m)))
offsets = st.integers(-40 * 24 * 60, 2 * 24 * 60).map(lambda m: timedelta(minutes=m))
clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


VALUES = {
    analyte: st.one_of(
        st.sampled_from(EDGES[analyte]), st.floats(0, 1000, allow_nan=False, allow_infinity=False)
    )
    for analyte in ANALYTES
}
LAB_KEYS = st.lists(st.tuples(st.sampled_from(ANALYTES), offsets), max_size=10)
MAYBE_OFFSET = st.one_of(st.none(), offsets)
MED_FIELDS = st.fixed_dictionaries(
    {
        "drug": st.sampled_from(DRUGS),
        "doses_per_day": st.one_of(st.none(), st.sampled_from([1, 2, 3, 1 / 7])),
        "interval_hours": st.one_of(st.none(), st.sampled_from([6, 8, 12, 24, 168])),
        "dose_times": st.lists(clock_times, max_size=3).map(tuple),
        "loading_dose": st.booleans(),
        "antithrombotic": st.sampled_from([True, True, True, False]),
    }
)
MED_LISTS = st.one_of(st.none(), st.lists(st.tuples(MED_FIELDS, MAYBE_OFFSET), max_size=3))
PATIENTS = st.builds(
    PatientInput,
    age_years=st.one_of(st.none(), st.floats(0, 130)),
    weight_kg=st.one_of(st.none(), st.floats(0, 250)),
    sex=st.sampled_from([None, "female", "male"]),
    chronic_liver_disease=st.booleans(),
    on_dialysis=st.booleans(),
    anuric=st.sampled_from([None, True, False]),
    acute_kidney_injury=st.booleans(),
    thrombotic_risk=st.sampled_from([None, "low", "moderate", "high"]),
)
PROCEDURES = st.builds(
    ProcedureInput,
    code=st.just("P"),
    name=st.just("Procedure"),
    bleeding_risk=st.sampled_from([None, "low", "high", "operator_decides"]),
    operator_choice=st.sampled_from([None, "low", "high"]),
    arterial_access=st.sampled_from(get_args(ArterialAccess)),
)
ALLERGY_LISTS = st.one_of(
    st.none(),
    st.lists(st.builds(Allergy, st.sampled_from(get_args(AllergyAgent))), max_size=3).map(tuple),
)
INTAKE_KEYS = st.one_of(
    st.none(),
    st.lists(st.tuples(st.sampled_from(INTAKE_KINDS), st.integers(-24 * 60, 60)), max_size=3),
)


@st.composite
def labs(draw: st.DrawFn, base: datetime, zone: ZoneInfo) -> tuple[Lab, ...]:
    return tuple(
        Lab(a, draw(VALUES[a]), (base + off).astimezone(zone)) for a, off in draw(LAB_KEYS)
    )


@st.composite
def medications(draw: st.DrawFn, base: datetime, zone: ZoneInfo) -> tuple[Medication, ...] | None:
    drawn = draw(MED_LISTS)
    if drawn is None:
        return None
    return tuple(
        _medication(fields, None if off is None else (base + off).astimezone(zone))
        for fields, off in drawn
    )


def _medication(fields: dict[str, Any], last_dose_at: datetime | None) -> Medication:
    return Medication(**fields, last_dose_at=last_dose_at)


@st.composite
def cases(draw: st.DrawFn) -> CaseInput:
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    base = draw(moments)  # UTC: offsets are added in real time, then shown in the zone

    def at(delta: timedelta) -> datetime:
        return (base + delta).astimezone(zone)

    start = at(timedelta(0))
    duration = draw(st.one_of(st.none(), st.integers(0, 600)))
    intake = draw(INTAKE_KEYS)
    return CaseInput(
        procedure=draw(PROCEDURES),
        planned_start=start,
        urgency=draw(st.sampled_from(URGENCIES)),
        patient=draw(PATIENTS),
        planned_end=None if duration is None else at(timedelta(minutes=duration)),
        labs=draw(labs(base, zone)),
        medications=draw(medications(base, zone)),
        allergies=draw(ALLERGY_LISTS),
        contrast_route=draw(st.sampled_from((None, *CONTRAST_ROUTES))),
        premedication=draw(st.sampled_from((None, *PREMEDICATION_REGIMENS))),
        sedation=draw(st.sampled_from((None, *SEDATION_LEVELS))),
        last_intake=None
        if intake is None
        else tuple(Intake(kind, at(timedelta(minutes=m))) for kind, m in intake),
        consent=draw(st.sampled_from((None, *CONSENT_STATES))),
    )


@st.composite
def evaluation_inputs(draw: st.DrawFn) -> tuple[CaseInput, SitePolicy, datetime]:
    case = draw(cases())
    now = case.planned_start.astimezone(UTC) - draw(
        st.integers(-6 * 60, 10 * 24 * 60).map(lambda m: timedelta(minutes=m))
    )
    return case, draw(st.sampled_from(POLICIES)), now
