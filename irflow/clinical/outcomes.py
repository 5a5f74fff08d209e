"""Adverse-event grade systems and pain bands, from the rule data.

Grades are stored with the system they belong to; the only cross-system mapping defined is
legacy SIR A to F to minor / major. Pain is stored as the NRS number and banded by configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import irflow.clinical.messages as msg
from irflow.clinical.policy import DEFAULT_POLICY, SitePolicy
from irflow.clinical.rules import Rule, rules_where

PAIN_SCALE = "pain-nrs.scale"
PAIN_BANDS = "pain-nrs.bands"
PAIN_CHANGE = "pain-nrs.meaningful-change"
SIR_2017_DEFINITIONS = "adverse-events.sir-2017-definitions"


@dataclass(frozen=True)
class Grade:
    """One grade of an adverse-event system."""

    system: str
    code: str
    label: str
    description: str
    description_verified: bool
    grade_class: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class GradeSystem:
    """An adverse-event system with its grades and source."""

    id: str
    title: str
    rule_id: str
    source: str
    confidence: str
    verified: bool
    grades: tuple[Grade, ...]
    maps_to: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["grades"] = [g.to_dict() for g in self.grades]
        return data


def grade_systems() -> tuple[GradeSystem, ...]:
    """The adverse-event systems irflow stores: SIR 2017, legacy SIR, CIRSE 2017."""
    return tuple(_system(r) for r in rules_where() if r.attr("grades"))


def grade_system(system: str) -> GradeSystem:
    """One grade system by id; ValueError naming the known ones if absent."""
    systems = {s.id: s for s in grade_systems()}
    if system not in systems:
        raise ValueError(msg.AE_UNKNOWN_SYSTEM.format(system=system, known=", ".join(systems)))
    return systems[system]


def grade(system: str, code: str) -> Grade:
    """One grade of one system; ValueError if the system has no such grade."""
    gs = grade_system(system)
    for g in gs.grades:
        if g.code == code:
            return g
    known = ", ".join(g.code for g in gs.grades)
    raise ValueError(msg.AE_UNKNOWN_GRADE.format(system=system, code=code, known=known))


def map_grade(system: str, code: str, to: str) -> str | None:
    """The grade in system `to`, or None where no mapping is defined (never guessed)."""
    gs = grade_system(system)
    g = grade(system, code)
    if gs.maps_to == to:
        return g.grade_class
    return None


def _system(r: Rule) -> GradeSystem:
    system = str(r.attr("system"))
    definitions: dict[str, str] = {}
    definitions_verified = True
    for other in rules_where(system=system):
        if other.id == SIR_2017_DEFINITIONS:
            definitions = dict(other.attr("definitions"))
            definitions_verified = other.verified
    grades = tuple(
        Grade(
            system=system,
            code=str(g["code"]),
            label=str(g["label"]),
            description=str(g.get("description") or definitions.get(g["code"], "")),
            description_verified=r.verified if g.get("description") else definitions_verified,
            grade_class=g.get("class"),
        )
        for g in r.attr("grades")
    )
    return GradeSystem(
        id=system,
        title=r.title,
        rule_id=r.id,
        source=r.source,
        confidence=r.confidence,
        verified=r.verified,
        grades=grades,
        maps_to=r.attr("maps_to"),
    )


def pain_band(score: int, policy: SitePolicy = DEFAULT_POLICY) -> str | None:
    """'mild', 'moderate' or 'severe' for an NRS score; None for 0 (no pain)."""
    low, high = int(policy.number(PAIN_SCALE, "min")), int(policy.number(PAIN_SCALE, "max"))
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise ValueError(msg.PAIN_OUT_OF_SCALE.format(score=score, low=low, high=high))
    if score == low:
        return None
    if score <= policy.number(PAIN_BANDS, "mild_max"):
        return "mild"
    if score <= policy.number(PAIN_BANDS, "moderate_max"):
        return "moderate"
    return "severe"


def pain_change_meaningful(before: int, after: int, policy: SitePolicy = DEFAULT_POLICY) -> bool:
    """Whether the change between two NRS scores is clinically meaningful (either direction)."""
    pain_band(before, policy)
    pain_band(after, policy)
    return abs(after - before) >= policy.number(PAIN_CHANGE, "points")
