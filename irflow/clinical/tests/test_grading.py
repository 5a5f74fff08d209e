"""Adverse events graded from the recorded facts: each step of each system's rule, the
contradictions that are refused, the grades that need a reason, and properties over every
combination of facts."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irflow.clinical import grade_system, rule
from irflow.clinical.grading import (
    FACTS,
    FACTS_BY_NAME,
    OUTCOMES,
    SYSTEMS,
    UNKNOWN,
    contradictions,
    entries,
    fact_errors,
    grade_conflicts,
    suggest,
)

FIELDS = {
    "sir-2017": "sir_grade",
    "sir-legacy": "legacy_sir_class",
    "cirse-2017": "cirse_grade",
    "outcome": "outcome",
    "sequelae": "sequelae",
}
# Nothing happened that mattered: the baseline every row of the table changes one fact of.
CALM = {
    "therapy": "none",
    "care_level": "unchanged",
    "hospital_stay": "none",
    "life_threatening": "no",
    "sequelae": "none",
}


def facts(**changes: str) -> dict[str, str]:
    return CALM | changes


# (what changed from CALM, outcome) -> (SIR 2017, legacy SIR, CIRSE): one row per step of
# each system's rule, and the step below it.
GRADING = [
    ({}, "resolved", ("mild", "A", "1")),
    ({"therapy": "nominal"}, "resolved", ("mild", "B", "1")),
    ({"care_level": "observation"}, "resolved", ("mild", "B", "2")),
    ({"hospital_stay": "lt_48h", "care_level": "observation"}, "resolved", ("mild", "B", "2")),
    ({"therapy": "substantial"}, "resolved", ("moderate", "C", "3")),
    ({"care_level": "admission", "hospital_stay": "lt_48h"}, "resolved", ("severe", "C", "2")),
    ({"therapy": "major"}, "resolved", ("severe", "D", "3")),
    ({"care_level": "higher"}, "resolved", ("severe", "D", "3")),
    ({"hospital_stay": "ge_48h"}, "resolved", ("severe", "D", "3")),
    ({"life_threatening": "yes"}, "resolved", ("life_threatening", "D", "3")),
    ({"sequelae": "mild"}, "resolved_sequelae", ("mild", "E", "4")),
    ({"sequelae": "severe"}, "resolved_sequelae", ("life_threatening", "E", "5")),
    ({"therapy": "major", "sequelae": "severe"}, "ongoing", ("life_threatening", "E", "5")),
    ({"therapy": "major", "care_level": "higher"}, "death", ("death", "F", "6")),
]


@pytest.mark.parametrize(("changed", "outcome", "expected"), GRADING)
def test_each_step_of_each_system(
    changed: dict[str, str], outcome: str, expected: tuple[str, str, str]
) -> None:
    found = suggest(facts(**changed), outcome)
    assert tuple(found[s].unique for s in SYSTEMS) == expected


def test_a_suggestion_says_which_rule_and_which_facts() -> None:
    found = suggest(facts(therapy="substantial"), "resolved")["sir-legacy"]
    assert found.rule_id == "adverse-events.suggest.sir-legacy"
    assert found.confidence == "U" and found.rule_set_version == "2.0.0"
    assert found.because == "therapy: substantial"
    assert found.to_dict()["suggested"] == "C"


# Facts not known yet: the grades they still allow, in words.
OPEN = [
    (facts(hospital_stay=UNKNOWN, therapy="nominal"), "resolved", "sir-legacy",
     ("B", "D"), "B or D"),
    (facts(therapy=UNKNOWN), "resolved", "sir-2017",
     ("mild", "moderate", "severe"), "Mild, moderate or severe"),
    ({f.name: UNKNOWN for f in FACTS}, "", "sir-legacy", tuple("ABCDEF"), "A to F"),
    ({f.name: UNKNOWN for f in FACTS}, "", "cirse-2017", tuple("123456"), "Grade 1 to grade 6"),
    # The outcome says no sequelae: the unknown sequelae are none.
    (facts(sequelae=UNKNOWN), "resolved", "cirse-2017", ("1",), "Grade 1"),
    (facts(sequelae=UNKNOWN), "resolved_sequelae", "cirse-2017", ("4", "5"), "Grade 4 or grade 5"),
    # Not recorded at all (an event recorded before the facts were): any value.
    ({}, "", "sir-2017",
     ("mild", "moderate", "severe", "life_threatening", "death"), "Mild to death"),
]  # fmt: skip


@pytest.mark.parametrize(("given_facts", "outcome", "system", "possible", "label"), OPEN)
def test_facts_not_known_yet_leave_the_grades_they_allow(
    given_facts: dict[str, str], outcome: str, system: str, possible: tuple[str, ...], label: str
) -> None:
    found = suggest(given_facts, outcome)[system]
    assert found.possible == possible
    assert found.label == label
    assert found.unique == (possible[0] if len(possible) == 1 else None)


# Entries that say opposite things: (grades by system, outcome, sequelae) -> fields named.
CONTRADICTIONS = [
    ({"sir-2017": "death"}, "resolved", "", {"sir_grade", "outcome"}),
    ({"sir-2017": "death", "sir-legacy": "A"}, "death", "",
     {"sir_grade", "legacy_sir_class", "outcome"}),
    ({"sir-2017": "mild", "sir-legacy": "A"}, "death", "",
     {"sir_grade", "legacy_sir_class", "outcome"}),
    ({"sir-2017": "severe", "sir-legacy": "F"}, "unknown", "", {"sir_grade", "legacy_sir_class"}),
    ({"sir-2017": "severe", "cirse-2017": "6"}, "", "", {"sir_grade", "cirse_grade"}),
    ({"sir-2017": "severe"}, "death", "", {"sir_grade", "outcome"}),
    ({"sir-2017": "death"}, "ongoing", "", {"sir_grade", "outcome"}),
    ({"sir-legacy": "E"}, "resolved", "", {"legacy_sir_class", "outcome"}),
    ({"cirse-2017": "4"}, "resolved", "", {"cirse_grade", "outcome"}),
    ({"sir-legacy": "E", "cirse-2017": "2"}, "", "", {"legacy_sir_class", "cirse_grade"}),
    ({"sir-legacy": "B", "cirse-2017": "5"}, "", "", {"legacy_sir_class", "cirse_grade"}),
    ({}, "resolved", "mild", {"outcome", "sequelae"}),
    ({}, "resolved_sequelae", "none", {"outcome", "sequelae"}),
    ({"sir-legacy": "C"}, "", "severe", {"legacy_sir_class", "sequelae"}),
    ({"cirse-2017": "5"}, "", "none", {"cirse_grade", "sequelae"}),
]  # fmt: skip


@pytest.mark.parametrize(("grades", "outcome", "sequelae", "named"), CONTRADICTIONS)
def test_contradictions_name_every_field_involved(
    grades: dict[str, str], outcome: str, sequelae: str, named: set[str]
) -> None:
    errors = contradictions(entries(grades, outcome, sequelae, FIELDS))
    assert set(errors) == named
    message = next(iter(errors.values()))
    assert "but" in message and all(m == message for m in errors.values())


def test_the_reported_record_is_refused_with_words_a_user_can_act_on() -> None:
    """SIR 2017 death, legacy A (minor), outcome resolved: the record issue 13 found."""
    errors = contradictions(
        entries({"sir-2017": "death", "sir-legacy": "A"}, "resolved", "", FIELDS)
    )
    assert errors["sir_grade"] == (
        "SIR 2017 “Death” means the patient died of the event, but legacy SIR class A and "
        "the outcome “resolved” say the patient did not."
    )


AGREEING = [
    ({"sir-2017": "death", "sir-legacy": "F", "cirse-2017": "6"}, "death", "unknown"),
    ({"sir-2017": "mild", "sir-legacy": "A", "cirse-2017": "1"}, "resolved", "none"),
    ({"sir-2017": "life_threatening", "sir-legacy": "E", "cirse-2017": "5"},
     "resolved_sequelae", "severe"),
    ({"sir-2017": "severe", "sir-legacy": "D"}, "ongoing", "unknown"),
    ({"sir-2017": "moderate"}, "unknown", ""),
]  # fmt: skip


@pytest.mark.parametrize(("grades", "outcome", "sequelae"), AGREEING)
def test_entries_that_agree_pass(grades: dict[str, str], outcome: str, sequelae: str) -> None:
    assert contradictions(entries(grades, outcome, sequelae, FIELDS)) == {}


def test_a_grade_the_facts_do_not_give_needs_a_reason() -> None:
    found = suggest(facts(therapy="substantial"), "resolved")
    errors = grade_conflicts(
        {"sir-2017": "mild", "sir-legacy": "C", "cirse-2017": "1"}, found, FIELDS
    )
    assert errors == {
        "sir_grade": "The recorded facts give SIR 2017 Moderate, not Mild: give the reason for "
        "this grade.",
        "cirse_grade": "The recorded facts give CIRSE Grade 3, not Grade 1: give the reason for "
        "this grade.",
    }
    # A grade the unknown facts still allow needs none.
    open_facts = suggest(facts(therapy=UNKNOWN), "resolved")
    assert grade_conflicts({"sir-2017": "severe"}, open_facts, FIELDS) == {}
    assert "sir_grade" in grade_conflicts({"sir-2017": "death"}, open_facts, FIELDS)


@pytest.mark.parametrize(
    ("given_facts", "field", "message"),
    [
        ({}, "therapy", "Choose one (or “Not known yet”)."),
        (facts(therapy="lots"), "therapy", "“lots” is not one of: none, nominal,"),
        (facts(life_threatening="maybe"), "life_threatening", "is not one of: no, yes, unknown"),
    ],
)
def test_facts_must_be_one_of_their_choices(
    given_facts: dict[str, str], field: str, message: str
) -> None:
    assert message in fact_errors(given_facts)[field]


def test_the_steps_name_only_facts_and_grades_that_exist() -> None:
    for system in SYSTEMS:
        r = rule(f"adverse-events.suggest.{system}")
        codes = {g.code for g in grade_system(system).grades}
        assert r.attr("otherwise") in codes
        for step in r.attr("steps"):
            assert step["grade"] in codes
            for condition in step["when"]:
                for name, values in condition.items():
                    known = OUTCOMES if name == "outcome" else FACTS_BY_NAME[name].codes
                    assert set(values) <= set(known), (system, name, values)


def test_every_grade_has_a_definition_beside_it() -> None:
    for system in SYSTEMS:
        for g in grade_system(system).grades:
            assert g.description, (system, g.code)
    assert grade_system("cirse-2017").grades[1].description_verified is True
    assert grade_system("sir-2017").grades[0].description_verified is False


known_or_not: dict[str, Any] = {f.name: st.sampled_from(f.codes) for f in FACTS}


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries(known_or_not), st.sampled_from(OUTCOMES))
def test_knowing_more_never_widens_the_suggestion(
    given_facts: dict[str, str], outcome: str
) -> None:
    """Each suggestion is a subset of what the same facts allow with one of them unknown, and a
    fully known, consistent set of facts gives exactly one grade per system."""
    found = suggest(given_facts, outcome)
    for fact in FACTS:
        wider = suggest(given_facts | {fact.name: UNKNOWN}, outcome)
        for system in SYSTEMS:
            assert set(found[system].possible) <= set(wider[system].possible)
    fully_known = UNKNOWN not in given_facts.values() and outcome != UNKNOWN
    consistent = not contradictions(entries({}, outcome, given_facts["sequelae"], FIELDS))
    for system in SYSTEMS:
        if fully_known and consistent:
            assert found[system].unique is not None
        # The suggested grades never contradict the facts they came from.
        for code in found[system].possible:
            said = entries({system: code}, outcome, given_facts["sequelae"], FIELDS)
            assert contradictions(said) == {} or not consistent


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries(known_or_not), st.sampled_from(OUTCOMES))
def test_worse_facts_never_give_a_milder_grade(given_facts: dict[str, str], outcome: str) -> None:
    """Making one known fact worse (the next choice in its order) never lowers the lowest grade
    the facts allow."""
    base = suggest(given_facts, outcome)
    for fact in FACTS:
        value = given_facts[fact.name]
        if value == UNKNOWN:
            continue
        codes = [c for c in fact.codes if c != UNKNOWN]
        if codes.index(value) + 1 >= len(codes):
            continue
        worse = suggest(given_facts | {fact.name: codes[codes.index(value) + 1]}, outcome)
        for system in SYSTEMS:
            order = [g.code for g in grade_system(system).grades]
            if not base[system].possible or not worse[system].possible:
                continue
            assert order.index(worse[system].possible[0]) >= order.index(
                base[system].possible[0]
            ), (system, fact.name)
