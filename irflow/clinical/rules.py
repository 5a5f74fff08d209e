"""Rule sets as versioned data: load the TOML files, validate them, expose them read-only."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

Confidence = Literal["V", "S", "U"]
ValueKind = Literal["number", "range", "flag", "text", "texts", "numbers"]
Value = float | int | bool | str | tuple[str, ...] | tuple[float, ...]

CONFIDENCES: tuple[Confidence, ...] = ("V", "S", "U")
COMPARISONS = ("le", "lt", "ge", "gt")
# Holds and windows counted in whole units: a site may not pick 2.5 days or 6.5 doses.
INTEGER_UNITS = frozenset({"days", "doses", "points"})


class RuleSetError(ValueError):
    """A rule-set file is malformed; raised at load time, never during an evaluation."""


class UnknownRuleError(KeyError):
    """No rule set or rule has this id."""


@dataclass(frozen=True)
class Citation:
    """A source a rule set cites, by key."""

    key: str
    text: str


@dataclass(frozen=True)
class ValueSpec:
    """One parameter of a rule: its published value or range and what a site may change."""

    name: str
    kind: ValueKind
    default: Value
    unit: str = ""
    low: float | None = None
    high: float | None = None
    stricter: Literal["low", "high"] | None = None
    compare: str | None = None
    configurable: bool = False
    allowed: tuple[float, float] | None = None
    choices: tuple[str, ...] | None = None
    greater_than: str | None = None
    integer: bool = False
    note: str = ""

    @property
    def published_range(self) -> tuple[float, float] | None:
        """The published (low, high) range, or None for a single value."""
        if self.low is None or self.high is None:
            return None
        return (self.low, self.high)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "name": self.name,
            "kind": self.kind,
            "default": _jsonable(self.default),
            "unit": self.unit,
            "range": list(self.published_range) if self.published_range else None,
            "stricter": self.stricter,
            "compare": self.compare,
            "configurable": self.configurable or self.kind == "range",
            "allowed": list(self.allowed) if self.allowed else None,
            "choices": list(self.choices) if self.choices is not None else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class Rule:
    """One rule: id, source, confidence and values. `attributes` hold fixed structure."""

    id: str
    rule_set: str
    rule_set_version: str
    title: str
    description: str
    confidence: Confidence
    verified: bool
    citations: tuple[Citation, ...]
    values: Mapping[str, ValueSpec]
    attributes: Mapping[str, Any]

    @property
    def source(self) -> str:
        """The full citations of the rule, joined."""
        return " | ".join(c.text for c in self.citations)

    @property
    def site_default(self) -> bool:
        """Unverified rules are never facts: each of their values is a site default."""
        return self.confidence == "U"

    def attr(self, name: str, default: Any = None) -> Any:
        """A fixed attribute of the rule (drug, phase, …), or `default`."""
        return self.attributes.get(name, default)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "id": self.id,
            "rule_set": self.rule_set,
            "rule_set_version": self.rule_set_version,
            "title": self.title,
            "description": self.description,
            "confidence": self.confidence,
            "verified": self.verified,
            "site_default": self.site_default,
            "source": self.source,
            "citations": [c.key for c in self.citations],
            "values": {name: spec.to_dict() for name, spec in self.values.items()},
            "attributes": _jsonable(self.attributes),
        }


@dataclass(frozen=True)
class RuleSet:
    """A versioned rule set: its citations and rules."""

    id: str
    version: str
    title: str
    summary: str
    citations: tuple[Citation, ...]
    rules: tuple[Rule, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "summary": self.summary,
            "citations": [{"key": c.key, "text": c.text} for c in self.citations],
            "rules": [r.to_dict() for r in self.rules],
        }


def rulesets() -> tuple[RuleSet, ...]:
    """All rule sets shipped with irflow, sorted by id."""
    return _load_all()


def ruleset(ruleset_id: str) -> RuleSet:
    """One rule set by id (e.g. 'sir-2019'); UnknownRuleError if absent."""
    for rs in _load_all():
        if rs.id == ruleset_id:
            return rs
    raise UnknownRuleError(ruleset_id)


def rule(rule_id: str) -> Rule:
    """One rule by its stable id (e.g. 'sir-2019.inr.high-risk'); UnknownRuleError if absent."""
    try:
        return _rule_index()[rule_id]
    except KeyError:
        raise UnknownRuleError(rule_id) from None


def rules_where(**attributes: Any) -> tuple[Rule, ...]:
    """Rules whose attributes equal every given keyword, in rule-set order."""
    return tuple(
        r
        for r in _rule_index().values()
        if all(r.attributes.get(k) == v for k, v in attributes.items())
    )


@cache
def _rule_index() -> Mapping[str, Rule]:
    index: dict[str, Rule] = {}
    for rs in _load_all():
        for r in rs.rules:
            if r.id in index:
                raise RuleSetError(f"duplicate rule id {r.id}")
            index[r.id] = r
    return MappingProxyType(index)


@cache
def _load_all() -> tuple[RuleSet, ...]:
    folder = resources.files("irflow.clinical") / "rulesets"
    loaded = []
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            with entry.open("rb") as fh:
                loaded.append(parse_ruleset(tomllib.load(fh), origin=entry.name))
    return tuple(sorted(loaded, key=lambda rs: rs.id))


def parse_ruleset(data: Mapping[str, Any], *, origin: str = "<data>") -> RuleSet:
    """Validate one decoded TOML document and build its read-only RuleSet."""
    try:
        rs_id, version = str(data["id"]), str(data["version"])
        citations = tuple(Citation(str(c["key"]), str(c["text"])) for c in data["citations"])
        by_key = {c.key: c for c in citations}
        rules = tuple(
            _parse_rule(raw, rs_id=rs_id, version=version, citations=by_key)
            for raw in data["rules"]
        )
        return RuleSet(
            id=rs_id,
            version=version,
            title=str(data["title"]),
            summary=str(data.get("summary", "")),
            citations=citations,
            rules=rules,
        )
    except (KeyError, TypeError) as exc:
        raise RuleSetError(f"{origin}: missing or malformed field {exc}") from exc


def _parse_rule(
    raw: Mapping[str, Any], *, rs_id: str, version: str, citations: Mapping[str, Citation]
) -> Rule:
    rule_id = str(raw["id"])
    if not rule_id.startswith(rs_id + "."):
        raise RuleSetError(f"rule {rule_id} must start with its rule set id {rs_id}.")
    confidence = raw["confidence"]
    if confidence not in CONFIDENCES:
        raise RuleSetError(f"{rule_id}: confidence must be V, S or U")
    verified = bool(raw["verified"])
    if verified != (confidence != "U"):
        raise RuleSetError(f"{rule_id}: verified must be false exactly when confidence is U")
    try:
        cited = tuple(citations[key] for key in raw["sources"])
    except KeyError as exc:
        raise RuleSetError(f"{rule_id}: unknown citation {exc}") from None
    if not cited:
        raise RuleSetError(f"{rule_id}: at least one source is required")
    values = {
        name: _parse_value(rule_id, name, spec, site_default=confidence == "U")
        for name, spec in raw.get("values", {}).items()
    }
    for spec in values.values():
        if spec.greater_than and spec.greater_than not in values:
            raise RuleSetError(f"{rule_id}.{spec.name}: greater_than names no value")
    return Rule(
        id=rule_id,
        rule_set=rs_id,
        rule_set_version=version,
        title=str(raw["title"]),
        description=str(raw["description"]),
        confidence=confidence,
        verified=verified,
        citations=cited,
        values=MappingProxyType(values),
        attributes=_freeze(dict(raw.get("attributes", {}))),
    )


def _parse_value(
    rule_id: str, name: str, raw: Mapping[str, Any], *, site_default: bool
) -> ValueSpec:
    where = f"{rule_id}.{name}"
    unit = str(raw.get("unit", ""))
    compare = raw.get("compare")
    if compare is not None and compare not in COMPARISONS:
        raise RuleSetError(f"{where}: compare must be one of {COMPARISONS}")
    common: dict[str, Any] = {
        "name": name,
        "unit": unit,
        "compare": compare,
        # Every value of an unverified rule is a site default, whatever the file says.
        "configurable": site_default or bool(raw.get("configurable", False)),
        "allowed": tuple(raw["allowed"]) if "allowed" in raw else None,
        "choices": tuple(raw["choices"]) if "choices" in raw else None,
        "greater_than": raw.get("greater_than"),
        "integer": unit in INTEGER_UNITS,
        "note": str(raw.get("note", "")),
    }
    if "range" in raw:
        low, high = (float(x) for x in raw["range"])
        stricter = raw.get("stricter")
        if stricter not in ("low", "high") or not low < high:
            raise RuleSetError(f"{where}: a range needs low < high and stricter low|high")
        default = _number(low if stricter == "low" else high, common["integer"])
        return ValueSpec(
            kind="range", default=default, low=low, high=high, stricter=stricter, **common
        )
    value = raw["value"]
    kind = raw.get("kind") or _infer_kind(value)
    if kind == "texts":
        value = tuple(str(v) for v in value)
        if common["choices"] is not None and not set(value) <= set(common["choices"]):
            raise RuleSetError(f"{where}: default outside its choices")
    elif kind == "numbers":
        value = tuple(_number(v, common["integer"]) for v in value)
    elif kind == "number":
        if not math.isfinite(value):
            raise RuleSetError(f"{where}: not a finite number")
    elif kind not in ("flag", "text"):
        raise RuleSetError(f"{where}: unsupported value kind {kind}")
    return ValueSpec(kind=kind, default=value, **common)


def _infer_kind(value: Any) -> ValueKind:
    if isinstance(value, bool):
        return "flag"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list) and value:
        return "texts" if all(isinstance(v, str) for v in value) else "numbers"
    raise RuleSetError(f"cannot infer the kind of {value!r}; give `kind`")


def _number(value: Any, integer: bool) -> float | int:
    return int(value) if integer and float(value).is_integer() else float(value)


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value
