"""Adverse events graded from the recorded facts, in the three systems of the rule data.

The facts (`FACTS`) are what a nurse or a physician knows: the therapy the event needed, the
level of care, the hospital stay it caused, whether it threatened life, permanent sequelae,
and the outcome. Each system's rule (`adverse-events.suggest.<system>`) grades them; a fact
not known yet stands for any of its values, so the suggestion is then the set of grades the
facts still allow. Two kinds of disagreement:

- a chosen grade outside what the facts allow needs a stated reason (`grade_conflicts`);
- entries that say opposite things of death or of permanent sequelae — a grade of death with
  the outcome “resolved”, death with legacy class A — are refused (`contradictions`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, get_args

from irflow.clinical.outcomes import grade, grade_system
from irflow.clinical.rules import Rule, rule

SYSTEMS = ("sir-2017", "sir-legacy", "cirse-2017")
SUGGEST_RULE = "adverse-events.suggest.{system}"
DEFINITIONAL_RULE = "adverse-events.definitional"
UNKNOWN = "unknown"

Therapy = Literal["none", "nominal", "substantial", "major", "unknown"]
CareLevel = Literal["unchanged", "observation", "admission", "higher", "unknown"]
HospitalStay = Literal["none", "lt_48h", "ge_48h", "unknown"]
LifeThreatening = Literal["no", "yes", "unknown"]
Sequelae = Literal["none", "mild", "severe", "unknown"]
Outcome = Literal["resolved", "resolved_sequelae", "ongoing", "death", "unknown"]
FactName = Literal["therapy", "care_level", "hospital_stay", "life_threatening", "sequelae"]

MSG_NOT_A_CHOICE = "“{value}” is not one of: {known}."
MSG_CHOOSE = "Choose one (or “Not known yet”)."
MSG_DEATH = "{yes} means the patient died of the event, but {no} {verb} the patient did not."
MSG_SEQUELAE = "{yes} means permanent sequelae, but {no} {verb} there are none."
MSG_CONFLICT = (
    "The recorded facts give {system} {allowed}, not {chosen}: give the reason for this grade."
)


# How messages name a grade of each system: “SIR 2017 Severe”, “legacy SIR class A”, “CIRSE
# grade 6”.
SYSTEM_TITLES = {"sir-2017": "SIR 2017", "sir-legacy": "legacy SIR", "cirse-2017": "CIRSE"}
NAMES = {
    "sir-2017": "SIR 2017 “{label}”",
    "sir-legacy": "legacy SIR class {label}",
    "cirse-2017": "CIRSE {label}",
}


def _lower_first(label: str) -> str:
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def grade_words(system: str, code: str) -> str:
    """A grade as messages name it."""
    return NAMES[system].format(
        label=_lower_first(grade(system, code).label)
        if system == "cirse-2017"
        else grade(system, code).label
    )


@dataclass(frozen=True)
class Choice:
    code: str
    label: str
    hint: str = ""


@dataclass(frozen=True)
class Fact:
    """One fact recorded about an adverse event, with its choices in order of severity."""

    name: str
    label: str
    short: str  # in sentences: “therapy: substantial”
    choices: tuple[Choice, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.choices)

    def label_of(self, code: str) -> str:
        return next((c.label for c in self.choices if c.code == code), code)


def _fact(
    name: str, label: str, short: str, literal: Any, words: Mapping[str, tuple[str, str]]
) -> Fact:
    return Fact(
        name=name,
        label=label,
        short=short,
        choices=tuple(Choice(code, *words[code]) for code in get_args(literal)),
    )


FACTS: tuple[Fact, ...] = (
    _fact(
        "therapy",
        "Therapy the event needed",
        "therapy",
        Therapy,
        {
            "none": ("None", ""),
            "nominal": ("Nominal", "e.g. analgesia, an antiemetic, IV fluids, compression"),
            "substantial": (
                "Substantial",
                "e.g. a transfusion, an intervention under conscious sedation",
            ),
            "major": ("Major", "surgery, or an intervention under general anaesthesia"),
            "unknown": ("Not known yet", ""),
        },
    ),
    _fact(
        "care_level",
        "Level of care",
        "care",
        CareLevel,
        {
            "unchanged": ("As planned", "no change to the planned care"),
            "observation": ("Observation", "kept for observation only, overnight included"),
            "admission": ("Unplanned admission", "admitted (or kept on the ward) for treatment"),
            "higher": ("Unplanned higher level of care", "ICU or high-dependency care"),
            "unknown": ("Not known yet", ""),
        },
    ),
    _fact(
        "hospital_stay",
        "Hospital stay caused or prolonged",
        "hospital stay",
        HospitalStay,
        {
            "none": ("None", ""),
            "lt_48h": ("Under 48 h", ""),
            "ge_48h": ("48 h or more", ""),
            "unknown": ("Not known yet", ""),
        },
    ),
    _fact(
        "life_threatening",
        "Threat to life",
        "threat to life",
        LifeThreatening,
        {
            "no": ("No", ""),
            "yes": ("Yes", "e.g. cardiopulmonary arrest, shock, organ failure"),
            "unknown": ("Not known yet", ""),
        },
    ),
    _fact(
        "sequelae",
        "Permanent sequelae",
        "permanent sequelae",
        Sequelae,
        {
            "none": ("None", ""),
            "mild": ("Mild", "resumes work and independent living"),
            "severe": ("Severe, disabling", "needs ongoing help in daily life"),
            "unknown": ("Not known yet", ""),
        },
    ),
)
FACTS_BY_NAME = {f.name: f for f in FACTS}
OUTCOMES: tuple[str, ...] = get_args(Outcome)
OUTCOME_LABELS: dict[str, str] = {
    "resolved": "Resolved",
    "resolved_sequelae": "Resolved with sequelae",
    "ongoing": "Ongoing",
    "death": "Death",
    "unknown": "Unknown",
}


@dataclass(frozen=True)
class Suggestion:
    """The grades one system gives for the facts: one when the facts decide it, several
    while some fact is not known yet."""

    system: str
    possible: tuple[str, ...]  # in the system's order, mildest first
    rule_id: str
    rule_set_version: str
    confidence: str
    source: str
    because: str = ""  # the known facts that decided the lowest grade

    @property
    def unique(self) -> str | None:
        return self.possible[0] if len(self.possible) == 1 else None

    @property
    def label(self) -> str:
        """“Moderate”; “B or D”, “Mild to severe” while facts are missing."""
        if not self.possible:
            return "—"
        labels = [grade(self.system, c).label for c in self.possible]
        rest = [_lower_first(x) for x in labels[1:]]
        if not rest:
            return labels[0]
        order = [g.code for g in grade_system(self.system).grades]
        span = order[order.index(self.possible[0]) : order.index(self.possible[-1]) + 1]
        if len(labels) > 3 and list(self.possible) == span:
            return f"{labels[0]} to {rest[-1]}"
        return ", ".join([labels[0], *rest[:-1]]) + " or " + rest[-1]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "system": self.system,
            "possible": list(self.possible),
            "suggested": self.unique,
            "label": self.label,
            "because": self.because,
            "rule_id": self.rule_id,
            "rule_set_version": self.rule_set_version,
            "confidence": self.confidence,
        }


def fact_errors(facts: Mapping[str, Any]) -> dict[str, str]:
    """Field messages for facts that are missing or not one of their choices."""
    errors = {}
    for fact in FACTS:
        value = facts.get(fact.name)
        if value in (None, ""):
            errors[fact.name] = MSG_CHOOSE
        elif value not in fact.codes:
            errors[fact.name] = MSG_NOT_A_CHOICE.format(value=value, known=", ".join(fact.codes))
    return errors


def _known(value: Any, codes: tuple[str, ...]) -> tuple[str, ...]:
    """The values a recorded fact stands for: itself, or every value while not known."""
    if value in codes and value != UNKNOWN:
        return (str(value),)
    return tuple(c for c in codes if c != UNKNOWN)


@cache
def _steps(system: str) -> tuple[Rule, tuple[tuple[str, tuple[Mapping[str, Any], ...]], ...]]:
    r = rule(SUGGEST_RULE.format(system=system))
    steps = tuple((str(s["grade"]), tuple(s["when"])) for s in r.attr("steps"))
    return r, steps


def _holds(condition: Mapping[str, Any], world: Mapping[str, str]) -> bool:
    return all(world.get(name) in values for name, values in condition.items())


def _graded(system: str, world: Mapping[str, str]) -> tuple[str, str]:
    """(grade, the condition that gave it, in words) for one complete set of facts."""
    r, steps = _steps(system)
    for code, when in steps:
        for condition in when:
            if _holds(condition, world):
                return code, _words(condition, world)
    return str(r.attr("otherwise")), ""


def _words(condition: Mapping[str, Any], world: Mapping[str, str]) -> str:
    parts = []
    for name in condition:
        if name == "outcome":
            parts.append(f"outcome: {OUTCOME_LABELS[world[name]].lower()}")
        else:
            fact = FACTS_BY_NAME[name]
            parts.append(f"{fact.short}: {fact.label_of(world[name]).lower()}")
    return ", ".join(parts)


def _assertions(rule_data: Mapping[str, Any], key: str, value: str) -> Mapping[str, bool]:
    return rule_data.get(key, {}).get(value, {}) if value else {}


def _consistent(world: Mapping[str, str]) -> bool:
    """A complete set of facts that the outcome and the sequelae do not contradict."""
    definitional = rule(DEFINITIONAL_RULE).attributes
    said: dict[str, bool] = {}
    for key in ("outcome", "sequelae"):
        for what, holds in _assertions(definitional, key, world[key]).items():
            if said.setdefault(what, holds) != holds:
                return False
    return True


def _worlds(facts: Mapping[str, Any], outcome: str) -> list[dict[str, str]]:
    names = [f.name for f in FACTS] + ["outcome"]
    values = [_known(facts.get(f.name), f.codes) for f in FACTS] + [_known(outcome, OUTCOMES)]
    worlds = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]
    return [w for w in worlds if _consistent(w)]


def suggest(facts: Mapping[str, Any], outcome: str = "") -> dict[str, Suggestion]:
    """For each system, the grades the facts allow (one when they decide it)."""
    worlds = _worlds(facts, outcome)
    floor_world = {f.name: str(facts.get(f.name) or UNKNOWN) for f in FACTS} | {
        "outcome": outcome or UNKNOWN
    }
    found = {}
    for system in SYSTEMS:
        r, _ = _steps(system)
        order = [g.code for g in grade_system(system).grades]
        possible = {_graded(system, w)[0] for w in worlds}
        _, because = _graded(system, floor_world)
        found[system] = Suggestion(
            system=system,
            possible=tuple(sorted(possible, key=order.index)),
            rule_id=r.id,
            rule_set_version=r.rule_set_version,
            confidence=r.confidence,
            source=r.source,
            because=because,
        )
    return found


@dataclass(frozen=True)
class Entry:
    """One thing said of an event, for the contradiction check: a grade, the outcome or the
    recorded sequelae, with the field it came from and its words."""

    field: str
    words: str
    says: Mapping[str, bool]


def entries(
    grades: Mapping[str, str], outcome: str, sequelae: str, fields: Mapping[str, str]
) -> list[Entry]:
    """What each given grade (by system), the outcome and the sequelae say of death and of
    permanent sequelae. `fields` names the field of each system, and of "outcome" and
    "sequelae"."""
    definitional = rule(DEFINITIONAL_RULE).attributes
    found = []
    for system, code in grades.items():
        if not code:
            continue
        data = next(x for x in grade_system_data(system) if str(x["code"]) == code)
        says = {k: bool(data[k]) for k in ("death", "sequelae") if k in data}
        found.append(Entry(fields[system], grade_words(system, code), says))
    if outcome:
        found.append(
            Entry(
                fields["outcome"],
                f"the outcome “{OUTCOME_LABELS.get(outcome, outcome).lower()}”",
                _assertions(definitional, "outcome", outcome),
            )
        )
    if sequelae:
        found.append(
            Entry(
                fields["sequelae"],
                f"permanent sequelae “{FACTS_BY_NAME['sequelae'].label_of(sequelae).lower()}”",
                _assertions(definitional, "sequelae", sequelae),
            )
        )
    return found


def grade_system_data(system: str) -> tuple[Mapping[str, Any], ...]:
    """The grade entries of a system as the rule data holds them."""
    return tuple(rule(grade_system(system).rule_id).attr("grades"))


def contradictions(found: list[Entry]) -> dict[str, str]:
    """Field messages where two entries say opposite things of death or of sequelae."""
    errors: dict[str, str] = {}
    for what, template in (("death", MSG_DEATH), ("sequelae", MSG_SEQUELAE)):
        yes = [e for e in found if e.says.get(what) is True]
        no = [e for e in found if e.says.get(what) is False]
        if not yes or not no:
            continue
        message = template.format(
            yes=_join([e.words for e in yes]),
            no=_join([e.words for e in no]),
            verb="say" if len(no) > 1 else "says",
        )
        message = message[0].upper() + message[1:]
        for e in yes + no:
            errors[e.field] = f"{errors[e.field]} {message}" if e.field in errors else message
    return errors


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def grade_conflicts(
    grades: Mapping[str, str], suggestions: Mapping[str, Suggestion], fields: Mapping[str, str]
) -> dict[str, str]:
    """Field messages for chosen grades the facts do not allow (they need a reason)."""
    errors = {}
    for system, code in grades.items():
        suggestion = suggestions.get(system)
        if not code or suggestion is None or not suggestion.possible:
            continue
        if code not in suggestion.possible:
            errors[fields[system]] = MSG_CONFLICT.format(
                system=SYSTEM_TITLES[system],
                allowed=suggestion.label,
                chosen=grade(system, code).label,
            )
    return errors
