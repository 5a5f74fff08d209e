"""Adverse-event systems (mapping only where defined) and pain bands."""

from __future__ import annotations

import pytest

from irflow.clinical import (
    SitePolicy,
    grade,
    grade_system,
    grade_systems,
    map_grade,
    pain_band,
    pain_change_meaningful,
)


def test_three_systems_are_listed() -> None:
    systems = {s.id: s for s in grade_systems()}
    assert set(systems) == {"sir-2017", "sir-legacy", "cirse-2017"}
    assert [g.code for g in systems["sir-2017"].grades] == [
        "mild",
        "moderate",
        "severe",
        "life_threatening",
        "death",
    ]
    assert [g.code for g in systems["sir-legacy"].grades] == list("ABCDEF")
    assert [g.code for g in systems["cirse-2017"].grades] == ["1", "2", "3", "4", "5", "6"]


def test_sir_2017_definitions_are_unverified_wording() -> None:
    mild = grade("sir-2017", "mild")
    assert "overnight observation" in mild.description
    assert mild.description_verified is False
    assert grade("sir-2017", "death").description == "Death from the event."
    assert grade("sir-2017", "death").description_verified is False


@pytest.mark.parametrize(
    ("code", "cls"), [("A", "minor"), ("B", "minor"), ("C", "major"), ("F", "major")]
)
def test_legacy_minor_major_mapping(code: str, cls: str) -> None:
    assert map_grade("sir-legacy", code, "sir-legacy-class") == cls
    assert grade("sir-legacy", code).description_verified is True


@pytest.mark.parametrize(
    ("system", "code", "target"),
    [
        ("sir-2017", "severe", "sir-legacy"),
        ("sir-legacy", "C", "sir-2017"),
        ("sir-legacy", "C", "cirse-2017"),
        ("cirse-2017", "3", "sir-2017"),
    ],
)
def test_no_mapping_is_guessed(system: str, code: str, target: str) -> None:
    assert map_grade(system, code, target) is None


def test_unknown_system_or_grade() -> None:
    with pytest.raises(ValueError, match="Unknown adverse-event system"):
        grade_system("ctcae")
    with pytest.raises(ValueError, match="has no grade"):
        grade("sir-legacy", "G")


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, None),
        (1, "mild"),
        (3, "mild"),
        (4, "moderate"),
        (6, "moderate"),
        (7, "severe"),
        (10, "severe"),
    ],
)
def test_default_pain_bands(score: int, band: str | None) -> None:
    assert pain_band(score) == band


def test_configured_pain_bands() -> None:
    site = SitePolicy.from_mapping({"pain-nrs.bands": {"mild_max": 4, "moderate_max": 6}})
    assert pain_band(4, site) == "mild"
    assert pain_band(5, site) == "moderate"


@pytest.mark.parametrize("bad", [-1, 11, 2.5, True, "3"])
def test_scores_outside_the_scale_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="Pain score"):
        pain_band(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("before", "after", "meaningful"), [(7, 5, True), (7, 6, False), (2, 4, True)]
)
def test_two_point_change(before: int, after: int, meaningful: bool) -> None:
    assert pain_change_meaningful(before, after) is meaningful
