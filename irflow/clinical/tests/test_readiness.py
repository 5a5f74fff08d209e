"""The evaluation as a whole: consent, emergent flagging, state aggregation, medications."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, time, timedelta

import pytest

from irflow.clinical import (
    CaseInput,
    Finding,
    InputError,
    Lab,
    Medication,
    PatientInput,
    ProcedureInput,
    SitePolicy,
    aggregate_state,
    evaluate,
    ruleset,
)
from irflow.clinical import messages as msg
from irflow.clinical.tests.helpers import (
    END,
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

CONSENT = "checklists.sign-in.consent"
AM_PM = (time(8), time(20))


def test_baseline_case_is_ready() -> None:
    evaluation = run(ready_case())
    assert evaluation.state == "ready"
    assert evaluation.blocking is False and evaluation.emergent_override is False
    assert all(f.status == "pass" for f in evaluation.findings)


@pytest.mark.parametrize(
    ("consent", "status", "text", "state"),
    [
        ("signed", "pass", msg.CONSENT_SIGNED, "ready"),
        ("not_required", "pass", msg.CONSENT_NOT_REQUIRED, "ready"),
        ("pending", "action_needed", msg.CONSENT_PENDING, "not_ready"),
        (None, "missing_data", msg.CONSENT_MISSING, "not_ready"),
    ],
)
def test_consent_states(consent: str | None, status: str, text: str, state: str) -> None:
    evaluation = run(ready_case(consent=consent))
    finding = only(evaluation, CONSENT)
    assert (finding.status, finding.message) == (status, text)
    assert finding.rule_set == "checklists" and finding.confidence == "V"
    assert evaluation.state == state


def test_emergent_case_is_flagged_never_blocked() -> None:
    case = ready_case(urgency="emergent", consent="pending", labs=())
    evaluation = run(case)
    assert evaluation.state == "not_ready"  # still shows what is missing
    assert evaluation.blocking is False
    assert evaluation.emergent_override is True
    assert evaluation.notice == msg.EMERGENT_NOTICE
    assert only(evaluation, "sir-2019.inr.high-risk").status == "missing_data"


@pytest.mark.parametrize("urgency", ["urgent", "routine"])
def test_other_urgencies_block_when_not_ready(urgency: str) -> None:
    evaluation = run(ready_case(urgency=urgency, consent="pending"))
    assert evaluation.blocking is True and evaluation.emergent_override is False


def _finding(status: str) -> Finding:
    return Finding("r", "s", "1", "src", "V", True, status, "m")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("statuses", "state"),
    [
        ([], "ready"),
        (["pass"], "ready"),
        (["pass", "warning"], "needs_review"),
        (["warning", "missing_data"], "not_ready"),
        (["pass", "action_needed"], "not_ready"),
        (["missing_data"], "not_ready"),
    ],
)
def test_aggregation(statuses: list[str], state: str) -> None:
    assert aggregate_state([_finding(s) for s in statuses]) == state


def test_to_dict_is_json_and_names_rules_sources_versions() -> None:
    case = ready_case(
        contrast_route="iv",
        sedation="moderate",
        last_intake=(),
        medications=(
            Medication("apixaban", dose_times=AM_PM, last_dose_at=NOW - timedelta(days=1)),
        ),
    )
    data = run(case).to_dict()
    text = json.dumps(data)
    assert json.loads(text) == data
    assert data["rule_sets"]["sir-2019"] == ruleset("sir-2019").version
    assert data["timezone"] == "Europe/London"
    assert data["evaluated_at"] == NOW.isoformat()
    for finding in data["findings"]:
        assert {
            "rule_id",
            "rule_set",
            "rule_set_version",
            "source",
            "confidence",
            "verified",
        } <= set(finding)
        assert finding["source"]
    assert data["medication_plan"][0]["drug"] == "apixaban"
    assert data["fasting"]["sedation"] == "moderate"


def test_evaluation_is_deterministic_and_uses_now_not_the_clock() -> None:
    case = ready_case()
    assert run(case).to_dict() == run(case).to_dict()
    later = run(case, now=NOW + timedelta(days=60))
    assert only(later, "sir-2019.inr.high-risk").status == "pass"  # labs judged against the start


def test_naive_now_is_refused() -> None:
    with pytest.raises(InputError):
        evaluate(ready_case(), now=datetime(2025, 7, 15, 12, 0))


@pytest.mark.parametrize(
    "build",
    [
        lambda: Lab("inr", float("nan"), YESTERDAY),
        lambda: Lab("inr", -1, YESTERDAY),
        lambda: Lab("inr", 1, datetime(2025, 7, 15)),
        lambda: Lab("potassium", 4, YESTERDAY),  # type: ignore[arg-type]
        lambda: Medication(""),
        lambda: Medication("apixaban", doses_per_day=0),
        lambda: Medication("apixaban", dose_times=("08:00",)),  # type: ignore[arg-type]
        lambda: PatientInput(weight_kg=-3),
        lambda: PatientInput(sex="x"),  # type: ignore[arg-type]
        lambda: ProcedureInput("c", "n", "medium"),  # type: ignore[arg-type]
        lambda: replace(ready_case(), planned_end=START - timedelta(minutes=1)),
        lambda: replace(ready_case(), urgency="soon"),  # type: ignore[arg-type]
        lambda: replace(ready_case(), planned_start=datetime(2025, 7, 16, 9)),
    ],
)
def test_malformed_inputs_are_refused_with_the_field(build: object) -> None:
    with pytest.raises(InputError) as info:
        build()  # type: ignore[operator]
    assert info.value.field in str(info.value)


# ---------------------------------------------------------------- medication findings

APIXABAN = "sir-2019.hold.apixaban"


def apixaban_case(last_dose_at: datetime | None, **patient: object) -> CaseInput:
    return ready_case(
        medications=(
            Medication("apixaban", doses_per_day=2, dose_times=AM_PM, last_dose_at=last_dose_at),
        ),
        patient=PatientInput(**{"age_years": 60, "weight_kg": 75, "sex": "female", **patient}),  # type: ignore[arg-type]
    )


# The apixaban hold (4 doses) starts Mon 14 Jul 09:00; evaluation at Tue 15 Jul 12:00.
@pytest.mark.parametrize(
    ("last", "status", "template"),
    [
        (datetime(2025, 7, 14, 8, 0, tzinfo=START.tzinfo), "pass", msg.MED_HELD),
        (datetime(2025, 7, 14, 9, 0, tzinfo=START.tzinfo), "pass", msg.MED_HELD),
        (
            datetime(2025, 7, 14, 20, 0, tzinfo=START.tzinfo),
            "action_needed",
            msg.MED_DOSE_IN_WINDOW,
        ),
        (None, "missing_data", msg.MED_LAST_DOSE_MISSING),
        (
            NOW + timedelta(hours=1),
            "missing_data",
            msg.MED_LAST_DOSE_MISSING,
        ),  # future: not taken yet
    ],
)
def test_hold_confirmation(last: datetime | None, status: str, template: str) -> None:
    finding = only(run(apixaban_case(last)), APIXABAN)
    assert finding.status == status
    assert matches(template, finding.message)
    assert finding.verified is False


def test_hold_not_started_yet_is_a_reminder() -> None:
    early = datetime(2025, 7, 10, 12, 0, tzinfo=START.tzinfo)
    creatinine = Lab("creatinine", 80, early - timedelta(days=1))
    case = replace(apixaban_case(None), labs=labs_with(creatinine))
    finding = only(run(case, now=early), APIXABAN)
    assert finding.status == "warning"
    assert matches(msg.MED_HOLD_UPCOMING, finding.message)


def test_crcl_needed_but_unknown_is_missing_data() -> None:
    last = datetime(2025, 7, 13, 8, 0, tzinfo=START.tzinfo)
    finding = only(run(apixaban_case(last, weight_kg=None)), APIXABAN)
    assert finding.status == "missing_data"
    assert matches(msg.MED_CRCL_MISSING, finding.message)
    assert finding.inputs["weight_kg"] is None


def test_crcl_band_follows_cockcroft_gault() -> None:
    # Female, 60 y, 75 kg, creatinine 80 µmol/L: (140-60)*75*1.04/80 = 78 mL/min -> 4 doses.
    evaluation = run(apixaban_case(None))
    assert evaluation.medication_plan[0].hold_amount == 4
    assert only(evaluation, APIXABAN).inputs["crcl_ml_min"] == 78.0
    # Creatinine 130: 48 mL/min -> 6 doses.
    case = replace(apixaban_case(None), labs=labs_with(Lab("creatinine", 130, YESTERDAY)))
    assert run(case).medication_plan[0].hold_amount == 6


@pytest.mark.parametrize(
    ("inr", "status", "template"),
    [
        (2.0, "pass", msg.MED_INR_OK),
        (2.1, "action_needed", msg.MED_INR_HIGH),
        (None, "missing_data", msg.MED_INR_MISSING),
    ],
)
def test_low_risk_warfarin_checks_inr(inr: float | None, status: str, template: str) -> None:
    labs = labs_with(Lab("inr", inr, YESTERDAY)) if inr is not None else labs_with(without=("inr",))
    case = ready_case(procedure=procedure("low"), labs=labs, medications=(Medication("warfarin"),))
    finding = only(run(case), "sir-2019.low-risk.warfarin")
    assert finding.status == status
    assert matches(template, finding.message)


def test_continue_and_team_decision_findings() -> None:
    case = ready_case(
        procedure=procedure("low"), medications=(Medication("apixaban"), Medication("cangrelor"))
    )
    evaluation = run(case)
    assert only(evaluation, "sir-2019.low-risk.do-not-withhold").status == "pass"
    assert only(evaluation, "sir-2019.hold.not-covered").status == "warning"
    assert evaluation.state == "needs_review"
    assert evaluation.blocking is False


def test_medication_list_not_recorded() -> None:
    finding = only(run(ready_case(medications=None)), "sir-2019.medications.review")
    assert (finding.status, finding.message) == ("missing_data", msg.MEDS_MISSING)


def test_restart_uses_the_planned_end() -> None:
    evaluation = run(apixaban_case(None))
    assert evaluation.medication_plan[0].restart_not_before == END + timedelta(hours=24)


def test_unrecorded_frequency_for_a_hold_in_doses_is_missing_data() -> None:
    last = datetime(2025, 7, 13, 8, 0, tzinfo=START.tzinfo)
    case = ready_case(medications=(Medication("apixaban", dose_times=AM_PM, last_dose_at=last),))
    finding = only(run(case), APIXABAN)
    assert finding.status == "missing_data"
    assert matches(msg.MED_FREQUENCY_MISSING, finding.message)
    assert finding.inputs["frequency_recorded"] is False


BRIDGING = "sir-2019.warfarin.bridging"
LMWH = "low-molecular-weight heparin (LMWH)"


def warfarin_case(bleeding_risk: str, thrombotic_risk: str | None) -> CaseInput:
    """Warfarin held (high bleeding risk) or continued (low), every other rule passing."""
    warfarin = Medication(
        "warfarin", doses_per_day=1, dose_times=(time(18),), last_dose_at=START - timedelta(days=7)
    )
    return ready_case(
        procedure=procedure(bleeding_risk),
        patient=PatientInput(
            age_years=60, weight_kg=75, sex="female", thrombotic_risk=thrombotic_risk
        ),
        medications=(warfarin,),
    )


# (bleeding risk, thrombotic risk, status of the bridging finding, its message)
BRIDGING_TABLE = [
    ("high", None, "warning", msg.BRIDGING_RISK_MISSING.format(label="Warfarin")),
    ("low", None, "warning", msg.BRIDGING_RISK_MISSING.format(label="Warfarin")),
    (
        "high",
        "high",
        "warning",
        msg.BRIDGING_NEEDED.format(label="Warfarin", risk="high", agent=LMWH),
    ),
    (
        "low",
        "high",
        "warning",
        msg.BRIDGING_NEEDED.format(label="Warfarin", risk="high", agent=LMWH),
    ),
    (
        "high",
        "moderate",
        "pass",
        msg.BRIDGING_NOT_NEEDED.format(label="Warfarin", risk="moderate", levels="high"),
    ),
    (
        "high",
        "low",
        "pass",
        msg.BRIDGING_NOT_NEEDED.format(label="Warfarin", risk="low", levels="high"),
    ),
]


@pytest.mark.parametrize(("bleeding", "thrombotic", "status", "text"), BRIDGING_TABLE)
def test_warfarin_asks_for_the_thrombotic_risk_and_bridges_the_high(
    bleeding: str, thrombotic: str | None, status: str, text: str
) -> None:
    evaluation = run(warfarin_case(bleeding, thrombotic))
    finding = only(evaluation, BRIDGING)
    assert (finding.status, finding.message) == (status, text)
    assert finding.inputs["thrombotic_risk"] == thrombotic
    assert finding.confidence == "U" and finding.verified is False
    bridge_note = msg.NOTE_BRIDGE.format(risk="high", label="Warfarin", agent=LMWH)
    assert (bridge_note in evaluation.medication_plan[0].notes) == (thrombotic == "high")


@pytest.mark.parametrize(
    ("thrombotic", "state"),
    [(None, "needs_review"), ("high", "needs_review"), ("moderate", "ready"), ("low", "ready")],
)
def test_an_unrecorded_thrombotic_risk_needs_review_but_does_not_block(
    thrombotic: str | None, state: str
) -> None:
    labs = labs_with(Lab("inr", 1.2, YESTERDAY))
    evaluation = run(replace(warfarin_case("high", thrombotic), labs=labs))
    assert only(evaluation, "sir-2019.hold.warfarin").status == "pass"
    assert evaluation.state == state and evaluation.blocking is False


def test_the_site_may_bridge_moderate_risk_and_name_another_bridge() -> None:
    site = SitePolicy.from_mapping(
        {BRIDGING: {"bridge_levels": ["moderate", "high"], "bridge_with": "IV heparin"}},
        timezone="Europe/London",
    )
    finding = only(run(warfarin_case("high", "moderate"), policy=site), BRIDGING)
    assert finding.status == "warning"
    assert finding.message == msg.BRIDGING_NEEDED.format(
        label="Warfarin", risk="moderate", agent="IV heparin"
    )
    low = only(run(warfarin_case("high", "low"), policy=site), BRIDGING)
    assert low.message == msg.BRIDGING_NOT_NEEDED.format(
        label="Warfarin", risk="low", levels="moderate or high"
    )


def test_only_warfarin_asks_for_the_thrombotic_risk() -> None:
    case = ready_case(medications=(Medication("apixaban", doses_per_day=2, dose_times=AM_PM),))
    assert not run(case).by_rule(BRIDGING)


def test_a_thrombotic_risk_outside_the_vocabulary_is_refused() -> None:
    with pytest.raises(InputError) as exc:
        PatientInput(thrombotic_risk="very high")  # type: ignore[arg-type]
    assert exc.value.field == "thrombotic_risk"
