"""The antithrombotic plan: each drug of the hold table, CrCl bands, low-risk continuation."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import pytest

from irflow.clinical import Medication, MedicationPlanItem, SitePolicy, medication_plan
from irflow.clinical import messages as msg
from irflow.clinical.tests.helpers import END, LONDON, POLICY, START
from irflow.clinical.tests.templates import matches

AM, PM, EVENING = time(8), time(20), time(18)
BID = (AM, PM)


def at(day: int, hour: int, minute: int = 0, month: int = 7) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=LONDON)


def plan(
    med: Medication, risk: str = "high", crcl: float | None = 80, **kw: Any
) -> MedicationPlanItem:
    (item,) = medication_plan(
        medications=[med],
        bleeding_risk=risk,  # type: ignore[arg-type]
        planned_start=START,
        planned_end=END,
        crcl_ml_min=crcl,
        policy=kw.pop("policy", POLICY),
        **kw,
    )
    return item


# Procedure Wed 16 Jul 2025 09:00 to 10:00 London (BST, no DST change near).
# (medication, crcl, action, hold amount, unit, hold_from, last allowed dose,
#  restart from, next usual dose)
HIGH_RISK = [
    (
        Medication("warfarin", doses_per_day=1, dose_times=(EVENING,)),
        80,
        "hold",
        5,
        "days",
        at(11, 0),
        at(10, 18),
        at(17, 0),
        at(17, 18),
    ),
    (Medication("heparin_iv"), 80, "hold", 6, "h", at(16, 3), None, at(16, 18), None),
    (
        Medication("heparin_sc", doses_per_day=2, dose_times=BID),
        80,
        "hold",
        6,
        "h",
        at(16, 3),
        at(15, 20),
        at(16, 18),
        at(16, 20),
    ),
    (
        Medication("enoxaparin_prophylactic", doses_per_day=1, dose_times=(EVENING,)),
        80,
        "hold",
        1,
        "doses",
        at(15, 9),
        at(14, 18),
        at(16, 22),
        at(17, 18),
    ),
    (
        Medication("enoxaparin_therapeutic", doses_per_day=2, dose_times=BID),
        80,
        "hold",
        2,
        "doses",
        at(15, 9),
        at(15, 8),
        at(16, 22),
        at(17, 8),
    ),
    (
        Medication("enoxaparin_therapeutic", doses_per_day=1, dose_times=(AM,)),
        80,
        "hold",
        2,
        "doses",
        at(14, 9),
        at(14, 8),
        at(16, 22),
        at(17, 8),
    ),
    (
        Medication("dalteparin", doses_per_day=1, dose_times=(EVENING,)),
        80,
        "hold",
        1,
        "doses",
        at(15, 9),
        at(14, 18),
        at(16, 22),
        at(17, 18),
    ),
    (
        Medication("fondaparinux", doses_per_day=1, dose_times=(EVENING,)),
        50,
        "hold",
        3,
        "days",
        at(13, 0),
        at(12, 18),
        at(17, 10),
        at(17, 18),
    ),
    (
        Medication("fondaparinux", doses_per_day=1, dose_times=(EVENING,)),
        49.99,
        "hold",
        5,
        "days",
        at(11, 0),
        at(10, 18),
        at(17, 10),
        at(17, 18),
    ),
    (Medication("argatroban"), 80, "hold", 4, "h", at(16, 5), None, at(16, 16), None),
    (Medication("bivalirudin"), 80, "hold", 4, "h", at(16, 5), None, at(16, 16), None),
    (
        Medication("apixaban", dose_times=BID),
        50,
        "hold",
        4,
        "doses",
        at(14, 9),
        at(14, 8),
        at(17, 10),
        at(17, 20),
    ),
    (
        Medication("apixaban", dose_times=BID),
        49.9,
        "hold",
        6,
        "doses",
        at(13, 9),
        at(13, 8),
        at(17, 10),
        at(17, 20),
    ),
    (
        Medication("rivaroxaban", dose_times=(AM,)),
        30,
        "hold",
        2,
        "doses",
        at(14, 9),
        at(14, 8),
        at(17, 10),
        at(18, 8),
    ),
    (
        Medication("rivaroxaban", dose_times=(AM,)),
        29.9,
        "hold",
        3,
        "doses",
        at(13, 9),
        at(13, 8),
        at(17, 10),
        at(18, 8),
    ),
    (
        Medication("rivaroxaban", dose_times=(AM,)),
        15,
        "hold",
        3,
        "doses",
        at(13, 9),
        at(13, 8),
        at(17, 10),
        at(18, 8),
    ),
    (
        Medication("edoxaban", dose_times=(AM,)),
        80,
        "hold",
        2,
        "doses",
        at(14, 9),
        at(14, 8),
        at(17, 10),
        at(18, 8),
    ),
    (
        Medication("dabigatran", dose_times=BID),
        50,
        "hold",
        4,
        "doses",
        at(14, 9),
        at(14, 8),
        at(17, 10),
        at(17, 20),
    ),
    (
        Medication("dabigatran", dose_times=BID),
        49.9,
        "hold",
        8,
        "doses",
        at(12, 9),
        at(12, 8),
        at(17, 10),
        at(17, 20),
    ),
    (
        Medication("clopidogrel", dose_times=(AM,)),
        80,
        "hold",
        5,
        "days",
        at(11, 0),
        at(10, 8),
        at(16, 16),
        at(17, 8),
    ),
    (
        Medication("clopidogrel", dose_times=(AM,), loading_dose=True),
        80,
        "hold",
        5,
        "days",
        at(11, 0),
        at(10, 8),
        at(17, 10),
        at(18, 8),
    ),
    (
        Medication("prasugrel", dose_times=(AM,)),
        80,
        "hold",
        7,
        "days",
        at(9, 0),
        at(8, 8),
        at(17, 0),
        at(17, 8),
    ),
    (
        Medication("ticagrelor", dose_times=BID),
        80,
        "hold",
        5,
        "days",
        at(11, 0),
        at(10, 20),
        at(17, 0),
        at(17, 8),
    ),
    (
        Medication("aspirin", dose_times=(AM,)),
        80,
        "team_decision",
        5,
        "days",
        at(11, 0),
        at(10, 8),
        at(17, 0),
        at(17, 8),
    ),
    (Medication("abciximab"), 80, "hold", 24, "h", at(15, 9), None, None, None),
    (Medication("eptifibatide"), 80, "hold", 8, "h", at(16, 1), None, None, None),
    (Medication("tirofiban"), 80, "hold", 8, "h", at(16, 1), None, None, None),
]


@pytest.mark.parametrize(
    ("med", "crcl", "action", "amount", "unit", "hold_from", "last", "restart", "next_dose"),
    HIGH_RISK,
    ids=lambda v: v.drug if isinstance(v, Medication) else None,
)
def test_high_risk_hold_table(
    med: Medication,
    crcl: float,
    action: str,
    amount: float,
    unit: str,
    hold_from: datetime,
    last: datetime | None,
    restart: datetime | None,
    next_dose: datetime | None,
) -> None:
    item = plan(med, crcl=crcl)
    assert item.action == action
    assert item.rule_id.startswith("sir-2019.hold.")
    assert item.verified is False and item.confidence == "U"
    assert (item.hold_amount, item.hold_unit) == (amount, unit)
    assert item.hold_from == hold_from
    assert item.last_allowed_dose == last
    assert item.restart_not_before == restart
    assert item.restart_at == next_dose
    if last is not None:
        assert item.dose_allowed(last) is True
        assert f"last dose {last:%a} {last.day:02d} {last:%b %H:%M}" in item.message


def test_hold_message_for_apixaban() -> None:
    item = plan(Medication("apixaban", doses_per_day=2, dose_times=BID))
    assert item.message == (
        "Hold Apixaban: last dose Mon 14 Jul 08:00 (hold 4 doses, 48 h before the procedure). "
        "Restart from Thu 17 Jul 10:00. Next usual dose: Thu 17 Jul 20:00."
    )


# The source gives these holds as ranges: the text says the range as given, then the site's
# value inside it (which the last dose counts from). (drug, range text, site value text)
RANGE_HOLDS = [
    ("aspirin", "3–5 days", "5"),
    ("fondaparinux", "3–5 days", "5"),  # CrCl 40: the < 50 band
    ("heparin_iv", "4–6 h", "6"),
    ("argatroban", "2–4 h", "4"),
    ("eptifibatide", "4–8 h", "8"),
]


@pytest.mark.parametrize(("drug", "published", "site"), RANGE_HOLDS)
def test_a_range_hold_is_said_as_the_source_gives_it(drug: str, published: str, site: str) -> None:
    item = plan(Medication(drug, doses_per_day=1, dose_times=(AM,)), crcl=40)
    assert f"hold {published} before the procedure, {site} at this site" in item.message
    assert item.hold_range is not None and item.hold_amount == float(site)


def test_aspirin_says_three_to_five_days_case_by_case_and_the_site_picks_the_day() -> None:
    item = plan(Medication("aspirin", doses_per_day=1, dose_times=(AM,)))
    assert item.action == "team_decision" and item.hold_range == (3, 5)
    assert item.message.startswith(
        "Aspirin: hold case by case (team decision); if held, last dose Thu 10 Jul 08:00 "
        "(hold 3–5 days before the procedure, 5 at this site)."
    )
    site = SitePolicy.from_mapping({"sir-2019.hold.aspirin": {"hold": 3}}, timezone="Europe/London")
    item = plan(Medication("aspirin", doses_per_day=1, dose_times=(AM,)), policy=site)
    assert item.hold_amount == 3 and item.hold_range == (3, 5)
    assert "last dose Sat 12 Jul 08:00 (hold 3–5 days before the procedure, 3 at this site)" in (
        item.message
    )


def test_a_range_hold_in_doses_gives_the_hours_too() -> None:
    item = plan(Medication("dabigatran", doses_per_day=2, dose_times=BID), crcl=40)
    assert "(hold 6–8 doses before the procedure, 8 at this site, 96 h)" in item.message


def test_a_single_hold_value_is_said_alone() -> None:
    item = plan(Medication("clopidogrel", doses_per_day=1, dose_times=(AM,)))
    assert item.hold_range is None
    assert "(hold 5 days before the procedure)" in item.message


def test_warfarin_high_risk_names_the_inr_target_and_bridging() -> None:
    item = plan(Medication("warfarin", dose_times=(EVENING,)), thrombotic_risk="high")
    assert item.inr_max == 1.5
    assert msg.PLAN_INR_TARGET.format(inr_max="1.5") in item.message
    bridge = msg.NOTE_BRIDGE.format(
        risk="high", label="Warfarin", agent="low-molecular-weight heparin (LMWH)"
    )
    assert bridge in item.notes and bridge in item.message


def test_unfractionated_heparin_iv_mentions_the_lab_check() -> None:
    item = plan(Medication("heparin_iv"))
    assert "check aPTT or anti-Xa" in item.message
    assert matches(msg.PLAN_HOLD, item.message.split(" Restart")[0])


def test_rivaroxaban_below_the_lowest_band_is_a_team_decision() -> None:
    item = plan(Medication("rivaroxaban", dose_times=(AM,)), crcl=14.9)
    assert item.action == "team_decision"
    assert item.message == msg.PLAN_BELOW_CRCL_FLOOR.format(
        label="Rivaroxaban", crcl="14.9", floor="15"
    )


@pytest.mark.parametrize(
    ("drug", "expected_amount"),
    [("fondaparinux", 5), ("apixaban", 6), ("rivaroxaban", 3), ("dabigatran", 8)],
)
def test_unknown_crcl_shows_the_longer_hold(drug: str, expected_amount: float) -> None:
    item = plan(Medication(drug, doses_per_day=1, dose_times=(AM,)), crcl=None)
    assert item.hold_amount == expected_amount
    assert item.needs_crcl and item.crcl_ml_min is None
    assert msg.NOTE_CRCL_UNKNOWN in item.notes


def test_unrecorded_frequency_assumes_the_table_default_and_says_so() -> None:
    item = plan(Medication("apixaban", dose_times=BID))
    assert item.hold_hours == 48
    assert item.frequency_recorded is False
    assert msg.NOTE_FREQUENCY_ASSUMED.format(per_day="2") in item.notes


def test_dose_frequency_from_the_patient_beats_the_table_default() -> None:
    item = plan(Medication("rivaroxaban", doses_per_day=2, dose_times=BID), crcl=80)
    assert item.hold_hours == 24  # 2 doses at 12 h
    item = plan(Medication("apixaban", interval_hours=24, dose_times=(AM,)), crcl=80)
    assert item.hold_hours == 96


def test_missing_frequency_leaves_the_last_dose_open() -> None:
    item = plan(Medication("dalteparin", dose_times=(AM,)))
    assert item.hold_from is None and item.last_allowed_dose is None
    hold = msg.HOLD_AMOUNT.format(amount="1", unit="dose")
    assert item.message.startswith(msg.PLAN_NO_FREQUENCY.format(label="Dalteparin", hold=hold))


def test_no_end_time_means_no_restart_time() -> None:
    (item,) = medication_plan(
        medications=[Medication("apixaban", dose_times=BID)],
        bleeding_risk="high",
        planned_start=START,
        crcl_ml_min=80,
        policy=POLICY,
    )
    assert item.restart_not_before is None
    assert msg.PLAN_RESTART_NEEDS_END in item.message


def test_hold_window_edges() -> None:
    apixaban = plan(Medication("apixaban", dose_times=BID))
    assert apixaban.dose_allowed(at(14, 9)) is True  # exactly 48 h before
    assert apixaban.dose_allowed(at(14, 9, 1)) is False
    warfarin = plan(Medication("warfarin", dose_times=(EVENING,)))
    assert warfarin.dose_allowed(at(10, 23, 59)) is True
    assert warfarin.dose_allowed(at(11, 0)) is False
    assert plan(Medication("cilostazol")).dose_allowed(at(16, 8)) is None


LOW_RISK_CONTINUE = [
    "heparin_iv",
    "heparin_sc",
    "enoxaparin_prophylactic",
    "enoxaparin_therapeutic",
    "dalteparin",
    "apixaban",
    "rivaroxaban",
    "edoxaban",
    "dabigatran",
    "clopidogrel",
    "prasugrel",
    "ticagrelor",
    "aspirin",
]


@pytest.mark.parametrize("drug", LOW_RISK_CONTINUE)
def test_low_risk_do_not_withhold(drug: str) -> None:
    item = plan(Medication(drug, doses_per_day=1), risk="low")
    assert item.action == "continue"
    assert item.rule_id == "sir-2019.low-risk.do-not-withhold"
    assert matches(msg.PLAN_CONTINUE_LOW_RISK, item.message)
    assert item.hold_from is None


def test_low_risk_warfarin_checks_the_inr() -> None:
    item = plan(Medication("warfarin", doses_per_day=1), risk="low")
    assert item.action == "check_lab"
    assert item.rule_id == "sir-2019.low-risk.warfarin"
    assert item.inr_max == 2.0
    site = SitePolicy.from_mapping(
        {"sir-2019.inr.low-risk": {"inr_max": 3.0}}, timezone="Europe/London"
    )
    assert plan(Medication("warfarin"), risk="low", policy=site).inr_max == 3.0


@pytest.mark.parametrize("risk", ["low", "high"])
def test_cilostazol_is_never_withheld(risk: str) -> None:
    item = plan(Medication("cilostazol"), risk=risk)
    assert item.action == "continue"
    assert item.message == msg.PLAN_CONTINUE.format(label="Cilostazol")


@pytest.mark.parametrize("drug", ["abciximab", "eptifibatide", "tirofiban"])
def test_gp_iib_iiia_inhibitors_are_held_before_any_procedure(drug: str) -> None:
    item = plan(Medication(drug), risk="low")
    assert item.action == "hold"
    assert msg.PLAN_RESTART_TEAM in item.message


@pytest.mark.parametrize(
    ("drug", "risk"),
    [
        ("fondaparinux", "low"),
        ("argatroban", "low"),
        ("bivalirudin", "low"),
        ("cangrelor", "low"),
        ("cangrelor", "high"),
        ("unknown_drug", "high"),
    ],
)
def test_agents_outside_the_table_are_team_decisions(drug: str, risk: str) -> None:
    item = plan(Medication(drug), risk=risk)
    assert item.action == "team_decision"
    assert item.rule_id == "sir-2019.hold.not-covered"
    assert matches(msg.PLAN_NOT_COVERED, item.message)


def test_site_can_change_the_low_risk_list() -> None:
    site = SitePolicy.from_mapping(
        {"sir-2019.low-risk.do-not-withhold": {"drugs": ["aspirin", "fondaparinux"]}},
        timezone="Europe/London",
    )
    assert plan(Medication("fondaparinux"), risk="low", policy=site).action == "continue"
    assert plan(Medication("apixaban"), risk="low", policy=site).action == "team_decision"


def test_range_picks_change_the_hold() -> None:
    site = SitePolicy.from_mapping(
        {"sir-2019.hold.heparin-iv": {"hold": 4, "restart": 6}}, timezone="Europe/London"
    )
    item = plan(Medication("heparin_iv"), policy=site)
    assert item.hold_from == at(16, 5)
    assert item.restart_not_before == at(16, 16)


def test_non_antithrombotics_are_skipped_and_items_serialise() -> None:
    import json

    items = medication_plan(
        medications=[
            Medication("metformin", antithrombotic=False),
            Medication("apixaban", dose_times=BID),
        ],
        bleeding_risk="high",
        planned_start=START,
        planned_end=END,
        crcl_ml_min=80,
        policy=POLICY,
    )
    assert [i.drug for i in items] == ["apixaban"]
    data = items[0].to_dict()
    assert data["last_allowed_dose"] == "2025-07-14T08:00:00+01:00"
    json.dumps(data)
