"""Discharge criteria from recovery observations: the modified Aldrete score to leave recovery
after sedation, PADSS to go home the same day (rule set `recovery-discharge`).

Each item scores 0–2. Items the nurse observes (activity, respiration, ambulation, nausea,
bleeding) are given as points; the others are read from the vital signs against the
pre-procedure values. An item that cannot be scored leaves the score open, and an open score is
never met.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from irflow.clinical.policy import DEFAULT_POLICY, SitePolicy
from irflow.clinical.rules import rule

ALDRETE = "recovery-discharge.aldrete"
PADSS = "recovery-discharge.padss"
ITEMS = "recovery-discharge.items"
CIRCULATION = "recovery-discharge.circulation"
SPO2 = "recovery-discharge.spo2"
CONSCIOUSNESS = "recovery-discharge.consciousness"
VITAL_SIGNS = "recovery-discharge.vital-signs"
PAIN = "recovery-discharge.pain"
AVPU = {"A": "Alert", "V": "Responds to voice", "P": "Responds to pain", "U": "Unresponsive"}
NURSE_ITEMS = ("activity", "respiration", "ambulation", "nausea", "bleeding")
DERIVED_LABELS = {
    "circulation": "Circulation",
    "consciousness": "Consciousness",
    "spo2": "SpO2",
    "vital_signs": "Vital signs",
    "pain": "Pain",
}


@dataclass(frozen=True)
class Observation:
    """One set of recovery observations; None where not recorded."""

    heart_rate_bpm: int | None = None
    systolic_mmhg: int | None = None
    spo2_pct: int | None = None
    on_oxygen: bool = False
    consciousness: str = ""  # AVPU letter
    pain_nrs: int | None = None
    activity: int | None = None
    respiration: int | None = None
    ambulation: int | None = None
    nausea: int | None = None
    bleeding: int | None = None


@dataclass(frozen=True)
class Baseline:
    """The pre-procedure values the vital signs are compared with."""

    systolic_mmhg: int | None = None
    heart_rate_bpm: int | None = None


@dataclass(frozen=True)
class Item:
    name: str
    label: str
    points: int | None  # None: cannot be scored from what is recorded
    why: str


@dataclass(frozen=True)
class Score:
    """One discharge score of one set of observations, with the rule that gave it."""

    rule_id: str
    title: str
    items: tuple[Item, ...]
    pass_min: int
    rule_set_version: str
    confidence: str
    source: str
    cite: str = ""  # the source in short, for screens

    @property
    def total(self) -> int | None:
        points = [i.points for i in self.items]
        return None if any(p is None for p in points) else sum(p or 0 for p in points)

    @property
    def missing(self) -> list[str]:
        return [i.label for i in self.items if i.points is None]

    @property
    def met(self) -> bool:
        return self.total is not None and self.total >= self.pass_min

    @property
    def summary(self) -> str:
        """“9/10 (needs ≥ 9)”, or what is missing."""
        if self.total is None:
            return f"not scored: {', '.join(self.missing).lower()} missing"
        return f"{self.total}/10 (needs ≥ {self.pass_min})"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "rule_id": self.rule_id,
            "total": self.total,
            "pass_min": self.pass_min,
            "met": self.met,
            "missing": self.missing,
            "items": [i.__dict__ for i in self.items],
            "rule_set_version": self.rule_set_version,
            "confidence": self.confidence,
        }


def item_choices(name: str) -> list[tuple[int, str]]:
    """The points of an item the nurse scores, with their words (0 first)."""
    return list(enumerate(rule(ITEMS).attr(name)["points"]))


def item_label(name: str) -> str:
    """The label of an item."""
    if name in NURSE_ITEMS:
        return str(rule(ITEMS).attr(name)["label"])
    return DERIVED_LABELS[name]


def _nurse(obs: Observation, name: str) -> Item:
    value = getattr(obs, name)
    if value is None:
        return Item(name, item_label(name), None, "not recorded")
    if isinstance(value, bool) or value not in (0, 1, 2):
        raise ValueError(f"{name}: points are 0, 1 or 2, not {value!r}")
    return Item(name, item_label(name), value, item_choices(name)[value][1])


def _deviation_pct(value: int, baseline: int) -> float:
    return abs(value - baseline) * 100.0 / baseline


def _within(pct: float, rule_id: str, param: str, policy: SitePolicy) -> bool:
    limit = policy.number(rule_id, param)
    return pct < limit if rule(rule_id).values[param].compare == "lt" else pct <= limit


def _by_deviation(pct: float, rule_id: str, policy: SitePolicy) -> int:
    if _within(pct, rule_id, "full_pct", policy):
        return 2
    if _within(pct, rule_id, "part_pct", policy):
        return 1
    return 0


def _circulation(obs: Observation, base: Baseline, policy: SitePolicy) -> Item:
    label = item_label("circulation")
    if obs.systolic_mmhg is None:
        return Item("circulation", label, None, "no blood pressure")
    if not base.systolic_mmhg:
        return Item("circulation", label, None, "no pre-procedure blood pressure")
    pct = _deviation_pct(obs.systolic_mmhg, base.systolic_mmhg)
    points = _by_deviation(pct, CIRCULATION, policy)
    return Item("circulation", label, points, f"systolic {pct:.0f} % from pre-procedure")


def _spo2(obs: Observation, policy: SitePolicy) -> Item:
    label = item_label("spo2")
    if obs.spo2_pct is None:
        return Item("spo2", label, None, "no SpO2")
    where = "on oxygen" if obs.on_oxygen else "on room air"
    if obs.spo2_pct < policy.number(SPO2, "oxygen_min"):
        points = 0
    elif not obs.on_oxygen and obs.spo2_pct > policy.number(SPO2, "room_air_above"):
        points = 2
    else:
        points = 1
    return Item("spo2", label, points, f"{obs.spo2_pct} % {where}")


def _consciousness(obs: Observation) -> Item:
    label = item_label("consciousness")
    if obs.consciousness not in AVPU:
        return Item("consciousness", label, None, "no AVPU")
    points = int(rule(CONSCIOUSNESS).attr("points")[obs.consciousness])
    return Item("consciousness", label, points, AVPU[obs.consciousness].lower())


def _vital_signs(obs: Observation, base: Baseline, policy: SitePolicy) -> Item:
    label = item_label("vital_signs")
    if obs.systolic_mmhg is None or obs.heart_rate_bpm is None:
        return Item("vital_signs", label, None, "no blood pressure or pulse")
    if not base.systolic_mmhg or not base.heart_rate_bpm:
        return Item("vital_signs", label, None, "no pre-procedure blood pressure or pulse")
    pct = max(
        _deviation_pct(obs.systolic_mmhg, base.systolic_mmhg),
        _deviation_pct(obs.heart_rate_bpm, base.heart_rate_bpm),
    )
    points = _by_deviation(pct, VITAL_SIGNS, policy)
    return Item("vital_signs", label, points, f"up to {pct:.0f} % from pre-procedure")


def _pain(obs: Observation, policy: SitePolicy) -> Item:
    label = item_label("pain")
    if obs.pain_nrs is None:
        return Item("pain", label, None, "no pain score")
    acceptable = obs.pain_nrs <= policy.number(PAIN, "acceptable_max")
    words = "acceptable" if acceptable else "not acceptable"
    return Item("pain", label, 2 if acceptable else 1, f"NRS {obs.pain_nrs}, {words}")


def _score(rule_id: str, items: tuple[Item, ...], policy: SitePolicy) -> Score:
    r = rule(rule_id)
    return Score(
        rule_id=r.id,
        title=r.title,
        items=items,
        pass_min=int(policy.number(rule_id, "pass_min")),
        rule_set_version=r.rule_set_version,
        confidence=r.confidence,
        source=r.source,
        cite=str(r.attr("cite", "")),
    )


def aldrete(obs: Observation, base: Baseline, policy: SitePolicy = DEFAULT_POLICY) -> Score:
    """The modified Aldrete score of one set of observations."""
    items = (
        _nurse(obs, "activity"),
        _nurse(obs, "respiration"),
        _circulation(obs, base, policy),
        _consciousness(obs),
        _spo2(obs, policy),
    )
    return _score(ALDRETE, items, policy)


def padss(obs: Observation, base: Baseline, policy: SitePolicy = DEFAULT_POLICY) -> Score:
    """PADSS of one set of observations."""
    items = (
        _vital_signs(obs, base, policy),
        _nurse(obs, "ambulation"),
        _nurse(obs, "nausea"),
        _pain(obs, policy),
        _nurse(obs, "bleeding"),
    )
    return _score(PADSS, items, policy)


def aldrete_applies(sedation_depth: str) -> bool:
    """Whether the Aldrete score is needed: after sedation (not after none or local only)."""
    return sedation_depth not in rule(ALDRETE).attr("no_sedation")
