"""Wilson score intervals against published examples, and percentiles."""

from __future__ import annotations

import pytest

from irflow.quality.stats import Rate, percentile, wilson

# Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
# methods. Stat Med 1998;17:857-872, Table I, method 3 (score interval without continuity
# correction).
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("x", "n", "low", "high"), NEWCOMBE)
def test_wilson_matches_newcombe_1998(x, n, low, high):
    lo, hi = wilson(x, n)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)


def test_wilson_by_hand_two_of_five():
    # p = 0.4, z² = 3.8415: centre (0.4 + 0.38415) / 1.76829 = 0.44345,
    # half-width 1.95996 / 1.76829 × √(0.048 + 0.038415) = 0.32583.
    lo, hi = wilson(2, 5)
    assert (round(lo, 4), round(hi, 4)) == (0.1176, 0.7693)


def test_wilson_edges():
    assert wilson(0, 0) is None
    assert wilson(5, 5)[1] == 1.0
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson(6, 5)
    assert Rate(0, 0).value is None and Rate(0, 0).interval is None


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([10, 20, 30, 40], 0.5) == 25
    assert percentile([10, 20, 30, 40], 0.75) == 32.5
    assert percentile([7], 0.75) == 7
    assert percentile([], 0.5) is None
