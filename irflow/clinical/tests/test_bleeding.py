"""Bleeding risk: category, screening and both sides of every lab limit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from irflow.clinical import Lab, Medication, PatientInput, SitePolicy
from irflow.clinical import messages as msg
from irflow.clinical.tests.helpers import (
    NOW,
    START,
    YESTERDAY,
    labs_with,
    only,
    procedure,
    ready_case,
    run,
)
from irflow.clinical.tests.templates import matches

LIVER = PatientInput(age_years=60, weight_kg=75, sex="female", chronic_liver_disease=True)

# (risk, arterial access, liver disease, analyte, value, rule id, expected status)
LIMITS = [
    # INR, low risk: ≤ 2.0 by default (range 2.0 to 3.0)
    ("low", "none", False, "inr", 2.0, "sir-2019.inr.low-risk", "pass"),
    ("low", "none", False, "inr", 2.01, "sir-2019.inr.low-risk", "action_needed"),
    # INR, high risk: ≤ 1.5 by default (range 1.5 to 1.8)
    ("high", "none", False, "inr", 1.5, "sir-2019.inr.high-risk", "pass"),
    ("high", "none", False, "inr", 1.51, "sir-2019.inr.high-risk", "action_needed"),
    # INR, arterial access on a low-risk case: < 1.8 femoral, < 2.2 radial
    ("low", "femoral", False, "inr", 1.79, "sir-2019.inr.low-risk-arterial", "pass"),
    ("low", "femoral", False, "inr", 1.8, "sir-2019.inr.low-risk-arterial", "action_needed"),
    ("low", "radial", False, "inr", 2.19, "sir-2019.inr.low-risk-arterial", "pass"),
    ("low", "radial", False, "inr", 2.2, "sir-2019.inr.low-risk-arterial", "action_needed"),
    ("low", "unspecified", False, "inr", 1.8, "sir-2019.inr.low-risk-arterial", "action_needed"),
    ("low", "unspecified", False, "inr", 1.79, "sir-2019.inr.low-risk-arterial", "pass"),
    # Platelets: transfuse below 20 (low) / 50 (high)
    ("low", "none", False, "platelets", 20, "sir-2019.platelets.low-risk", "pass"),
    ("low", "none", False, "platelets", 19.9, "sir-2019.platelets.low-risk", "action_needed"),
    ("high", "none", False, "platelets", 50, "sir-2019.platelets.high-risk", "pass"),
    ("high", "none", False, "platelets", 49.9, "sir-2019.platelets.high-risk", "action_needed"),
    # Chronic liver disease, low risk: platelets > 20, fibrinogen > 100 mg/dL (1.0 g/L)
    ("low", "none", True, "platelets", 20.1, "sir-2019.cld.low-risk", "pass"),
    ("low", "none", True, "platelets", 20, "sir-2019.cld.low-risk", "action_needed"),
    ("low", "none", True, "fibrinogen", 1.01, "sir-2019.cld.low-risk", "pass"),
    ("low", "none", True, "fibrinogen", 1.0, "sir-2019.cld.low-risk", "action_needed"),
    # Chronic liver disease, high risk: INR < 2.5, platelets > 30, fibrinogen > 100 mg/dL
    ("high", "none", True, "inr", 2.49, "sir-2019.cld.high-risk", "pass"),
    ("high", "none", True, "inr", 2.5, "sir-2019.cld.high-risk", "action_needed"),
    ("high", "none", True, "platelets", 30.1, "sir-2019.cld.high-risk", "pass"),
    ("high", "none", True, "platelets", 30, "sir-2019.cld.high-risk", "action_needed"),
    ("high", "none", True, "fibrinogen", 1.01, "sir-2019.cld.high-risk", "pass"),
    ("high", "none", True, "fibrinogen", 1.0, "sir-2019.cld.high-risk", "action_needed"),
]


@pytest.mark.parametrize(
    ("risk", "access", "liver", "analyte", "value", "rule_id", "expected"), LIMITS
)
def test_both_sides_of_each_limit(
    risk: str, access: str, liver: bool, analyte: str, value: float, rule_id: str, expected: str
) -> None:
    case = ready_case(
        procedure=procedure(risk, arterial_access=access),
        patient=LIVER if liver else ready_case().patient,
        labs=labs_with(Lab(analyte, value, YESTERDAY)),  # type: ignore[arg-type]
    )
    evaluation = run(case)
    found = [f for f in evaluation.by_rule(rule_id) if analyte in f.inputs]
    assert [f.status for f in found] == [expected]
    template = msg.LAB_WITHIN if expected == "pass" else msg.LAB_OUTSIDE
    assert matches(template, found[0].message)
    assert found[0].inputs[analyte] == value
    assert evaluation.state == ("ready" if expected == "pass" else "not_ready")


def test_inr_message_reads_as_a_nurse_would_act_on_it() -> None:
    case = ready_case(labs=labs_with(Lab("inr", 1.6, YESTERDAY)))
    finding = only(run(case), "sir-2019.inr.high-risk")
    assert finding.message == (
        "INR 1.6 on Tue 15 Jul does not meet the limit (≤ 1.5) for a high-bleeding-risk "
        "procedure: correct before the procedure."
    )


def test_fibrinogen_is_compared_in_the_published_unit() -> None:
    case = ready_case(patient=LIVER, labs=labs_with(Lab("fibrinogen", 0.9, YESTERDAY)))
    found = [f for f in run(case).by_rule("sir-2019.cld.high-risk") if "fibrinogen" in f.inputs]
    assert "90 mg/dL (0.9 g/L)" in found[0].message
    assert "> 100 mg/dL" in found[0].message
    assert found[0].inputs["limit_unit"] == "mg/dL"


def test_a_site_pick_inside_the_inr_range_applies() -> None:
    policy = SitePolicy.from_mapping(
        {"sir-2019.inr.high-risk": {"inr_max": 1.8}}, timezone="Europe/London"
    )
    case = ready_case(labs=labs_with(Lab("inr", 1.7, YESTERDAY)))
    assert only(run(case, policy), "sir-2019.inr.high-risk").status == "pass"
    assert only(run(case), "sir-2019.inr.high-risk").status == "action_needed"


@pytest.mark.parametrize(
    ("analyte", "rule_id"),
    [
        ("inr", "sir-2019.inr.high-risk"),
        ("platelets", "sir-2019.platelets.high-risk"),
        ("haemoglobin", "sir-2019.screening.high-risk"),
    ],
)
def test_high_risk_screening_is_required(analyte: str, rule_id: str) -> None:
    evaluation = run(ready_case(labs=labs_with(without=(analyte,))))
    finding = only(evaluation, rule_id)
    assert finding.status == "missing_data"
    assert evaluation.state == "not_ready" and evaluation.blocking


def test_missing_inr_message() -> None:
    finding = only(run(ready_case(labs=labs_with(without=("inr",)))), "sir-2019.inr.high-risk")
    assert finding.message == (
        "No INR in the last 30 days before the procedure (required before a high-bleeding-risk "
        "procedure)."
    )
    assert finding.inputs == {"inr": None, "validity_days": 30}


def test_haemoglobin_has_no_threshold_but_must_be_there() -> None:
    case = ready_case(labs=labs_with(Lab("haemoglobin", 40, YESTERDAY)))
    finding = only(run(case), "sir-2019.screening.high-risk")
    assert finding.status == "pass"
    assert matches(msg.HB_RECORDED, finding.message)


def test_low_risk_does_not_need_labs() -> None:
    evaluation = run(ready_case(procedure=procedure("low"), labs=()))
    assert evaluation.state == "ready"
    assert not [f for f in evaluation.findings if f.rule_id.startswith("sir-2019.inr")]


@pytest.mark.parametrize("drug", ["warfarin", "heparin_iv", "heparin_sc"])
def test_low_risk_consider_inr_for_listed_drugs(drug: str) -> None:
    case = ready_case(
        procedure=procedure("low"), labs=(), medications=(Medication(drug, doses_per_day=1),)
    )
    finding = only(run(case), "sir-2019.screening.low-risk")
    assert finding.status == "warning"
    assert matches(msg.LAB_CONSIDER_INR, finding.message)


def test_low_risk_consider_inr_silent_when_an_inr_is_on_file() -> None:
    case = ready_case(
        procedure=procedure("low"),
        labs=(Lab("inr", 1.1, YESTERDAY),),
        medications=(Medication("heparin_sc", doses_per_day=2),),
    )
    assert not run(case).by_rule("sir-2019.screening.low-risk")


def test_liver_disease_low_risk_ignores_inr() -> None:
    case = ready_case(
        procedure=procedure("low"), patient=LIVER, labs=labs_with(Lab("inr", 4.0, YESTERDAY))
    )
    evaluation = run(case)
    assert not [f for f in evaluation.findings if "inr" in f.inputs and f.inputs["inr"] is not None]
    assert evaluation.state == "ready"


def test_liver_disease_high_risk_requires_fibrinogen() -> None:
    evaluation = run(ready_case(patient=LIVER, labs=labs_with(without=("fibrinogen",))))
    found = [f for f in evaluation.by_rule("sir-2019.cld.high-risk") if "fibrinogen" in f.inputs]
    assert [f.status for f in found] == ["missing_data"]
    assert found[0].verified is False and found[0].confidence == "U"


@pytest.mark.parametrize(
    ("collected", "status"),
    [
        # Validity counts from local midnight 30 days before the procedure date.
        (START.replace(hour=0) - timedelta(days=30), "pass"),
        (START.replace(hour=0) - timedelta(days=30, minutes=1), "missing_data"),
        (NOW + timedelta(minutes=1), "missing_data"),  # after the evaluation: not yet known
    ],
)
def test_lab_validity_window(collected: object, status: str) -> None:
    case = ready_case(labs=labs_with(Lab("inr", 1.0, collected)))  # type: ignore[arg-type]
    assert only(run(case), "sir-2019.inr.high-risk").status == status


def test_site_can_shorten_the_validity_window() -> None:
    policy = SitePolicy.from_mapping(
        {"irflow-site.lab-validity": {"inr_days": 1}}, timezone="Europe/London"
    )
    case = ready_case(labs=labs_with(Lab("inr", 1.0, NOW - timedelta(days=3))))
    finding = only(run(case, policy), "sir-2019.inr.high-risk")
    assert finding.status == "missing_data"
    assert "last 1 days" in finding.message


def test_latest_result_wins_and_ties_take_the_worse_value() -> None:
    older = Lab("inr", 3.0, YESTERDAY - timedelta(days=2))
    newer = Lab("inr", 1.1, YESTERDAY)
    assert (
        only(run(ready_case(labs=labs_with(older, newer))), "sir-2019.inr.high-risk").status
        == "pass"
    )
    tie = (Lab("inr", 1.1, YESTERDAY), Lab("inr", 1.9, YESTERDAY))
    assert (
        only(run(ready_case(labs=labs_with(*tie))), "sir-2019.inr.high-risk").status
        == "action_needed"
    )


# ---------------------------------------------------------------- category


def test_category_from_catalogue() -> None:
    finding = only(run(ready_case()), "sir-2019.category")
    assert finding.status == "pass"
    assert finding.message == msg.CATEGORY_FROM_CATALOGUE.format(risk="High")


def test_operator_decides_without_a_choice_cannot_be_ready() -> None:
    case = ready_case(procedure=procedure("operator_decides"))
    evaluation = run(case)
    finding = only(evaluation, "sir-2019.category")
    assert finding.status == "action_needed"
    assert finding.message == msg.CATEGORY_OPERATOR_PENDING
    assert finding.inputs["evaluated_as"] == "high"
    assert evaluation.state == "not_ready"


def test_operator_decides_is_checked_as_high_risk_until_chosen() -> None:
    case = ready_case(
        procedure=procedure("operator_decides"), labs=labs_with(Lab("inr", 1.7, YESTERDAY))
    )
    assert only(run(case), "sir-2019.inr.high-risk").status == "action_needed"


@pytest.mark.parametrize("choice", ["low", "high"])
def test_operator_choice_recorded(choice: str) -> None:
    case = ready_case(procedure=procedure("operator_decides", operator_choice=choice))
    evaluation = run(case)
    finding = only(evaluation, "sir-2019.category")
    assert finding.status == "pass"
    assert finding.message == msg.CATEGORY_OPERATOR_CHOSE.format(risk=choice)
    assert evaluation.by_rule(f"sir-2019.platelets.{choice}-risk")
    assert evaluation.state == "ready"


def test_missing_category_is_missing_data() -> None:
    evaluation = run(ready_case(procedure=procedure(None)))
    assert only(evaluation, "sir-2019.category").status == "missing_data"
    assert evaluation.by_rule("sir-2019.inr.high-risk")
