"""Properties over broad inputs: nothing raises, worse labs never help, missing data never passes.

"Removing an input" means recording it as unknown: the field set to None, or every result of
one analyte dropped. Dropping one of several results is not missing data (an older result is
still a fact) and is not covered here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from irflow.clinical import (
    STATE_RANK,
    CaseInput,
    Evaluation,
    Lab,
    SitePolicy,
    aggregate_state,
    effective_state,
    evaluate,
    fasting_plan,
    finding_key,
    medication_plan,
    premedication_schedule,
)
from irflow.clinical.bleeding import effective_risk, required_analytes
from irflow.clinical.findings import STATUSES
from irflow.clinical.tests.strategies import evaluation_inputs, medications, moments

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
SCREENING_ANALYTES = ("inr", "platelets", "haemoglobin", "fibrinogen")


def rank(evaluation: Evaluation) -> int:
    return STATE_RANK[evaluation.state]


@PROPERTY_SETTINGS
@given(evaluation_inputs())
def test_no_input_combination_raises(inputs: tuple[CaseInput, SitePolicy, datetime]) -> None:
    case, policy, now = inputs
    evaluation = evaluate(case, now=now, policy=policy)
    data = evaluation.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert evaluation.state == aggregate_state(evaluation.findings)
    assert evaluation.blocking is (evaluation.state == "not_ready" and case.urgency != "emergent")
    assert evaluation.emergent_override is (case.urgency == "emergent")
    assert evaluation.findings
    for finding in evaluation.findings:
        assert finding.status in STATUSES
        assert finding.message and finding.source
        assert finding.verified is (finding.confidence != "U")


def _shift(case: CaseInput, analyte: str, change: Callable[[float], float]) -> CaseInput:
    labs = tuple(
        Lab(lab.analyte, change(lab.value), lab.collected_at) if lab.analyte == analyte else lab
        for lab in case.labs
    )
    return replace(case, labs=labs)


@PROPERTY_SETTINGS
@given(evaluation_inputs(), st.floats(0.01, 20, allow_nan=False))
def test_raising_inr_never_moves_towards_ready(
    inputs: tuple[CaseInput, SitePolicy, datetime], delta: float
) -> None:
    case, policy, now = inputs
    before = evaluate(case, now=now, policy=policy)
    after = evaluate(_shift(case, "inr", lambda v: v + delta), now=now, policy=policy)
    assert rank(after) >= rank(before)


@PROPERTY_SETTINGS
@given(
    evaluation_inputs(),
    st.sampled_from(["platelets", "fibrinogen", "egfr", "haemoglobin"]),
    st.floats(0, 1, allow_nan=False),
)
def test_lowering_platelets_fibrinogen_or_egfr_never_moves_towards_ready(
    inputs: tuple[CaseInput, SitePolicy, datetime], analyte: str, factor: float
) -> None:
    case, policy, now = inputs
    before = evaluate(case, now=now, policy=policy)
    after = evaluate(_shift(case, analyte, lambda v: v * factor), now=now, policy=policy)
    assert rank(after) >= rank(before)


def _without_analyte(analyte: str) -> Callable[[CaseInput], CaseInput]:
    return lambda c: replace(c, labs=tuple(lab for lab in c.labs if lab.analyte != analyte))


def _patient(**fields: object) -> Callable[[CaseInput], CaseInput]:
    return lambda c: replace(c, patient=replace(c.patient, **fields))  # type: ignore[arg-type]


def _meds(**fields: object) -> Callable[[CaseInput], CaseInput]:
    def change(c: CaseInput) -> CaseInput:
        if c.medications is None:
            return c
        return replace(c, medications=tuple(replace(m, **fields) for m in c.medications))  # type: ignore[arg-type]

    return change


# (name, change, the finding input keys that now carry None)
REMOVALS: list[tuple[str, Callable[[CaseInput], CaseInput], tuple[str, ...]]] = [
    *[(f"lab:{a}", _without_analyte(a), (a,)) for a in ("inr", "platelets", "haemoglobin")],
    *[(f"lab:{a}", _without_analyte(a), (a,)) for a in ("fibrinogen", "egfr", "creatinine")],
    ("age", _patient(age_years=None), ("age_years",)),
    ("weight", _patient(weight_kg=None), ("weight_kg",)),
    ("sex", _patient(sex=None), ("sex",)),
    ("anuric", _patient(anuric=None), ("anuric",)),
    ("bleeding_risk", lambda c: replace(c, procedure=replace(c.procedure, bleeding_risk=None)), ()),
    (
        "operator_choice",
        lambda c: replace(c, procedure=replace(c.procedure, operator_choice=None)),
        ("operator_choice",),
    ),
    ("medications", lambda c: replace(c, medications=None), ("medications",)),
    ("last_dose_at", _meds(last_dose_at=None), ("last_dose_at",)),
    ("frequency", _meds(doses_per_day=None, interval_hours=None), ()),
    ("allergies", lambda c: replace(c, allergies=None), ("allergies",)),
    ("contrast_route", lambda c: replace(c, contrast_route=None), ("contrast_route",)),
    ("premedication", lambda c: replace(c, premedication=None), ("premedication",)),
    ("sedation", lambda c: replace(c, sedation=None), ("sedation",)),
    ("last_intake", lambda c: replace(c, last_intake=None), ("last_intake",)),
    ("consent", lambda c: replace(c, consent=None), ("consent",)),
    ("planned_end", lambda c: replace(c, planned_end=None), ()),
]


@PROPERTY_SETTINGS
@given(evaluation_inputs())
def test_missing_data_never_passes_and_never_improves_the_state(
    inputs: tuple[CaseInput, SitePolicy, datetime],
) -> None:
    case, policy, now = inputs
    before = evaluate(case, now=now, policy=policy)
    risk, _ = effective_risk(case.procedure)
    required = set(required_analytes(case, risk, policy))
    for name, change, keys in REMOVALS:
        reduced = change(case)
        after = evaluate(reduced, now=now, policy=policy)
        for finding in after.findings:
            for key in keys:
                if key in finding.inputs and finding.inputs[key] is None:
                    assert finding.status != "pass", (name, finding.rule_id, finding.message)
        analyte = name.removeprefix("lab:")
        optional = analyte in SCREENING_ANALYTES and analyte not in required
        # Low-risk screening is not routine: forgetting a known bad result may look better,
        # which is what the guideline implies; every other removal must not help.
        if not optional:
            assert rank(after) >= rank(before), (name, before.state, after.state)


@PROPERTY_SETTINGS
@given(
    moments,
    st.sampled_from(["Europe/London", "America/New_York"]),
    st.sampled_from(["low", "high"]),
    st.one_of(st.none(), st.floats(0, 200, allow_nan=False)),
    st.data(),
)
def test_medication_plan_never_raises_and_orders_its_times(
    start: datetime, zone: str, risk: str, crcl: float | None, data: st.DataObject
) -> None:
    policy = SitePolicy(timezone=zone)
    meds = data.draw(medications(start, ZoneInfo(zone))) or ()
    end = start.replace(microsecond=0)
    items = medication_plan(
        medications=meds,
        bleeding_risk=risk,  # type: ignore[arg-type]
        planned_start=start,
        planned_end=end,
        crcl_ml_min=crcl,
        policy=policy,
    )
    for item in items:
        json.dumps(item.to_dict())
        if item.hold_from is not None:
            assert item.hold_from <= start
            assert item.dose_allowed(start) is False
            if item.last_allowed_dose is not None:
                assert item.dose_allowed(item.last_allowed_dose) is True
        if item.restart_not_before is not None:
            assert item.restart_not_before >= end
            if item.restart_at is not None:
                assert item.restart_at >= item.restart_not_before


@PROPERTY_SETTINGS
@given(moments, st.sampled_from(["Europe/London", "America/New_York"]), st.integers(0, 12 * 60))
def test_premedication_and_fasting_times_are_real_hours(
    contrast_at: datetime, zone: str, lead_minutes: int
) -> None:
    policy = SitePolicy(timezone=zone)
    for regimen, hours in (("prednisone", (13, 7, 1)), ("methylprednisolone", (12, 2))):
        doses = premedication_schedule(regimen, contrast_at, policy=policy)  # type: ignore[arg-type]
        steroid = [d for d in doses if d.drug == regimen]
        assert [round((contrast_at - d.at).total_seconds() / 3600, 6) for d in steroid] == list(
            hours
        )
    first = contrast_at - timedelta(minutes=lead_minutes)
    doses = premedication_schedule(
        "accelerated_iv", contrast_at, first_dose_at=first, policy=policy
    )
    steroid_times = [d.at.astimezone(UTC) for d in doses if d.drug == "methylprednisolone"]
    # Compare in UTC: within one zone Python subtracts wall clocks, and it never finds a
    # repeated autumn wall time equal to an instant in another zone.
    assert steroid_times[0] == first.astimezone(UTC)
    assert all(t <= contrast_at for t in steroid_times)
    assert all((b - a).total_seconds() == 4 * 3600 for a, b in pairwise(steroid_times))
    plan = fasting_plan(planned_start=contrast_at, sedation="general", policy=policy)
    assert plan is not None
    assert (contrast_at - plan.clear_fluids_until).total_seconds() == 2 * 3600


@PROPERTY_SETTINGS
@given(evaluation_inputs(), st.data())
def test_an_acknowledged_finding_never_counts_as_a_pass(
    inputs: tuple[CaseInput, SitePolicy, datetime], data
) -> None:
    """Physicians' acknowledgements may only bring a case to "needs review" while anything
    needs action or data; they never make it worse; none at all changes nothing."""
    case, policy, now = inputs
    findings = evaluate(case, now=now, policy=policy).findings
    keys = [finding_key(f) for f in findings]
    chosen = data.draw(st.sets(st.sampled_from(keys)) if keys else st.just(set()))
    plain = aggregate_state(findings)
    assert effective_state(findings, set()) == plain
    acknowledged = effective_state(findings, chosen)
    assert STATE_RANK[acknowledged] <= STATE_RANK[plain]
    if any(f.status in ("action_needed", "missing_data") for f in findings):
        assert acknowledged != "ready"
    everything = effective_state(findings, set(keys))
    serious = any(f.status in ("action_needed", "missing_data") for f in findings)
    assert everything == ("needs_review" if serious else "ready")
