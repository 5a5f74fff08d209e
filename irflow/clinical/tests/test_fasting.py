"""Fasting: every intake kind and sedation level, urgent flagging, instruction times over DST."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from irflow.clinical import Intake, SitePolicy, fasting_plan
from irflow.clinical import messages as msg
from irflow.clinical.tests.helpers import LONDON, NEW_YORK, START, only, ready_case, run
from irflow.clinical.tests.templates import matches

HOURS = {"clear": 2, "breast_milk": 4, "non_human_milk": 6, "light_meal": 6, "fatty_meal": 8}


@pytest.mark.parametrize("kind", list(HOURS))
@pytest.mark.parametrize(
    ("late_by", "status"), [(timedelta(0), "pass"), (timedelta(minutes=1), "action_needed")]
)
def test_each_intake_kind_on_both_sides(kind: str, late_by: timedelta, status: str) -> None:
    intake = Intake(kind, START - timedelta(hours=HOURS[kind]) + late_by)  # type: ignore[arg-type]
    case = ready_case(sedation="moderate", last_intake=(intake,))
    evaluation = run(case)
    finding = only(evaluation, "asa-fasting.elective")
    assert finding.status == status
    assert matches(msg.FASTED if status == "pass" else msg.NOT_FASTED, finding.message)
    assert evaluation.blocking is (status != "pass")


def test_not_fasted_message() -> None:
    case = ready_case(
        sedation="deep", last_intake=(Intake("light_meal", START - timedelta(hours=5)),)
    )
    assert only(run(case), "asa-fasting.elective").message == (
        "Not fasted for deep sedation: light meal at Wed 16 Jul 04:00 needs 6 h "
        "(until Wed 16 Jul 10:00)."
    )


@pytest.mark.parametrize("sedation", ["none", "local"])
def test_no_fasting_without_sedation(sedation: str) -> None:
    finding = only(run(ready_case(sedation=sedation)), "asa-fasting.applies")
    assert finding.status == "pass"
    assert matches(msg.FASTING_NOT_NEEDED, finding.message)


@pytest.mark.parametrize("sedation", ["minimal", "moderate", "deep", "general"])
def test_sedation_levels_that_need_fasting(sedation: str) -> None:
    missing = run(ready_case(sedation=sedation, last_intake=None))
    assert only(missing, "asa-fasting.elective").status == "missing_data"
    assert missing.fasting is not None and missing.fasting.sedation == sedation
    nothing = only(run(ready_case(sedation=sedation, last_intake=())), "asa-fasting.elective")
    assert nothing.status == "pass"
    assert msg.FASTED_NOTHING in nothing.message


def test_unrecorded_sedation_plan_is_missing_data() -> None:
    finding = only(run(ready_case(sedation=None)), "asa-fasting.applies")
    assert (finding.status, finding.message) == ("missing_data", msg.SEDATION_MISSING)


@pytest.mark.parametrize("urgency", ["urgent", "emergent"])
def test_urgent_cases_are_flagged_not_blocked(urgency: str) -> None:
    case = ready_case(
        urgency=urgency,
        sedation="moderate",
        last_intake=(Intake("fatty_meal", START - timedelta(hours=1)),),
    )
    evaluation = run(case)
    finding = only(evaluation, "asa-fasting.urgent")
    assert finding.status == "warning"
    assert matches(msg.NOT_FASTED_URGENT, finding.message)
    assert evaluation.state == "needs_review"
    assert evaluation.blocking is False


def test_site_can_exempt_minimal_sedation() -> None:
    site = SitePolicy.from_mapping(
        {"asa-fasting.applies": {"sedation_levels": ["moderate", "deep", "general"]}},
        timezone="Europe/London",
    )
    finding = only(
        run(ready_case(sedation="minimal", last_intake=None), site), "asa-fasting.applies"
    )
    assert finding.status == "pass"


def test_instructions_across_the_london_spring_change() -> None:
    start = datetime(2025, 3, 30, 7, 0, tzinfo=LONDON)  # 06:00 UTC
    plan = fasting_plan(
        planned_start=start, sedation="moderate", policy=SitePolicy(timezone="Europe/London")
    )
    assert plan is not None
    assert plan.latest["fatty_meal"] == datetime(2025, 3, 29, 22, 0, tzinfo=LONDON)  # GMT
    assert plan.latest["light_meal"] == datetime(2025, 3, 30, 0, 0, tzinfo=LONDON)  # GMT
    assert plan.latest["non_human_milk"] == datetime(2025, 3, 30, 0, 0, tzinfo=LONDON)
    assert plan.latest["breast_milk"] == datetime(2025, 3, 30, 3, 0, tzinfo=LONDON)  # BST
    assert plan.latest["clear"] == datetime(2025, 3, 30, 5, 0, tzinfo=LONDON)  # BST
    assert plan.message == "No solid food after Sat 29 Mar 22:00, clear fluids until 05:00."
    assert plan.detail == (
        "Latest times by kind: fatty meal Sat 29 Mar 22:00; formula or non-human milk 00:00; "
        "light meal 00:00; breast milk 03:00; clear fluids 05:00."
    )


def test_instructions_across_the_new_york_autumn_change() -> None:
    start = datetime(2025, 11, 2, 6, 0, tzinfo=NEW_YORK)  # 11:00 UTC, EST
    plan = fasting_plan(
        planned_start=start, sedation="general", policy=SitePolicy(timezone="America/New_York")
    )
    assert plan is not None
    assert plan.solid_food_until == datetime(2025, 11, 1, 23, 0, tzinfo=NEW_YORK)  # 03:00 UTC, EDT
    assert plan.latest["light_meal"].utcoffset() == timedelta(hours=-4)  # 01:00 EDT
    assert plan.clear_fluids_until == datetime(2025, 11, 2, 4, 0, tzinfo=NEW_YORK)  # 09:00 UTC
    assert plan.message == "No solid food after Sat 01 Nov 23:00, clear fluids until 04:00."


def test_no_plan_for_local_anaesthesia() -> None:
    assert fasting_plan(planned_start=START, sedation="local") is None
