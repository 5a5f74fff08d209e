"""Fasting before sedation: instructions with clock times and a check of the last intake.

Fasting hours are elapsed (real) hours before the planned start, so a night with a DST
change still gives the full fast. Urgent and emergent cases are flagged, never blocked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

import irflow.clinical.messages as msg
from irflow.clinical.findings import Finding, Status, jsonable, make_finding
from irflow.clinical.formatting import fmt_number
from irflow.clinical.inputs import INTAKE_KINDS, CaseInput, IntakeKind, Sedation
from irflow.clinical.policy import DEFAULT_POLICY, SitePolicy
from irflow.clinical.timeutil import (
    fmt_datetime,
    fmt_time,
    hours_after,
    hours_before,
    local_date,
    utc,
)

ELECTIVE = "asa-fasting.elective"
URGENT = "asa-fasting.urgent"
APPLIES = "asa-fasting.applies"
SOLID_KINDS: tuple[IntakeKind, ...] = ("light_meal", "fatty_meal")
SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class FastingPlan:
    """Latest intake time per kind for one booking, and the patient-facing instruction."""

    sedation: Sedation
    planned_start: datetime
    latest: Mapping[IntakeKind, datetime]
    solid_food_until: datetime
    clear_fluids_until: datetime
    message: str
    detail: str
    rule_id: str = ELECTIVE

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {k: jsonable(v) for k, v in data.items()}


def fasting_hours(kind: IntakeKind, policy: SitePolicy = DEFAULT_POLICY) -> float:
    """Minimum hours between the last intake of `kind` and the planned start."""
    return policy.number(ELECTIVE, f"{kind}_h")


def needs_fasting(sedation: Sedation, policy: SitePolicy = DEFAULT_POLICY) -> bool:
    """Whether the planned sedation level triggers the fasting rules at this site."""
    return sedation in policy.texts(APPLIES, "sedation_levels")


def fasting_plan(
    *, planned_start: datetime, sedation: Sedation, policy: SitePolicy = DEFAULT_POLICY
) -> FastingPlan | None:
    """'No solid food after HH:MM, clear fluids until HH:MM' for this booking; None if no fast."""
    if not needs_fasting(sedation, policy):
        return None
    zone = policy.zone
    latest = {
        kind: hours_before(planned_start, fasting_hours(kind, policy), zone)
        for kind in INTAKE_KINDS
    }
    solid = min((latest[k] for k in SOLID_KINDS), key=utc)
    clear = latest["clear"]
    message = msg.FASTING_SUMMARY.format(
        solid=_when(solid, planned_start, policy), clear=_when(clear, planned_start, policy)
    )
    details = "; ".join(
        msg.FASTING_DETAIL_ITEM.format(
            kind=msg.INTAKE_LABELS[k], until=_when(latest[k], planned_start, policy)
        )
        for k in sorted(INTAKE_KINDS, key=lambda k: utc(latest[k]))
    )
    return FastingPlan(
        sedation=sedation,
        planned_start=planned_start,
        latest=MappingProxyType(latest),
        solid_food_until=solid,
        clear_fluids_until=clear,
        message=message,
        detail=msg.FASTING_DETAIL.format(details=details),
    )


def fasting_findings(
    case: CaseInput, *, policy: SitePolicy, now: datetime | None = None
) -> tuple[list[Finding], FastingPlan | None]:
    """Compare the recorded last intake with the fasting rules for the planned sedation; with
    nothing recorded and the fast already due at `now`, say so (the letter's times are past)."""
    sedation = case.sedation
    if sedation is None:
        return [make_finding(APPLIES, "missing_data", msg.SEDATION_MISSING, sedation=None)], None
    label = msg.SEDATION_LABELS[sedation]
    plan = fasting_plan(planned_start=case.planned_start, sedation=sedation, policy=policy)
    if plan is None:
        text = msg.FASTING_NOT_NEEDED.format(sedation=label)
        return [make_finding(APPLIES, "pass", text, sedation=sedation)], None
    if case.last_intake is None:
        text = msg.INTAKE_MISSING.format(sedation=label)
        if now is not None and utc(plan.solid_food_until) <= utc(now):
            started = msg.FAST_ALREADY_DUE.format(
                solid=fmt_datetime(plan.solid_food_until, policy.zone),
                clear=fmt_datetime(plan.clear_fluids_until, policy.zone),
            )
            text = f"{text} {started}"
        return [
            make_finding(ELECTIVE, "missing_data", text, sedation=sedation, last_intake=None)
        ], plan
    inputs = {
        "sedation": sedation,
        "urgency": case.urgency,
        "last_intake": [{"kind": i.kind, "at": i.at} for i in case.last_intake],
    }
    short = [i for i in case.last_intake if utc(i.at) > utc(plan.latest[i.kind])]
    if not short:
        details = (
            "; ".join(
                msg.FASTED_ITEM.format(
                    kind=msg.INTAKE_LABELS[i.kind],
                    at=fmt_datetime(i.at, policy.zone),
                    hours=fmt_number(_hours_between(i.at, case.planned_start)),
                )
                for i in sorted(case.last_intake, key=lambda i: utc(i.at))
            )
            or msg.FASTED_NOTHING
        )
        return [
            make_finding(
                ELECTIVE, "pass", msg.FASTED.format(sedation=label, details=details), **inputs
            )
        ], plan
    details = "; ".join(
        msg.NOT_FASTED_ITEM.format(
            kind=msg.INTAKE_LABELS[i.kind],
            at=fmt_datetime(i.at, policy.zone),
            hours=fmt_number(fasting_hours(i.kind, policy)),
            until=fmt_datetime(_earliest_start(i.at, i.kind, policy), policy.zone),
        )
        for i in sorted(short, key=lambda i: utc(i.at))
    )
    status: Status
    if case.urgency in policy.texts(URGENT, "urgencies"):
        rule_id, status = URGENT, "warning"
        text = msg.NOT_FASTED_URGENT.format(sedation=label, details=details)
    else:
        rule_id, status = ELECTIVE, "action_needed"
        text = msg.NOT_FASTED.format(sedation=label, details=details)
    return [make_finding(rule_id, status, text, **inputs)], plan


def _earliest_start(intake_at: datetime, kind: IntakeKind, policy: SitePolicy) -> datetime:
    return hours_after(intake_at, fasting_hours(kind, policy), policy.zone)


def _hours_between(earlier: datetime, later: datetime) -> float:
    return round((utc(later) - utc(earlier)).total_seconds() / SECONDS_PER_HOUR, 1)


def _when(moment: datetime, start: datetime, policy: SitePolicy) -> str:
    """HH:MM on the procedure day, the day and time otherwise."""
    zone = policy.zone
    if local_date(moment, zone) == local_date(start, zone):
        return fmt_time(moment, zone)
    return fmt_datetime(moment, zone)
