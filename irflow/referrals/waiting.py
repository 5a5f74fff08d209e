"""Waiting-time figures (pure Python): median, 90th percentile and share within target.

Percentiles interpolate linearly between the closest ranks (numpy's default, "type 7"):
for sorted values x[0..n-1], the p-th percentile is at rank (n - 1) * p / 100. A wait
counts as within target when it is no longer than the target.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0–100) of `values`, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class WaitSummary:
    """Completed waits of one kind for one urgency, against its target (hours)."""

    count: int
    median_hours: float | None
    p90_hours: float | None
    within_target_pct: float | None
    target_hours: float
    # Still waiting and already past the target (not in the figures above).
    waiting_over_target: int = 0


def summarise(
    hours: Sequence[float], target_hours: float, waiting_over_target: int = 0
) -> WaitSummary:
    """Summarise completed waits (in hours) against `target_hours`."""
    within = sum(1 for h in hours if h <= target_hours)
    return WaitSummary(
        count=len(hours),
        median_hours=_round(percentile(hours, 50)),
        p90_hours=_round(percentile(hours, 90)),
        within_target_pct=_round(100 * within / len(hours)) if hours else None,
        target_hours=target_hours,
        waiting_over_target=waiting_over_target,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def format_hours(hours: float | None) -> str:
    """'45 min', '5.5 h', '3.2 days' — for pages; the API gives hours."""
    if hours is None:
        return "—"
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{hours:.1f} h".replace(".0 h", " h")
    return f"{hours / 24:.1f} days".replace(".0 days", " days")
