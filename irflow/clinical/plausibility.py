"""Plausibility of a lab value as typed, before it is recorded.

Not reference ranges: the limits (rule data, site defaults) mark values that are almost
always a slip — Hb 13 typed in g/L meaning g/dL, a platelet count typed per µL. An implausible
value names the units it was probably typed in; it is never converted here. The value is
compared in irflow's unit for the analyte (`irflow.clinical.inputs.ANALYTE_UNITS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import irflow.clinical.messages as msg
from irflow.clinical.formatting import fmt_number
from irflow.clinical.inputs import ANALYTE_UNITS, ANALYTES, Analyte
from irflow.clinical.policy import DEFAULT_POLICY, SitePolicy
from irflow.clinical.rules import rule

LIMITS = "lab-plausibility.limits"
UNITS = "lab-plausibility.units"


@dataclass(frozen=True)
class UnitGuess:
    """A unit the value was probably typed in, and the value in irflow's unit."""

    unit: str
    factor: float
    converted: float


@dataclass(frozen=True)
class Implausible:
    """A typed value outside the plausibility limits, with the likely units and the warning."""

    analyte: Analyte
    value: float
    unit: str
    low: float
    high: float
    guesses: tuple[UnitGuess, ...]
    message: str
    rule_id: str = LIMITS


def plausible_limits(analyte: Analyte, policy: SitePolicy = DEFAULT_POLICY) -> tuple[float, float]:
    """The (low, high) plausibility limits of `analyte` at this site, both included."""
    return policy.number(LIMITS, f"{analyte}_low"), policy.number(LIMITS, f"{analyte}_high")


def lab_plausibility(
    analyte: Analyte, value: float, policy: SitePolicy = DEFAULT_POLICY
) -> Implausible | None:
    """None when `value` (in irflow's unit) is plausible; else what is wrong and the likely
    units. A value exactly at a limit is plausible."""
    if analyte not in ANALYTES:
        raise ValueError(f"unknown analyte {analyte!r}")
    if not math.isfinite(value):
        raise ValueError("value must be finite")
    low, high = plausible_limits(analyte, policy)
    if low <= value <= high:
        return None
    unit = ANALYTE_UNITS[analyte]
    guesses = tuple(
        guess for guess in _guesses(analyte, value, policy) if low <= guess.converted <= high
    )
    typed = _with_unit(value, unit)
    shown = {
        "analyte": msg.ANALYTE_LABELS[analyte],
        "typed": typed,
        "low": fmt_number(low),
        "high": _with_unit(high, unit),
    }
    if guesses:
        meant = msg.IMPLAUSIBLE_OR.join(
            msg.IMPLAUSIBLE_GUESS.format(
                value=_with_unit(value, g.unit), converted=_with_unit(_round(g.converted), unit)
            )
            for g in guesses
        )
        text = msg.IMPLAUSIBLE_LAB_GUESS.format(meant=meant, **shown)
    else:
        text = msg.IMPLAUSIBLE_LAB.format(**shown)
    return Implausible(analyte, value, unit, low, high, guesses, text)


def _guesses(analyte: Analyte, value: float, policy: SitePolicy) -> list[UnitGuess]:
    param = f"{analyte}_units"
    if param not in rule(UNITS).values:
        return []
    factors = rule(UNITS).attr("factors", {})
    found = []
    for unit in policy.texts(UNITS, param):
        factor = float(factors[f"{analyte} {unit}"])
        found.append(UnitGuess(unit, factor, value * factor))
    return found


def _round(value: float) -> float:
    """Three significant figures at most, as a person would say it."""
    if value == 0:
        return 0.0
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    return round(value, digits)


def _with_unit(value: float, unit: str) -> str:
    return f"{fmt_number(value)} {unit}".strip()
