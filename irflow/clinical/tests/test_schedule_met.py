"""Same-day schedules: a timed instruction whose time has passed when the plan is made or read
is a finding, never a pass — premedication (each regimen, both sides of its first dose and of
the accelerated regimen's 4 h), the fast, and antithrombotic holds."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest

from irflow.clinical import Allergy, Intake, Medication, SitePolicy
from irflow.clinical import messages as msg
from irflow.clinical.contrast import PRIOR_REACTION, SCHEDULE
from irflow.clinical.tests.helpers import START, only, ready_case, run
from irflow.clinical.tests.templates import matches

MINUTE = timedelta(minutes=1)
CONTRAST = (Allergy("iodinated_contrast", severity="moderate"),)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def premed_case(**kw: Any):
    return ready_case(contrast_route="iv", allergies=CONTRAST, **kw)


def premed_finding(evaluation):
    found = evaluation.by_rule(PRIOR_REACTION) + evaluation.by_rule(SCHEDULE)
    (finding,) = found
    return finding


# (regimen planned, planned this long before contrast, schedule met)
PLANNED = [
    ("prednisone", hours(13), True),  # first dose 13 h before: told just in time
    ("prednisone", hours(13) - MINUTE, False),
    ("methylprednisolone", hours(12), True),
    ("methylprednisolone", hours(12) - MINUTE, False),
    ("accelerated_iv", hours(4), True),  # the regimen's minimum duration
    ("accelerated_iv", hours(4) - MINUTE, False),
]


@pytest.mark.parametrize(("regimen", "before", "met"), PLANNED)
def test_a_planned_schedule_is_met_only_if_its_first_dose_was_still_ahead(
    regimen: str, before: timedelta, met: bool
) -> None:
    told = START - before
    case = premed_case(premedication=regimen, premedication_planned_at=told)
    evaluation = run(case, now=told)
    finding = premed_finding(evaluation)
    assert finding.inputs["schedule_met"] is met
    if met:
        assert (finding.rule_id, finding.status) == (PRIOR_REACTION, "pass")
        assert evaluation.premedication  # the letter gets the times
    else:
        assert (finding.rule_id, finding.status) == (SCHEDULE, "action_needed")
        assert matches(msg.PREMED_TOO_LATE, finding.message)
        assert evaluation.premedication == ()  # never hand out times that have passed
        assert evaluation.state == "not_ready"


def test_a_plan_made_in_time_stays_met_when_read_later() -> None:
    # Planned the day before; read at 07:00 on the day, after the first prednisone dose.
    case = premed_case(premedication="prednisone", premedication_planned_at=START - hours(24))
    finding = premed_finding(run(case, now=START - hours(2)))
    assert (finding.rule_id, finding.status) == (PRIOR_REACTION, "pass")


def test_without_a_planning_time_the_reading_time_stands_in() -> None:
    case = premed_case(premedication="prednisone")
    assert premed_finding(run(case, now=START - hours(13))).status == "pass"
    assert premed_finding(run(case, now=START - hours(13) + MINUTE)).status == "action_needed"


# (now, before contrast; what the finding offers instead)
INSTEAD = [
    (hours(4), msg.PREMED_USE_ACCELERATED),
    (hours(4) - MINUTE, msg.PREMED_LATER_SLOT),
]


@pytest.mark.parametrize(("before", "instead"), INSTEAD)
def test_a_missed_schedule_names_the_regimen_that_still_fits_or_a_later_slot(
    before: timedelta, instead: str
) -> None:
    told = START - before
    case = premed_case(premedication="prednisone", premedication_planned_at=told)
    finding = premed_finding(run(case, now=told))
    tail = finding.message.split("). ", 1)[1]
    assert matches(instead, tail), finding.message


# Nothing planned yet, routine: the elective regimen while it fits, then the accelerated one.
SUGGESTED = [
    (hours(13), "prednisone", True),
    (hours(13) - MINUTE, "accelerated_iv", True),
    (hours(4), "accelerated_iv", True),
    (hours(4) - MINUTE, "accelerated_iv", False),
]


@pytest.mark.parametrize(("before", "regimen", "fits"), SUGGESTED)
def test_the_suggested_regimen_is_one_that_still_fits(
    before: timedelta, regimen: str, fits: bool
) -> None:
    finding = premed_finding(run(premed_case(), now=START - before))
    assert finding.status == "action_needed"
    assert finding.inputs["suggested_regimen"] == regimen
    assert finding.inputs["schedule_met"] is fits
    assert matches(msg.PREMED_NEEDED, finding.message) or not fits
    if not fits:
        assert "book a slot from" in finding.message


FASTING = "asa-fasting.elective"


@pytest.mark.parametrize(
    ("before", "due"),
    [
        (hours(8), True),  # moderate sedation: no solids in the last 8 h
        (hours(8) + MINUTE, False),
    ],
)
def test_a_fast_already_due_with_nothing_recorded_says_so(before: timedelta, due: bool) -> None:
    case = ready_case(sedation="moderate", last_intake=None)
    finding = only(run(case, now=START - before), FASTING)
    assert finding.status == "missing_data"
    assert ("The fast is already due" in finding.message) is due


def test_a_fast_that_was_kept_passes_whenever_it_is_read() -> None:
    meal = Intake("fatty_meal", START - hours(9))
    case = ready_case(sedation="moderate", last_intake=(meal,))
    assert only(run(case, now=START - hours(1)), FASTING).status == "pass"


CLOPIDOGREL = Medication("clopidogrel", doses_per_day=1, dose_times=(time(8),))


@pytest.mark.parametrize(
    ("offset", "status"),
    [
        (-MINUTE, "warning"),  # the hold is ahead: the plan stands
        (timedelta(0), "missing_data"),  # hold time reached: the last dose must be asked
    ],
)
def test_a_hold_whose_time_passed_is_never_a_pass(offset: timedelta, status: str) -> None:
    case = ready_case(medications=(CLOPIDOGREL,))
    plan = run(case).medication_plan[0]
    hold_from: datetime = plan.hold_from
    evaluation = run(case, now=hold_from + offset)
    (finding,) = [f for f in evaluation.findings if f.inputs.get("drug") == "clopidogrel"]
    assert finding.status == status


def test_a_site_may_ask_the_accelerated_regimen_for_longer() -> None:
    site = SitePolicy.from_mapping(
        {SCHEDULE: {"accelerated_minimum_hours": 5}}, timezone="Europe/London"
    )
    told = START - hours(4.5)
    case = premed_case(premedication="accelerated_iv", premedication_planned_at=told)
    assert premed_finding(run(case, now=told)).status == "pass"
    assert premed_finding(run(case, policy=site, now=told)).status == "action_needed"
