"""Site policy: a site's choices on top of the published rule values, validated and immutable.

A policy is built from a plain mapping `{rule_id: {param: value}}` so that the Django side can
store it as JSON. A range resolves to its stricter end unless the site picks a value inside
it; a pick outside the published range is refused. Values of unverified ([U]) rules are site
defaults and stay `verified=False` whatever the site picks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import irflow.clinical.messages as msg
from irflow.clinical.rules import UnknownRuleError, Value, ValueSpec, rule

SITE_RULE_ID = "site"

# Where a value comes from: the published rule set, or this site's choice.
ValueOrigin = Literal["published", "site"]


class PolicyError(ValueError):
    """A site override is refused; names the rule and the parameter."""

    def __init__(self, message: str, *, rule_id: str, param: str) -> None:
        super().__init__(message)
        self.rule_id = rule_id
        self.param = param


@dataclass(frozen=True)
class ResolvedValue:
    """The value a rule uses at this site, and where it came from."""

    rule_id: str
    param: str
    value: Value
    default: Value
    origin: ValueOrigin
    unit: str
    published_range: tuple[float, float] | None
    verified: bool
    site_default: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        default = list(self.default) if isinstance(self.default, tuple) else self.default
        return {
            "rule_id": self.rule_id,
            "param": self.param,
            "value": value,
            "default": default,
            "origin": self.origin,
            "unit": self.unit,
            "range": list(self.published_range) if self.published_range else None,
            "verified": self.verified,
            "site_default": self.site_default,
        }


class SitePolicy:
    """Immutable site overrides of rule values plus the site's time zone."""

    __slots__ = ("_overrides", "_timezone", "_zone")
    _overrides: Mapping[str, Mapping[str, Value]]
    _timezone: str
    _zone: ZoneInfo

    def __init__(
        self, overrides: Mapping[str, Mapping[str, Any]] | None = None, *, timezone: str = "UTC"
    ) -> None:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise PolicyError(
                msg.POLICY_BAD_TIMEZONE.format(timezone=timezone),
                rule_id=SITE_RULE_ID,
                param="timezone",
            ) from None
        clean = {
            rule_id: MappingProxyType(_validate_rule(rule_id, params))
            for rule_id, params in (overrides or {}).items()
        }
        object.__setattr__(self, "_overrides", MappingProxyType(clean))
        object.__setattr__(self, "_timezone", timezone)
        object.__setattr__(self, "_zone", zone)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Mapping[str, Any]] | None, *, timezone: str = "UTC"
    ) -> SitePolicy:
        """Build a policy from the stored JSON mapping; PolicyError on any refused value."""
        return cls(data, timezone=timezone)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("SitePolicy is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SitePolicy):
            return NotImplemented
        return self.to_mapping() == other.to_mapping() and self._timezone == other._timezone

    def __hash__(self) -> int:
        return hash((repr(sorted(self.to_mapping().items())), self._timezone))

    def __repr__(self) -> str:
        return f"SitePolicy({self.to_mapping()!r}, timezone={self._timezone!r})"

    @property
    def timezone(self) -> str:
        """The site's IANA time zone name."""
        return self._timezone

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone."""
        return self._zone

    @property
    def overrides(self) -> Mapping[str, Mapping[str, Value]]:
        """The site's validated overrides, read-only."""
        return self._overrides

    def to_mapping(self) -> dict[str, dict[str, Any]]:
        """The overrides as plain JSON-ready data (lists for tuples)."""
        return {
            rule_id: {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
            for rule_id, params in self._overrides.items()
        }

    def resolve(self, rule_id: str, param: str) -> ResolvedValue:
        """The value of `param` for `rule_id` at this site, with its provenance."""
        r = rule(rule_id)
        spec = r.values.get(param)
        if spec is None:
            raise PolicyError(
                msg.POLICY_UNKNOWN_PARAM.format(rule_id=rule_id, param=param),
                rule_id=rule_id,
                param=param,
            )
        site = self._overrides.get(rule_id, {})
        picked = param in site
        return ResolvedValue(
            rule_id=rule_id,
            param=param,
            value=site[param] if picked else spec.default,
            default=spec.default,
            origin="site" if picked else "published",
            unit=spec.unit,
            published_range=spec.published_range,
            verified=r.verified,
            site_default=r.site_default,
        )

    def number(self, rule_id: str, param: str) -> float:
        """A numeric value of a rule at this site."""
        value = self.resolve(rule_id, param).value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{rule_id}.{param} is not a number")
        return value

    def flag(self, rule_id: str, param: str) -> bool:
        """A true/false value of a rule at this site."""
        value = self.resolve(rule_id, param).value
        if not isinstance(value, bool):
            raise TypeError(f"{rule_id}.{param} is not a flag")
        return value

    def text(self, rule_id: str, param: str) -> str:
        """A text value of a rule at this site."""
        return str(self.resolve(rule_id, param).value)

    def texts(self, rule_id: str, param: str) -> tuple[str, ...]:
        """A list-of-text value of a rule at this site."""
        value = self.resolve(rule_id, param).value
        return tuple(str(v) for v in value) if isinstance(value, tuple) else ()

    def numbers(self, rule_id: str, param: str) -> tuple[float, ...]:
        """A list-of-numbers value of a rule at this site."""
        value = self.resolve(rule_id, param).value
        return tuple(float(v) for v in value) if isinstance(value, tuple) else ()

    def values_for(self, rule_id: str) -> dict[str, ResolvedValue]:
        """Every resolved value of one rule (for the admin page and the docs)."""
        return {name: self.resolve(rule_id, name) for name in rule(rule_id).values}


DEFAULT_POLICY = SitePolicy()


def _validate_rule(rule_id: str, params: Mapping[str, Any]) -> dict[str, Value]:
    try:
        r = rule(rule_id)
    except UnknownRuleError:
        raise PolicyError(
            msg.POLICY_UNKNOWN_RULE.format(rule_id=rule_id), rule_id=rule_id, param="*"
        ) from None
    if not isinstance(params, Mapping):
        raise PolicyError(
            msg.POLICY_NOT_A_MAPPING.format(rule_id=rule_id), rule_id=rule_id, param="*"
        )
    clean: dict[str, Value] = {}
    for param, value in params.items():
        spec = r.values.get(param)
        if spec is None:
            raise PolicyError(
                msg.POLICY_UNKNOWN_PARAM.format(rule_id=rule_id, param=param),
                rule_id=rule_id,
                param=param,
            )
        clean[param] = _validate_value(rule_id, spec, value)
    for spec in r.values.values():
        if spec.greater_than:
            this = clean.get(spec.name, spec.default)
            other = clean.get(spec.greater_than, r.values[spec.greater_than].default)
            if (
                not (isinstance(this, int | float) and isinstance(other, int | float))
                or this <= other
            ):
                raise PolicyError(
                    msg.POLICY_ORDER.format(
                        rule_id=rule_id, param=spec.name, other=spec.greater_than
                    ),
                    rule_id=rule_id,
                    param=spec.name,
                )
    return clean


def _validate_value(rule_id: str, spec: ValueSpec, value: Any) -> Value:
    def refuse(template: str, **extra: Any) -> PolicyError:
        text = template.format(rule_id=rule_id, param=spec.name, value=value, **extra)
        return PolicyError(text, rule_id=rule_id, param=spec.name)

    if spec.kind != "range" and not spec.configurable:
        raise refuse(msg.POLICY_NOT_CONFIGURABLE)
    if spec.kind in ("number", "range"):
        number = _as_number(value)
        if number is None or number < 0:
            raise refuse(msg.POLICY_NOT_A_NUMBER)
        if spec.integer and not float(number).is_integer():
            raise refuse(msg.POLICY_NOT_WHOLE)
        bounds = spec.published_range if spec.kind == "range" else spec.allowed
        if bounds is not None and not bounds[0] <= number <= bounds[1]:
            template = msg.POLICY_OUT_OF_RANGE if spec.kind == "range" else msg.POLICY_OUT_OF_BOUNDS
            raise refuse(template, low=_fmt(bounds[0]), high=_fmt(bounds[1]), unit=spec.unit)
        return int(number) if spec.integer else number
    if spec.kind == "flag":
        if not isinstance(value, bool):
            raise refuse(msg.POLICY_NOT_A_FLAG)
        return value
    if spec.kind == "text":
        if not isinstance(value, str) or (spec.choices is not None and value not in spec.choices):
            raise refuse(msg.POLICY_NOT_A_CHOICE, choices=", ".join(spec.choices or ()))
        return value
    if spec.kind == "texts":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise refuse(msg.POLICY_NOT_A_LIST)
        if spec.choices is not None and not set(value) <= set(spec.choices):
            raise refuse(msg.POLICY_NOT_A_CHOICE, choices=", ".join(spec.choices))
        return tuple(value)
    # numbers
    if not isinstance(value, list | tuple):
        raise refuse(msg.POLICY_NOT_A_LIST)
    numbers = [_as_number(v) for v in value]
    if any(n is None or n < 0 for n in numbers):
        raise refuse(msg.POLICY_NOT_A_NUMBER)
    return tuple(float(n) for n in numbers if n is not None)


def _as_number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
