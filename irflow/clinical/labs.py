"""Picking the lab result a rule uses: the latest one inside the site's validity window."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from irflow.clinical.inputs import Analyte, Lab
from irflow.clinical.policy import SitePolicy
from irflow.clinical.timeutil import local_date, start_of_day, utc

VALIDITY_RULE = "irflow-site.lab-validity"
# For each analyte, which direction is worse: when two results share a timestamp the worse
# one is used, so a duplicate entry can never make a case look better.
_HIGHER_IS_WORSE: dict[Analyte, bool] = {
    "inr": True,
    "platelets": False,
    "haemoglobin": False,
    "creatinine": True,
    "egfr": False,
    "fibrinogen": False,
}
# Unit conversions between what irflow stores and what a rule publishes (not clinical values).
UNIT_FACTORS: dict[tuple[str, str], float] = {("g/L", "mg/dL"): 100.0}


def validity_days(analyte: Analyte, policy: SitePolicy) -> int:
    """How many calendar days before the procedure day a result of `analyte` still counts."""
    return int(policy.number(VALIDITY_RULE, f"{analyte}_days"))


def window_start(analyte: Analyte, planned_start: datetime, policy: SitePolicy) -> datetime:
    """Local midnight starting the validity window of `analyte` for this procedure."""
    first_day = local_date(planned_start, policy.zone) - timedelta(
        days=validity_days(analyte, policy)
    )
    return start_of_day(first_day, policy.zone)


def latest_valid(
    labs: Iterable[Lab],
    analyte: Analyte,
    *,
    planned_start: datetime,
    now: datetime,
    policy: SitePolicy,
) -> Lab | None:
    """The latest result of `analyte` taken inside the window and not after `now`."""
    earliest = utc(window_start(analyte, planned_start, policy))
    latest = utc(now)
    usable = [
        lab
        for lab in labs
        if lab.analyte == analyte and earliest <= utc(lab.collected_at) <= latest
    ]
    if not usable:
        return None
    sign = 1 if _HIGHER_IS_WORSE[analyte] else -1
    return max(usable, key=lambda lab: (utc(lab.collected_at), sign * lab.value))


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a stored value to the unit a rule publishes its threshold in."""
    if from_unit == to_unit:
        return value
    return value * UNIT_FACTORS[(from_unit, to_unit)]
