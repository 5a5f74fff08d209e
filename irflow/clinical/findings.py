"""Findings, the evaluation result, and how findings add up to a readiness state.

Aggregation (documented in docs/clinical-rules.md):
- any finding `action_needed` or `missing_data`  -> `not_ready`
- otherwise any `warning`                        -> `needs_review`
- otherwise                                      -> `ready`
A case with no findings at all is `ready` only if nothing was required; the evaluation
always emits at least the bleeding-risk category and consent findings, so in practice every
evaluation has findings. `blocking` is true when the state is `not_ready` and the case is
not emergent: an emergent case is flagged (`emergent_override`), never blocked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from irflow.clinical.rules import Confidence, rule

if TYPE_CHECKING:
    from irflow.clinical.contrast import ScheduledDose
    from irflow.clinical.fasting import FastingPlan
    from irflow.clinical.medications import MedicationPlanItem

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


def aggregate_state(findings: tuple[Finding, ...] | list[Finding]) -> State:
    """The readiness state implied by a set of findings (see the module docstring)."""
    worst: State = "ready"
    for f in findings:
        state = STATUS_STATE[f.status]
        if STATE_RANK[state] > STATE_RANK[worst]:
            worst = state
    return worst


@dataclass(frozen=True)
class Evaluation:
    """The readiness of one case at one moment, replayable from its inputs and policy."""

    state: State
    blocking: bool
    emergent_override: bool
    urgency: str
    evaluated_at: datetime
    timezone: str
    findings: tuple[Finding, ...]
    rule_sets: Mapping[str, str]
    policy: Mapping[str, Any]
    medication_plan: tuple[MedicationPlanItem, ...] = ()
    fasting: FastingPlan | None = None
    premedication: tuple[ScheduledDose, ...] = ()
    notice: str | None = None

    def by_rule(self, rule_id: str) -> tuple[Finding, ...]:
        """The findings one rule produced."""
        return tuple(f for f in self.findings if f.rule_id == rule_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form for the API and for snapshots."""
        return {
            "state": self.state,
            "blocking": self.blocking,
            "emergent_override": self.emergent_override,
            "urgency": self.urgency,
            "evaluated_at": self.evaluated_at.isoformat(),
            "timezone": self.timezone,
            "findings": [f.to_dict() for f in self.findings],
            "rule_sets": dict(self.rule_sets),
            "policy": jsonable(self.policy),
            "medication_plan": [item.to_dict() for item in self.medication_plan],
            "fasting": self.fasting.to_dict() if self.fasting else None,
            "premedication": [dose.to_dict() for dose in self.premedication],
            "notice": self.notice,
        }


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
