"""Discharge criteria: each item of the modified Aldrete score and of PADSS on both sides of
its cut-off, both pass marks on both sides, and missing observations that never pass."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irflow.clinical.discharge import (
    Baseline,
    Observation,
    aldrete,
    aldrete_applies,
    item_choices,
    padss,
)
from irflow.clinical.policy import SitePolicy

BASE = Baseline(systolic_mmhg=130, heart_rate_bpm=80)
# A patient fit to leave: every item 2 points.
WELL = Observation(
    heart_rate_bpm=80,
    systolic_mmhg=130,
    spo2_pct=97,
    on_oxygen=False,
    consciousness="A",
    pain_nrs=2,
    activity=2,
    respiration=2,
    ambulation=2,
    nausea=2,
    bleeding=2,
)


def points(score, name: str) -> int | None:
    return next(i.points for i in score.items if i.name == name)


# (changes to WELL, item, points): each cut-off from both sides.
ALDRETE_ITEMS = [
    ({"systolic_mmhg": 156}, "circulation", 2),  # +20 %
    ({"systolic_mmhg": 157}, "circulation", 1),  # +20.8 %
    ({"systolic_mmhg": 104}, "circulation", 2),  # −20 %
    ({"systolic_mmhg": 66}, "circulation", 1),  # −49.2 %
    ({"systolic_mmhg": 65}, "circulation", 0),  # −50 %
    ({"spo2_pct": 93}, "spo2", 2),
    ({"spo2_pct": 92}, "spo2", 1),
    ({"spo2_pct": 99, "on_oxygen": True}, "spo2", 1),
    ({"spo2_pct": 90, "on_oxygen": True}, "spo2", 1),
    ({"spo2_pct": 89, "on_oxygen": True}, "spo2", 0),
    ({"spo2_pct": 89}, "spo2", 0),
    ({"consciousness": "A"}, "consciousness", 2),
    ({"consciousness": "V"}, "consciousness", 1),
    ({"consciousness": "P"}, "consciousness", 0),
    ({"consciousness": "U"}, "consciousness", 0),
    ({"activity": 1}, "activity", 1),
    ({"respiration": 0}, "respiration", 0),
]


@pytest.mark.parametrize(("changes", "item", "expected"), ALDRETE_ITEMS)
def test_each_aldrete_item(changes: dict, item: str, expected: int) -> None:
    assert points(aldrete(replace(WELL, **changes), BASE), item) == expected


PADSS_ITEMS = [
    ({"heart_rate_bpm": 96}, "vital_signs", 2),  # +20 %
    ({"heart_rate_bpm": 97}, "vital_signs", 1),
    ({"systolic_mmhg": 182}, "vital_signs", 1),  # +40 %
    ({"systolic_mmhg": 183}, "vital_signs", 0),
    ({"heart_rate_bpm": 47}, "vital_signs", 0),  # −41 %, the worse of the two counts
    ({"pain_nrs": 3}, "pain", 2),
    ({"pain_nrs": 4}, "pain", 1),
    ({"pain_nrs": 10}, "pain", 1),
    ({"ambulation": 1}, "ambulation", 1),
    ({"nausea": 0}, "nausea", 0),
    ({"bleeding": 1}, "bleeding", 1),
]


@pytest.mark.parametrize(("changes", "item", "expected"), PADSS_ITEMS)
def test_each_padss_item(changes: dict, item: str, expected: int) -> None:
    assert points(padss(replace(WELL, **changes), BASE), item) == expected


# The pass mark (≥ 9 of 10) from both sides.
PASS_MARKS = [
    (aldrete, {}, 10, True),
    (aldrete, {"activity": 1}, 9, True),
    (aldrete, {"activity": 1, "consciousness": "V"}, 8, False),
    (padss, {}, 10, True),
    (padss, {"pain_nrs": 6}, 9, True),
    (padss, {"pain_nrs": 6, "bleeding": 1}, 8, False),
]


@pytest.mark.parametrize(("score", "changes", "total", "met"), PASS_MARKS)
def test_the_pass_mark(score, changes: dict, total: int, met: bool) -> None:
    found = score(replace(WELL, **changes), BASE)
    assert (found.total, found.met) == (total, met)
    assert found.pass_min == 9 and found.confidence == "S"


def test_a_site_may_move_the_pass_mark() -> None:
    strict = SitePolicy({"recovery-discharge.aldrete": {"pass_min": 10}})
    found = aldrete(replace(WELL, activity=1), BASE, strict)
    assert (found.total, found.met, found.summary) == (9, False, "9/10 (needs ≥ 10)")


MISSING = [
    (aldrete, Observation(), BASE),
    (aldrete, replace(WELL, spo2_pct=None), BASE),
    (aldrete, WELL, Baseline()),  # no pre-procedure pressure: circulation cannot be scored
    (padss, replace(WELL, pain_nrs=None), BASE),
    (padss, WELL, Baseline(systolic_mmhg=130)),
]


@pytest.mark.parametrize(("score", "obs", "base"), MISSING)
def test_what_is_missing_never_passes(score, obs: Observation, base: Baseline) -> None:
    found = score(obs, base)
    assert found.total is None and not found.met
    assert found.summary.startswith("not scored:") and found.missing


def test_nurse_items_outside_0_to_2_are_refused() -> None:
    with pytest.raises(ValueError, match="points are 0, 1 or 2"):
        aldrete(replace(WELL, activity=3), BASE)


def test_aldrete_applies_after_sedation_only() -> None:
    assert aldrete_applies("moderate") and aldrete_applies("general")
    assert not aldrete_applies("local") and not aldrete_applies("none")
    assert not aldrete_applies("")


def test_every_nurse_item_has_words_for_each_point() -> None:
    for name in ("activity", "respiration", "ambulation", "nausea", "bleeding"):
        assert [p for p, _ in item_choices(name)] == [0, 1, 2]


points_st = st.one_of(st.none(), st.integers(0, 2))


@settings(max_examples=200, deadline=None)
@given(
    st.builds(
        Observation,
        heart_rate_bpm=st.one_of(st.none(), st.integers(20, 220)),
        systolic_mmhg=st.one_of(st.none(), st.integers(50, 250)),
        spo2_pct=st.one_of(st.none(), st.integers(50, 100)),
        on_oxygen=st.booleans(),
        consciousness=st.sampled_from(["", "A", "V", "P", "U"]),
        pain_nrs=st.one_of(st.none(), st.integers(0, 10)),
        activity=points_st,
        respiration=points_st,
        ambulation=points_st,
        nausea=points_st,
        bleeding=points_st,
    )
)
def test_worse_observations_never_score_higher(obs: Observation) -> None:
    """Lowering any nurse-scored item never raises a total; a total is 0–10 or open."""
    for score in (aldrete, padss):
        found = score(obs, BASE)
        assert found.total is None or 0 <= found.total <= 10
        for name in ("activity", "respiration", "ambulation", "nausea", "bleeding"):
            value = getattr(obs, name)
            if value:
                worse = score(replace(obs, **{name: value - 1}), BASE)
                if found.total is not None:
                    assert worse.total is not None and worse.total <= found.total
