"""Contrast: eGFR bands and route, dialysis, AKI, prior reactions and premedication times."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from irflow.clinical import (
    Allergy,
    CaseInput,
    Lab,
    PatientInput,
    ScheduledDose,
    SitePolicy,
    premedication_schedule,
)
from irflow.clinical import messages as msg
from irflow.clinical.contrast import suggested_regimen
from irflow.clinical.tests.helpers import (
    LONDON,
    NEW_YORK,
    NOW,
    YESTERDAY,
    labs_with,
    only,
    ready_case,
    run,
)
from irflow.clinical.tests.templates import matches

IV_EGFR = "acr-nkf-2020.iv-egfr"


def iv(**kw: Any) -> CaseInput:
    return ready_case(contrast_route="iv", **kw)


@pytest.mark.parametrize(
    ("egfr", "status", "template"),
    [
        (45, "pass", msg.EGFR_OK),
        (44.9, "warning", msg.EGFR_CONSIDER),
        (30, "warning", msg.EGFR_CONSIDER),
        (29.9, "action_needed", msg.EGFR_LOW),
    ],
)
@pytest.mark.parametrize("route", ["iv", "ia_second_pass", "ia_first_pass"])
def test_egfr_bands(egfr: float, status: str, template: str, route: str) -> None:
    case = ready_case(contrast_route=route, labs=labs_with(Lab("egfr", egfr, YESTERDAY)))
    evaluation = run(case)
    finding = only(evaluation, IV_EGFR)
    assert finding.status == status
    assert matches(template, finding.message)
    route_findings = evaluation.by_rule("acr-nkf-2020.route")
    if route == "ia_first_pass":
        assert [f.status for f in route_findings] == ["warning"]
        assert route_findings[0].message == msg.ROUTE_ARTERIAL_FIRST
        assert evaluation.state != "ready"
    else:
        assert not route_findings


def test_egfr_messages() -> None:
    case = iv(labs=labs_with(Lab("egfr", 25, YESTERDAY)))
    assert only(run(case), IV_EGFR).message == (
        "eGFR 25 on Tue 15 Jul is below 30: IV saline prophylaxis indicated unless contraindicated."
    )


def test_missing_egfr_is_missing_data() -> None:
    finding = only(run(iv(labs=labs_with(without=("egfr",)))), IV_EGFR)
    assert finding.status == "missing_data"
    assert finding.message == msg.EGFR_MISSING.format(days=30, route="intravenous")


def test_no_contrast_means_no_kidney_or_allergy_findings() -> None:
    evaluation = run(
        ready_case(contrast_route="none", labs=labs_with(without=("egfr",)), allergies=None)
    )
    assert not [f for f in evaluation.findings if f.rule_set.startswith("acr")]
    assert evaluation.state == "ready"


def test_unrecorded_contrast_plan_is_missing_data() -> None:
    finding = only(run(ready_case(contrast_route=None)), "acr-nkf-2020.route")
    assert (finding.status, finding.message) == ("missing_data", msg.CONTRAST_PLAN_MISSING)


@pytest.mark.parametrize(
    ("anuric", "status", "text"),
    [
        (True, "pass", msg.DIALYSIS_ANURIC),
        (None, "missing_data", msg.DIALYSIS_ANURIA_UNKNOWN),
        (False, "warning", msg.DIALYSIS_RESIDUAL),
    ],
)
def test_dialysis(anuric: bool | None, status: str, text: str) -> None:
    patient = PatientInput(age_years=60, weight_kg=70, sex="male", on_dialysis=True, anuric=anuric)
    evaluation = run(iv(patient=patient, labs=labs_with(Lab("egfr", 5, YESTERDAY))))
    finding = only(evaluation, "acr-nkf-2020.dialysis")
    assert (finding.status, finding.message) == (status, text)
    assert not evaluation.by_rule(IV_EGFR)


def test_acute_kidney_injury_needs_prophylaxis_whatever_the_egfr() -> None:
    patient = PatientInput(age_years=60, weight_kg=70, sex="male", acute_kidney_injury=True)
    evaluation = run(iv(patient=patient))
    assert only(evaluation, "acr-nkf-2020.aki").status == "action_needed"
    assert only(evaluation, IV_EGFR).status == "pass"
    assert evaluation.state == "not_ready"


def test_kdigo_site_option() -> None:
    case = iv(labs=labs_with(Lab("egfr", 44, YESTERDAY)))
    assert not run(case).by_rule("acr-nkf-2020.kdigo-alternative")
    site = SitePolicy.from_mapping(
        {"acr-nkf-2020.kdigo-alternative": {"enabled": True}}, timezone="Europe/London"
    )
    finding = only(run(case, site), "acr-nkf-2020.kdigo-alternative")
    assert finding.status == "action_needed"
    assert matches(msg.KDIGO_HIGH, finding.message)
    assert not run(iv(labs=labs_with(Lab("egfr", 45, YESTERDAY))), site).by_rule(
        "acr-nkf-2020.kdigo-alternative"
    )


def test_second_pass_can_be_reviewed_like_first_pass() -> None:
    site = SitePolicy.from_mapping(
        {"acr-nkf-2020.route.ia-second-pass": {"apply_iv_bands": False}}, timezone="Europe/London"
    )
    finding = only(
        run(ready_case(contrast_route="ia_second_pass"), site), "acr-nkf-2020.route.ia-second-pass"
    )
    assert (finding.status, finding.verified) == ("warning", False)


# ---------------------------------------------------------------- allergies


def test_prior_contrast_reaction_needs_premedication() -> None:
    evaluation = run(iv(allergies=(Allergy("iodinated_contrast", severity="moderate"),)))
    finding = only(evaluation, "acr-contrast-premedication.prior-reaction")
    assert finding.status == "action_needed"
    assert matches(msg.PREMED_NEEDED, finding.message)
    assert "Prednisone 50 mg by mouth 13, 7 and 1 h before contrast" in finding.message
    assert finding.inputs["suggested_regimen"] == "prednisone"
    assert [d.drug for d in evaluation.premedication] == [
        "prednisone",
        "prednisone",
        "diphenhydramine",
        "prednisone",
    ]


@pytest.mark.parametrize("urgency", ["urgent", "emergent"])
def test_urgent_cases_get_the_accelerated_regimen(urgency: str) -> None:
    evaluation = run(iv(urgency=urgency, allergies=(Allergy("iodinated_contrast"),)))
    finding = only(evaluation, "acr-contrast-premedication.prior-reaction")
    assert finding.inputs["suggested_regimen"] == "accelerated_iv"
    assert evaluation.premedication[0].at == NOW  # first dose now


def test_planned_premedication_passes() -> None:
    case = iv(allergies=(Allergy("iodinated_contrast"),), premedication="methylprednisolone")
    finding = only(run(case), "acr-contrast-premedication.prior-reaction")
    assert finding.status == "pass"
    assert matches(msg.PREMED_PLANNED, finding.message)


@pytest.mark.parametrize("agent", ["shellfish", "iodine"])
def test_shellfish_or_iodine_alone_needs_no_premedication(agent: str) -> None:
    evaluation = run(iv(allergies=(Allergy(agent, severity="severe"),)))  # type: ignore[arg-type]
    finding = only(evaluation, "acr-contrast-premedication.shellfish-iodine")
    assert (finding.status, finding.message, finding.confidence) == (
        "pass",
        msg.SHELLFISH_ONLY,
        "S",
    )
    assert evaluation.state == "ready"
    assert evaluation.premedication == ()


def test_contrast_allergy_with_shellfish_still_needs_premedication() -> None:
    allergies = (Allergy("shellfish"), Allergy("iodinated_contrast"))
    assert only(
        run(iv(allergies=allergies)), "acr-contrast-premedication.prior-reaction"
    ).status == ("action_needed")


def test_allergies_recorded_as_none() -> None:
    finding = only(
        run(iv(allergies=(Allergy("latex"),))), "acr-contrast-premedication.prior-reaction"
    )
    assert (finding.status, finding.message) == ("pass", msg.NO_CONTRAST_REACTION)


def test_allergies_not_recorded() -> None:
    finding = only(run(iv(allergies=None)), "acr-contrast-premedication.prior-reaction")
    assert (finding.status, finding.message) == ("missing_data", msg.ALLERGIES_MISSING)


def test_suggested_regimen_follows_site_choice() -> None:
    site = SitePolicy.from_mapping(
        {"acr-contrast-premedication.prior-reaction": {"elective_regimen": "methylprednisolone"}}
    )
    assert suggested_regimen("routine", site) == "methylprednisolone"
    assert suggested_regimen("urgent", site) == "accelerated_iv"


# ---------------------------------------------------------------- premedication times

LONDON_POLICY = SitePolicy(timezone="Europe/London")
NEW_YORK_POLICY = SitePolicy(timezone="America/New_York")


def times(doses: tuple[ScheduledDose, ...]) -> list[tuple[str, datetime, bool]]:
    return [(d.drug, d.at, d.optional) for d in doses]


def test_prednisone_across_the_london_spring_change() -> None:
    contrast = datetime(2025, 3, 30, 10, 0, tzinfo=LONDON)  # 09:00 UTC
    doses = premedication_schedule("prednisone", contrast, policy=LONDON_POLICY)
    assert times(doses) == [
        ("prednisone", datetime(2025, 3, 29, 20, 0, tzinfo=LONDON), False),  # 13 h: 20:00 GMT
        ("prednisone", datetime(2025, 3, 30, 3, 0, tzinfo=LONDON), False),  # 7 h: 02:00 UTC
        ("diphenhydramine", datetime(2025, 3, 30, 9, 0, tzinfo=LONDON), True),
        ("prednisone", datetime(2025, 3, 30, 9, 0, tzinfo=LONDON), False),
    ]
    assert [d.dose_mg for d in doses] == [50, 50, 50, 50]
    assert doses[0].at.utcoffset() == timedelta(0)
    assert doses[1].at.utcoffset() == timedelta(hours=1)


def test_methylprednisolone_across_the_new_york_autumn_change() -> None:
    contrast = datetime(2025, 11, 2, 8, 0, tzinfo=NEW_YORK)  # 13:00 UTC, EST
    doses = premedication_schedule("methylprednisolone", contrast, policy=NEW_YORK_POLICY)
    assert times(doses) == [
        ("methylprednisolone", datetime(2025, 11, 1, 21, 0, tzinfo=NEW_YORK), False),  # 01:00 UTC
        ("methylprednisolone", datetime(2025, 11, 2, 6, 0, tzinfo=NEW_YORK), False),
    ]
    assert [d.dose_mg for d in doses] == [32, 32]
    assert doses[0].at.utcoffset() == timedelta(hours=-4)


def test_prednisone_across_midnight() -> None:
    contrast = datetime(2025, 7, 16, 8, 0, tzinfo=LONDON)
    doses = premedication_schedule("prednisone", contrast, policy=LONDON_POLICY)
    assert doses[0].at == datetime(2025, 7, 15, 19, 0, tzinfo=LONDON)
    assert doses[1].at == datetime(2025, 7, 16, 1, 0, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("first", "contrast", "steroid_times", "antihistamine"),
    [
        # 5 h: steroid now and at +4 h; antihistamine 1 h before contrast.
        (
            datetime(2025, 7, 16, 8, 0, tzinfo=LONDON),
            datetime(2025, 7, 16, 13, 0, tzinfo=LONDON),
            [
                datetime(2025, 7, 16, 8, 0, tzinfo=LONDON),
                datetime(2025, 7, 16, 12, 0, tzinfo=LONDON),
            ],
            datetime(2025, 7, 16, 12, 0, tzinfo=LONDON),
        ),
        # Exactly 4 h: the second steroid dose falls at the contrast time (included).
        (
            datetime(2025, 7, 16, 8, 0, tzinfo=LONDON),
            datetime(2025, 7, 16, 12, 0, tzinfo=LONDON),
            [
                datetime(2025, 7, 16, 8, 0, tzinfo=LONDON),
                datetime(2025, 7, 16, 12, 0, tzinfo=LONDON),
            ],
            datetime(2025, 7, 16, 11, 0, tzinfo=LONDON),
        ),
        # Across the spring change: 00:30 GMT, then 4 real hours later 05:30 BST.
        (
            datetime(2025, 3, 30, 0, 30, tzinfo=LONDON),
            datetime(2025, 3, 30, 5, 30, tzinfo=LONDON),
            [
                datetime(2025, 3, 30, 0, 30, tzinfo=LONDON),
                datetime(2025, 3, 30, 5, 30, tzinfo=LONDON),
            ],
            datetime(2025, 3, 30, 4, 30, tzinfo=LONDON),
        ),
    ],
)
def test_accelerated_regimen(
    first: datetime, contrast: datetime, steroid_times: list[datetime], antihistamine: datetime
) -> None:
    doses = premedication_schedule(
        "accelerated_iv", contrast, first_dose_at=first, policy=LONDON_POLICY
    )
    steroids = [d for d in doses if d.drug == "methylprednisolone"]
    assert [d.at for d in steroids] == steroid_times
    assert all(
        d.dose_mg == 40 and d.route == "iv" and d.alternative == "hydrocortisone 200 mg"
        for d in steroids
    )
    (diphenhydramine,) = [d for d in doses if d.drug == "diphenhydramine"]
    assert diphenhydramine.at == antihistamine and not diphenhydramine.optional


def test_accelerated_regimen_needs_a_valid_first_dose() -> None:
    contrast = datetime(2025, 7, 16, 12, 0, tzinfo=LONDON)
    with pytest.raises(ValueError, match=msg.PREMED_NEEDS_FIRST_DOSE):
        premedication_schedule("accelerated_iv", contrast)
    with pytest.raises(ValueError, match=msg.PREMED_FIRST_AFTER_CONTRAST):
        premedication_schedule(
            "accelerated_iv", contrast, first_dose_at=contrast + timedelta(minutes=1)
        )
    with pytest.raises(ValueError):
        premedication_schedule("aspirin", contrast)  # type: ignore[arg-type]
