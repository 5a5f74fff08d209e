"""Repeated procedures: the SRDLs applied to the cumulative dose within the site's window."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irflow.clinical import Exposure, SitePolicy, cumulative_crossings
from irflow.clinical import messages as msg
from irflow.clinical.cumulative_dose import CUMULATIVE_SRDL, contribution_text, in_window
from irflow.clinical.tests.templates import matches

DAY = date(2026, 1, 12)
KA_R = CUMULATIVE_SRDL["ka_r_mgy"]
PSD = CUMULATIVE_SRDL["psd_mgy"]


def exposures(*doses: tuple[int, float, float | None]) -> list[Exposure]:
    """(days after DAY, Ka,r mGy, PSD mGy or None) -> one exposure per procedure."""
    return [
        Exposure(key=i + 1, on=DAY + timedelta(days=d), ka_r_mgy=k, psd_mgy=p, label=f"P{i + 1}")
        for i, (d, k, p) in enumerate(doses)
    ]


# (procedures as (day, Ka,r, PSD), the rules crossed, the sum of the crossing)
TABLE = [
    # two procedures inside the window: 4.9 Gy does not reach, 5.1 Gy does
    ([(0, 2450, None), (30, 2450, None)], [], None),
    ([(0, 2550, None), (30, 2550, None)], [KA_R], 5100),
    # exactly 5 Gy counts (the SRDL is "reached")
    ([(0, 2500, None), (30, 2500, None)], [KA_R], 5000),
    # 5.1 Gy spread over more than the window: no crossing
    ([(0, 2550, None), (61, 2550, None)], [], None),
    # the boundary day of the 60-day window counts, the day after does not
    ([(0, 2550, None), (60, 2550, None)], [KA_R], 5100),
    # three procedures: the first two fall below, all three within 60 days reach
    ([(0, 1700, None), (20, 1700, None), (40, 1700, None)], [KA_R], 5100),
    # PSD when known: 2.9 Gy summed is below its SRDL, 3.1 Gy reaches it
    ([(0, 1000, 1450), (10, 1000, 1450)], [], None),
    ([(0, 1000, 1550), (10, 1000, 1550)], [PSD], 3100),
    # PSD known for one procedure only: nothing to sum
    ([(0, 1000, 2900), (10, 1000, None)], [], None),
]


@pytest.mark.parametrize(("doses", "rules", "total"), TABLE)
def test_the_cumulative_srdl_on_both_sides_of_every_threshold(
    doses: list[tuple[int, float, float | None]], rules: list[str], total: float | None
) -> None:
    crossings = cumulative_crossings(exposures(*doses))
    assert [c.rule_id for c in crossings] == rules
    for crossing in crossings:
        assert crossing.value == pytest.approx(total)
        assert crossing.window_days == 60
        assert crossing.confidence == "S" and crossing.verified
        assert matches(msg.ALERT_CUMULATIVE_SRDL, crossing.message)


def test_the_crossing_names_every_contributing_procedure_and_who_crossed() -> None:
    crossing = cumulative_crossings(exposures((0, 1700, None), (20, 1700, None), (40, 1700, None)))
    (only,) = crossing
    assert [e.key for e in only.contributors] == [1, 2, 3]
    assert only.crossed_by.key == 3 and only.threshold == 5000
    assert only.message.startswith(
        "Cumulative reference air kerma 5100 mGy from 3 procedures within 60 days reached"
    )
    assert contribution_text(only.contributors[0]) == (
        "12 Jan 2026 · P1: Ka,r 1700 mGy, PSD not known"
    )
    psd = cumulative_crossings(exposures((0, 1000, 1550), (10, 1000, 1550)))[0]
    assert contribution_text(psd.contributors[1]) == "22 Jan 2026 · P2: Ka,r 1000 mGy, PSD 1550 mGy"


def test_one_procedure_alone_is_not_a_cumulative_crossing() -> None:
    assert cumulative_crossings(exposures((0, 9000, 4000))) == []


def test_later_procedures_extend_the_crossing_rather_than_raise_another() -> None:
    doses = [(0, 3000, None), (30, 3000, None), (50, 3000, None), (100, 3000, None)]
    (crossing,) = cumulative_crossings(exposures(*doses))
    assert [e.key for e in crossing.contributors] == [1, 2, 3, 4]
    assert crossing.crossed_by.key == 2 and crossing.value == pytest.approx(9000)


def test_a_second_crossing_after_the_window_is_a_new_alert() -> None:
    doses = [(0, 3000, None), (30, 3000, None), (200, 3000, None), (220, 3000, None)]
    first, second = cumulative_crossings(exposures(*doses))
    assert [e.key for e in first.contributors] == [1, 2]
    assert [e.key for e in second.contributors] == [3, 4]


def test_the_order_given_does_not_matter() -> None:
    doses = exposures((0, 2550, None), (30, 2550, None))
    assert cumulative_crossings(doses) == cumulative_crossings(list(reversed(doses)))


def test_the_window_is_the_sites() -> None:
    site = SitePolicy.from_mapping({"ncrp-168-radiation.cumulative-window": {"days": 180}})
    doses = exposures((0, 2550, None), (150, 2550, None))
    assert cumulative_crossings(doses) == []
    assert [c.window_days for c in cumulative_crossings(doses, policy=site)] == [180]


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_a_dose_that_is_not_a_dose_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="ka_r_mgy"):
        cumulative_crossings(exposures((0, bad, None), (1, 100, None)))


def test_in_window_counts_the_boundary_day() -> None:
    assert in_window(DAY, DAY + timedelta(days=60), 60)
    assert not in_window(DAY, DAY + timedelta(days=61), 60)
    assert not in_window(DAY + timedelta(days=1), DAY, 60)


@given(
    st.lists(
        st.tuples(st.integers(0, 400), st.floats(0, 6000), st.none() | st.floats(0, 4000)),
        max_size=8,
    )
)
def test_every_crossing_holds_two_procedures_within_a_window_at_the_level(
    doses: list[tuple[int, float, float | None]],
) -> None:
    for crossing in cumulative_crossings(exposures(*doses)):
        assert len(crossing.contributors) >= 2
        assert crossing.value >= crossing.threshold
        assert crossing.crossed_by in crossing.contributors
        keys = [e.key for e in crossing.contributors]
        assert len(keys) == len(set(keys))


@given(st.lists(st.tuples(st.integers(0, 400), st.floats(0, 6000)), min_size=1, max_size=8))
def test_more_dose_never_removes_a_crossing(doses: list[tuple[int, float]]) -> None:
    before = cumulative_crossings(exposures(*[(d, k, None) for d, k in doses]))
    after = cumulative_crossings(exposures(*[(d, k + 500, None) for d, k in doses]))
    covered = set().union(*[c.keys for c in after]) if after else set()
    assert all(c.keys <= covered for c in before)
