"""The rule data: shape, invariants, read-only accessors, malformed files refused."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest

from irflow.clinical import RuleSetError, UnknownRuleError, rule, ruleset, rulesets
from irflow.clinical.rules import parse_ruleset

EXPECTED_SETS = {
    "sir-2019",
    "acr-nkf-2020",
    "acr-contrast-premedication",
    "asa-fasting",
    "ncrp-168-radiation",
    "adverse-events",
    "pain-nrs",
    "recovery-discharge",
    "checklists",
    "cockcroft-gault",
    "irflow-site",
    "lab-plausibility",
}
ALL_RULES = [r for rs in rulesets() for r in rs.rules]


def test_every_expected_rule_set_is_shipped() -> None:
    assert {rs.id for rs in rulesets()} == EXPECTED_SETS


@pytest.mark.parametrize("rs", rulesets(), ids=lambda rs: rs.id)
def test_rule_set_has_identity_and_citations(rs: Any) -> None:
    assert rs.version and rs.title and rs.citations
    assert all(c.text for c in rs.citations)


@pytest.mark.parametrize("r", ALL_RULES, ids=lambda r: r.id)
def test_rule_carries_source_confidence_and_description(r: Any) -> None:
    assert r.id.startswith(r.rule_set + ".")
    assert r.confidence in ("V", "S", "U")
    assert r.verified is (r.confidence != "U")
    assert r.source and r.description and r.title


@pytest.mark.parametrize("r", [r for r in ALL_RULES if r.confidence == "U"], ids=lambda r: r.id)
def test_unverified_rules_are_site_defaults(r: Any) -> None:
    assert r.site_default
    assert all(spec.configurable or spec.kind == "range" for spec in r.values.values())


def test_ranges_default_to_the_stricter_end() -> None:
    ranges = [spec for r in ALL_RULES for spec in r.values.values() if spec.kind == "range"]
    assert ranges
    for spec in ranges:
        expected = spec.low if spec.stricter == "low" else spec.high
        assert spec.default == expected, spec.name


def test_rule_ids_are_unique() -> None:
    ids = [r.id for r in ALL_RULES]
    assert len(ids) == len(set(ids))


def test_accessors_return_read_only_data() -> None:
    r = rule("sir-2019.inr.high-risk")
    assert isinstance(r.values, MappingProxyType)
    with pytest.raises(TypeError):
        r.values["inr_max"] = None  # type: ignore[index]
    with pytest.raises(AttributeError):
        r.confidence = "U"  # type: ignore[misc]
    assert ruleset("sir-2019").rules[0].id == "sir-2019.category"
    assert isinstance(rule("adverse-events.sir-legacy").attr("grades"), tuple)


def test_unknown_ids_raise() -> None:
    with pytest.raises(UnknownRuleError):
        rule("sir-2019.nope")
    with pytest.raises(UnknownRuleError):
        ruleset("nope")


def test_to_dict_is_plain_data() -> None:
    import json

    for rs in rulesets():
        json.dumps(rs.to_dict())


def _doc(**rule_fields: Any) -> dict[str, Any]:
    base_rule = {
        "id": "x.r",
        "title": "t",
        "description": "d",
        "confidence": "V",
        "verified": True,
        "sources": ["c"],
    }
    base_rule.update(rule_fields)
    return {
        "id": "x",
        "version": "1",
        "title": "t",
        "citations": [{"key": "c", "text": "C"}],
        "rules": [base_rule],
    }


@pytest.mark.parametrize(
    "fields",
    [
        {"id": "y.r"},
        {"confidence": "X"},
        {"confidence": "U", "verified": True},
        {"confidence": "V", "verified": False},
        {"sources": ["missing"]},
        {"sources": []},
        {"values": {"a": {"range": [2, 1], "stricter": "low"}}},
        {"values": {"a": {"range": [1, 2]}}},
        {"values": {"a": {"value": 1, "compare": "eq"}}},
        {"values": {"a": {"value": 1, "greater_than": "b"}}},
        {"values": {"a": {"value": ["p"], "choices": ["q"]}}},
        {"values": {"a": {"value": []}}},
        {"title": None, "id": None},
    ],
)
def test_malformed_rule_sets_are_refused(fields: dict[str, Any]) -> None:
    doc = _doc(**fields)
    if fields.get("id", "") is None:
        del doc["rules"][0]["id"]
    with pytest.raises(RuleSetError):
        parse_ruleset(doc)


def test_a_u_rule_value_is_configurable_even_if_the_file_says_not() -> None:
    doc = _doc(confidence="U", verified=False, values={"a": {"value": 1, "configurable": False}})
    assert parse_ruleset(doc).rules[0].values["a"].configurable


def test_hold_rules_use_known_units_and_actions() -> None:
    from irflow.clinical.rules import rules_where

    for r in rules_where():
        if not r.attr("drug"):
            continue
        assert r.attr("action") in ("hold", "continue", "team_decision", "check_lab"), r.id
        assert r.attr("restart") in (None, "hours", "day_after", "team_decision", "none"), r.id
        for name, spec in r.values.items():
            if name.startswith(("hold", "restart")):
                assert spec.unit in ("h", "doses", "days"), (r.id, name)
