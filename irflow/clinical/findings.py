"""Findings, and how they add up to a readiness state — with and without the acknowledgements
of physicians.

Aggregation (documented in docs/clinical-rules.md):
- any finding `action_needed` or `missing_data`  -> `not_ready`
- otherwise any `warning`                        -> `needs_review`
- otherwise                                      -> `ready`
A case with no findings at all is `ready` only if nothing was required; the evaluation
always emits at least the bleeding-risk category and consent findings, so in practice every
evaluation has findings. `blocking` is true when the state is `not_ready` and the case is
not emergent: an emergent case is flagged (`emergent_override`), never blocked.

A physician may acknowledge (override) a finding. An acknowledged warning then counts as a
pass; an acknowledged "action needed" or "missing data" counts as a warning — never as a pass,
so an overridden case is at best `needs_review` (`effective_state`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from types import MappingProxyType
from typing import Any, Literal

import irflow.clinical.messages as msg
from irflow.clinical.rules import Confidence, rule

Status = Literal["pass", "warning", "action_needed", "missing_data"]
State = Literal["ready", "needs_review", "not_ready"]

STATUSES: tuple[Status, ...] = ("pass", "warning", "missing_data", "action_needed")
STATES: tuple[State, ...] = ("ready", "needs_review", "not_ready")
# Order used by the monotonicity guarantees: a higher rank is further from ready.
STATE_RANK: Mapping[State, int] = MappingProxyType({s: i for i, s in enumerate(STATES)})
STATUS_STATE: Mapping[Status, State] = MappingProxyType(
    {
        "pass": "ready",
        "warning": "needs_review",
        "missing_data": "not_ready",
        "action_needed": "not_ready",
    }
)

JSONValue = str | int | float | bool | None | list[Any] | dict[str, Any]


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one aspect of the case, with the inputs it used."""

    rule_id: str
    rule_set: str
    rule_set_version: str
    source: str
    confidence: Confidence
    verified: bool
    status: Status
    message: str
    inputs: Mapping[str, JSONValue] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "rule_id": self.rule_id,
            "rule_set": self.rule_set,
            "rule_set_version": self.rule_set_version,
            "source": self.source,
            "confidence": self.confidence,
            "verified": self.verified,
            "status": self.status,
            "message": self.message,
            "inputs": dict(self.inputs),
        }


def make_finding(rule_id: str, status: Status, message: str, **inputs: Any) -> Finding:
    """A finding for `rule_id`, carrying its source, confidence and rule-set version."""
    r = rule(rule_id)
    return Finding(
        rule_id=r.id,
        rule_set=r.rule_set,
        rule_set_version=r.rule_set_version,
        source=r.source,
        confidence=r.confidence,
        verified=r.verified,
        status=status,
        message=message,
        inputs=MappingProxyType({k: jsonable(v) for k, v in inputs.items()}),
    )


def unconfirmed(finding: Finding) -> Finding:
    """The finding, saying that what it rests on was reported by a referrer and is not yet
    confirmed (the verdict itself is unchanged: unconfirmed counts as present)."""
    return replace(
        finding,
        message=msg.REPORTED_UNCONFIRMED.format(text=finding.message),
        inputs=MappingProxyType({**finding.inputs, "reported": True}),
    )


def aggregate_state(findings: Iterable[Finding]) -> State:
    """The readiness state implied by a set of findings (see the module docstring)."""
    return _worst(STATUS_STATE[f.status] for f in findings)


# What an acknowledged finding counts as when the findings add up to a state.
ACKNOWLEDGED_STATUS: Mapping[Status, Status] = MappingProxyType(
    {"pass": "pass", "warning": "pass", "action_needed": "warning", "missing_data": "warning"}
)


def finding_key(finding: Finding) -> str:
    """Names one finding as it is (rule, status, message): an acknowledgement applies to this
    exact finding, and no longer once the finding changes."""
    text = f"{finding.rule_id}\n{finding.status}\n{finding.message}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def effective_state(findings: Iterable[Finding], acknowledged: Collection[str]) -> State:
    """The state the findings add up to once the findings whose key (`finding_key`) is in
    `acknowledged` count as acknowledged: never better than `needs_review` while any finding
    needs action or data."""
    return _worst(
        STATUS_STATE[ACKNOWLEDGED_STATUS[f.status] if finding_key(f) in acknowledged else f.status]
        for f in findings
    )


def _worst(states: Iterable[State]) -> State:
    worst: State = "ready"
    for state in states:
        if STATE_RANK[state] > STATE_RANK[worst]:
            worst = state
    return worst


def jsonable(value: Any) -> JSONValue:
    """Plain JSON data: datetimes and times become ISO strings, tuples lists."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [jsonable(v) for v in items]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
