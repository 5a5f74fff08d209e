"""Bleeding risk: the category the case is checked under, and the lab screening and limits.

Low risk: labs are not screened routinely, but a known result outside the limit still needs
action. High risk: INR, platelets and haemoglobin are required. Chronic liver disease swaps
in its own limits (site defaults). A case whose category the operator has not yet chosen is
checked as high risk.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import irflow.clinical.messages as msg
from irflow.clinical.findings import Finding, make_finding
from irflow.clinical.formatting import fmt_quantity
from irflow.clinical.inputs import (
    ANALYTE_UNITS,
    ANALYTES,
    Analyte,
    CaseInput,
    ProcedureInput,
    RiskChoice,
)
from irflow.clinical.labs import UNIT_FACTORS, convert, latest_valid, validity_days
from irflow.clinical.policy import SitePolicy
from irflow.clinical.rules import rule
from irflow.clinical.timeutil import fmt_date, local_date

CATEGORY = "sir-2019.category"
SCREEN = {"low": "sir-2019.screening.low-risk", "high": "sir-2019.screening.high-risk"}
INR = {"low": "sir-2019.inr.low-risk", "high": "sir-2019.inr.high-risk"}
INR_ARTERIAL = "sir-2019.inr.low-risk-arterial"
PLATELETS = {"low": "sir-2019.platelets.low-risk", "high": "sir-2019.platelets.high-risk"}
CLD = {"low": "sir-2019.cld.low-risk", "high": "sir-2019.cld.high-risk"}
ARTERIAL_PARAMS = {"femoral": "femoral_inr_below", "radial": "radial_inr_below"}
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "le": operator.le,
    "lt": operator.lt,
    "ge": operator.ge,
    "gt": operator.gt,
}


_CLD_LIMITS: tuple[tuple[Analyte, str], ...] = (
    ("inr", "max"),
    ("platelets", "min"),
    ("fibrinogen", "min"),
)


@dataclass(frozen=True)
class _Check:
    analyte: Analyte
    rule_id: str
    param: str | None  # None: the result only has to be there
    context: str


def effective_risk(procedure: ProcedureInput) -> tuple[RiskChoice, Finding]:
    """The category the case is checked under, and the finding that says why."""
    undecided: RiskChoice = rule(CATEGORY).attr("undecided_evaluated_as")
    inputs: dict[str, str | None] = {"bleeding_risk": procedure.bleeding_risk}
    if procedure.bleeding_risk == "operator_decides":
        inputs["operator_choice"] = procedure.operator_choice
    if procedure.bleeding_risk is None:
        finding = make_finding(
            CATEGORY, "missing_data", msg.CATEGORY_MISSING, evaluated_as=undecided, **inputs
        )
        return undecided, finding
    if procedure.bleeding_risk == "operator_decides":
        if procedure.operator_choice is None:
            finding = make_finding(
                CATEGORY,
                "action_needed",
                msg.CATEGORY_OPERATOR_PENDING,
                evaluated_as=undecided,
                **inputs,
            )
            return undecided, finding
        risk = procedure.operator_choice
        text = msg.CATEGORY_OPERATOR_CHOSE.format(risk=risk)
    else:
        risk = procedure.bleeding_risk
        text = msg.CATEGORY_FROM_CATALOGUE.format(risk=risk.capitalize())
    return risk, make_finding(CATEGORY, "pass", text, evaluated_as=risk, **inputs)


def required_analytes(case: CaseInput, risk: RiskChoice, policy: SitePolicy) -> tuple[Analyte, ...]:
    """Labs that must be present (within their validity window) for this case."""
    rule_id = CLD[risk] if case.patient.chronic_liver_disease else SCREEN[risk]
    return tuple(a for a in ANALYTES if a in policy.texts(rule_id, "required"))


def lab_findings(
    case: CaseInput, *, risk: RiskChoice, policy: SitePolicy, now: datetime
) -> list[Finding]:
    """Screening and limit findings for the bleeding-risk labs."""
    required = set(required_analytes(case, risk, policy))
    checks = _checks(case, risk, policy)
    covered = {c.analyte for c in checks}
    presence_rule = CLD[risk] if case.patient.chronic_liver_disease else SCREEN[risk]
    context = checks[0].context if checks else msg.CONTEXT_HIGH
    for analyte in sorted(required - covered):
        checks.append(_Check(analyte, presence_rule, None, context))
    found: list[Finding] = []
    for check in checks:
        finding = _evaluate(check, case, required=check.analyte in required, policy=policy, now=now)
        if finding is not None:
            found.append(finding)
    if "inr" not in required and not case.patient.chronic_liver_disease and risk == "low":
        found.extend(_consider_inr(case, policy=policy, now=now))
    return found


def _checks(case: CaseInput, risk: RiskChoice, policy: SitePolicy) -> list[_Check]:
    if case.patient.chronic_liver_disease:
        context = msg.CONTEXT_CLD.format(risk=risk)
        cld = rule(CLD[risk])
        return [
            _Check(analyte, cld.id, f"{analyte}_{suffix}", context)
            for analyte, suffix in _CLD_LIMITS
            if f"{analyte}_{suffix}" in cld.values
        ]
    if risk == "high":
        return [
            _Check("inr", INR["high"], "inr_max", msg.CONTEXT_HIGH),
            _Check("platelets", PLATELETS["high"], "platelets_min", msg.CONTEXT_HIGH),
        ]
    access: str = case.procedure.arterial_access
    if access == "none":
        inr = _Check("inr", INR["low"], "inr_max", msg.CONTEXT_LOW)
    else:
        if access == "unspecified":
            # Site not recorded: the stricter (lower) of the femoral and radial limits.
            access = min(
                ARTERIAL_PARAMS, key=lambda a: policy.number(INR_ARTERIAL, ARTERIAL_PARAMS[a])
            )
        context = msg.CONTEXT_ARTERIAL.format(access=access)
        inr = _Check("inr", INR_ARTERIAL, ARTERIAL_PARAMS[access], context)
    return [inr, _Check("platelets", PLATELETS["low"], "platelets_min", msg.CONTEXT_LOW)]


def _evaluate(
    check: _Check, case: CaseInput, *, required: bool, policy: SitePolicy, now: datetime
) -> Finding | None:
    analyte = check.analyte
    label = msg.ANALYTE_LABELS[analyte]
    lab = latest_valid(case.labs, analyte, planned_start=case.planned_start, now=now, policy=policy)
    days = validity_days(analyte, policy)
    if lab is None:
        if not required:
            return None
        text = msg.LAB_MISSING.format(analyte=label, days=days, context=check.context)
        return make_finding(
            check.rule_id, "missing_data", text, **{analyte: None, "validity_days": days}
        )
    day = fmt_date(local_date(lab.collected_at, policy.zone))
    inputs = {
        analyte: lab.value,
        f"{analyte}_collected_at": lab.collected_at,
        "validity_days": days,
    }
    stored_unit = ANALYTE_UNITS[analyte]
    if check.param is None:
        shown = fmt_quantity(lab.value, stored_unit)
        text = msg.HB_RECORDED.format(value=shown, date=day, context=check.context)
        return make_finding(check.rule_id, "pass", text, **inputs)
    spec = rule(check.rule_id).values[check.param]
    limit = policy.number(check.rule_id, check.param)
    value = (
        convert(lab.value, stored_unit, spec.unit)
        if (stored_unit, spec.unit) in UNIT_FACTORS
        else lab.value
    )
    shown = fmt_quantity(value, spec.unit)
    if value != lab.value:
        shown = f"{shown} ({fmt_quantity(lab.value, stored_unit)})"
    compare = spec.compare or "le"
    fields = {
        "analyte": label,
        "value": shown,
        "date": day,
        "op": msg.COMPARE_SYMBOLS[compare],
        "limit": fmt_quantity(limit, spec.unit),
        "context": check.context,
    }
    inputs.update({"limit": limit, "limit_unit": spec.unit, "compare": compare})
    if COMPARE[compare](value, limit):
        return make_finding(check.rule_id, "pass", msg.LAB_WITHIN.format(**fields), **inputs)
    text = msg.LAB_OUTSIDE.format(correction=msg.LAB_CORRECTION[analyte], **fields)
    return make_finding(check.rule_id, "action_needed", text, **inputs)


def _consider_inr(case: CaseInput, *, policy: SitePolicy, now: datetime) -> list[Finding]:
    """Low risk: 'consider an INR' for patients on the listed drugs when none is on file."""
    drugs = set(policy.texts(SCREEN["low"], "consider_inr_if_on"))
    taking = sorted({m.drug for m in case.medications or () if m.drug in drugs})
    if not taking:
        return []
    if latest_valid(case.labs, "inr", planned_start=case.planned_start, now=now, policy=policy):
        return []
    days = validity_days("inr", policy)
    text = msg.LAB_CONSIDER_INR.format(days=days, drugs=", ".join(taking))
    return [
        make_finding(SCREEN["low"], "warning", text, inr=None, drugs=taking, validity_days=days)
    ]
