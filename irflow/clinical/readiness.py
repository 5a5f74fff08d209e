"""Readiness evaluation: every rule that applies to a case, and the state they add up to.

Pure and deterministic: `now` is an argument. The result names, for each finding, the rule,
its source and confidence, the rule-set version and the inputs it used, so an auditor can
replay it with the same inputs and policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import irflow.clinical.messages as msg
from irflow.clinical.bleeding import effective_risk, lab_findings
from irflow.clinical.contrast import ScheduledDose, allergy_findings, kidney_findings
from irflow.clinical.fasting import FastingPlan, fasting_findings
from irflow.clinical.findings import (
    Finding,
    State,
    Status,
    aggregate_state,
    jsonable,
    make_finding,
    unconfirmed,
)
from irflow.clinical.formatting import fmt_number
from irflow.clinical.inputs import CaseInput, InputError, Medication
from irflow.clinical.labs import latest_valid, validity_days
from irflow.clinical.medications import (
    BRIDGING,
    MedicationPlanItem,
    bridged,
    bridging_applies,
    medication_plan,
)
from irflow.clinical.policy import DEFAULT_POLICY, SitePolicy
from irflow.clinical.renal import cockcroft_gault
from irflow.clinical.rules import rulesets
from irflow.clinical.timeutil import fmt_date, fmt_datetime, local_date, utc


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


MEDICATION_REVIEW = "sir-2019.medications.review"
CONSENT = "checklists.sign-in.consent"
_CONSENT: dict[str, tuple[Status, str]] = {
    "signed": ("pass", msg.CONSENT_SIGNED),
    "pending": ("action_needed", msg.CONSENT_PENDING),
    "not_required": ("pass", msg.CONSENT_NOT_REQUIRED),
}


def evaluate(case: CaseInput, *, now: datetime, policy: SitePolicy = DEFAULT_POLICY) -> Evaluation:
    """Evaluate a case's readiness at `now` under the site's policy."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise InputError("now", msg.INPUT_NAIVE_DATETIME)
    risk, category = effective_risk(case.procedure)
    findings: list[Finding] = [category]
    findings += lab_findings(case, risk=risk, policy=policy, now=now)

    plan: tuple[MedicationPlanItem, ...] = ()
    if case.medications is None:
        findings.append(
            make_finding(MEDICATION_REVIEW, "missing_data", msg.MEDS_MISSING, medications=None)
        )
    else:
        crcl, crcl_inputs = _crcl(case, policy=policy, now=now)
        meds = [m for m in case.medications if m.antithrombotic]
        plan = medication_plan(
            medications=meds,
            bleeding_risk=risk,
            planned_start=case.planned_start,
            planned_end=case.planned_end,
            crcl_ml_min=crcl,
            thrombotic_risk=case.patient.thrombotic_risk,
            policy=policy,
        )
        for med, item in zip(meds, plan, strict=True):
            found = _medication_finding(med, item, case, crcl_inputs, policy=policy, now=now)
            findings.append(unconfirmed(found) if med.reported else found)
            if bridging_applies(med.drug):
                bridging = _bridging_finding(item, case, policy=policy)
                findings.append(unconfirmed(bridging) if med.reported else bridging)

    findings += kidney_findings(case, policy=policy, now=now)
    allergy, premedication = allergy_findings(case, policy=policy, now=now)
    findings += allergy
    fasting, fasting_plan = fasting_findings(case, policy=policy, now=now)
    findings += fasting
    findings.append(_consent_finding(case))

    state = aggregate_state(findings)
    emergent = case.urgency == "emergent"
    return Evaluation(
        state=state,
        blocking=state == "not_ready" and not emergent,
        emergent_override=emergent,
        urgency=case.urgency,
        evaluated_at=now,
        timezone=policy.timezone,
        findings=tuple(findings),
        rule_sets={rs.id: rs.version for rs in rulesets()},
        policy=policy.to_mapping(),
        medication_plan=plan,
        fasting=fasting_plan,
        premedication=premedication,
        notice=msg.EMERGENT_NOTICE if emergent else None,
    )


def _crcl(
    case: CaseInput, *, policy: SitePolicy, now: datetime
) -> tuple[float | None, dict[str, Any]]:
    lab = latest_valid(
        case.labs, "creatinine", planned_start=case.planned_start, now=now, policy=policy
    )
    p = case.patient
    crcl = cockcroft_gault(
        age_years=p.age_years,
        weight_kg=p.weight_kg,
        sex=p.sex,
        creatinine_umol_l=lab.value if lab else None,
        policy=policy,
    )
    inputs = {
        "age_years": p.age_years,
        "weight_kg": p.weight_kg,
        "sex": p.sex,
        "creatinine": lab.value if lab else None,
        "creatinine_collected_at": lab.collected_at if lab else None,
        "crcl_ml_min": None if crcl is None else round(crcl, 1),
    }
    return crcl, inputs


def _medication_finding(
    med: Medication,
    item: MedicationPlanItem,
    case: CaseInput,
    crcl_inputs: dict[str, Any],
    *,
    policy: SitePolicy,
    now: datetime,
) -> Finding:
    zone = policy.zone
    last = med.last_dose_at if med.last_dose_at and utc(med.last_dose_at) <= utc(now) else None
    inputs: dict[str, Any] = {"drug": med.drug, "action": item.action}
    if item.hold_from is not None or item.action == "hold":
        inputs |= {
            "hold_from": item.hold_from,
            "last_allowed_dose": item.last_allowed_dose,
            "last_dose_at": last,
            "frequency_recorded": item.frequency_recorded,
        }
    if item.needs_crcl:
        inputs.update(crcl_inputs)

    def finding(status: Status, text: str) -> Finding:
        return make_finding(item.rule_id, status, text, **inputs)

    if item.action == "continue":
        return finding("pass", item.message)
    if item.action == "team_decision":
        return finding("warning", item.message)
    if item.action == "check_lab":
        return _inr_check(item, case, inputs, policy=policy, now=now)
    if item.needs_crcl and item.crcl_ml_min is None:
        days = validity_days("creatinine", policy)
        return finding(
            "missing_data",
            msg.MED_CRCL_MISSING.format(days=days, label=item.label, plan=item.message),
        )
    if not item.frequency_recorded or item.hold_from is None:
        text = msg.MED_FREQUENCY_MISSING.format(label=item.label, plan=item.message)
        return finding("missing_data", text)
    if item.dose_allowed(now):
        return finding("warning", msg.MED_HOLD_UPCOMING.format(plan=item.message))
    if last is None:
        text = msg.MED_LAST_DOSE_MISSING.format(
            label=item.label, when=fmt_datetime(item.hold_from, zone), plan=item.message
        )
        return finding("missing_data", text)
    if item.dose_allowed(last):
        return finding("pass", msg.MED_HELD.format(label=item.label, last=fmt_datetime(last, zone)))
    text = msg.MED_DOSE_IN_WINDOW.format(
        label=item.label, last=fmt_datetime(last, zone), plan=item.message
    )
    return finding("action_needed", text)


def _bridging_finding(item: MedicationPlanItem, case: CaseInput, *, policy: SitePolicy) -> Finding:
    """Warfarin: the thrombotic risk decides the bridge; unrecorded, the case needs review."""
    risk = case.patient.thrombotic_risk
    levels = policy.texts(BRIDGING, "bridge_levels")
    inputs = {"drug": item.drug, "thrombotic_risk": risk, "bridge_levels": list(levels)}
    if risk is None:
        text = msg.BRIDGING_RISK_MISSING.format(label=item.label)
        return make_finding(BRIDGING, "warning", text, **inputs)
    if bridged(item.drug, risk, policy):
        agent = policy.text(BRIDGING, "bridge_with")
        text = msg.BRIDGING_NEEDED.format(label=item.label, risk=risk, agent=agent)
        return make_finding(BRIDGING, "warning", text, **inputs)
    shown = " or ".join(levels) if levels else "no"
    text = msg.BRIDGING_NOT_NEEDED.format(label=item.label, risk=risk, levels=shown)
    return make_finding(BRIDGING, "pass", text, **inputs)


def _inr_check(
    item: MedicationPlanItem,
    case: CaseInput,
    inputs: dict[str, Any],
    *,
    policy: SitePolicy,
    now: datetime,
) -> Finding:
    lab = latest_valid(case.labs, "inr", planned_start=case.planned_start, now=now, policy=policy)
    limit = fmt_number(item.inr_max)
    inputs = {**inputs, "inr_max": item.inr_max, "inr": lab.value if lab else None}
    if lab is None:
        days = validity_days("inr", policy)
        text = msg.MED_INR_MISSING.format(label=item.label, days=days, limit=limit)
        return make_finding(item.rule_id, "missing_data", text, **inputs)
    inputs["inr_collected_at"] = lab.collected_at
    day = fmt_date(local_date(lab.collected_at, policy.zone))
    fields = {"label": item.label, "value": fmt_number(lab.value), "date": day, "limit": limit}
    if item.inr_max is not None and lab.value <= item.inr_max:
        return make_finding(item.rule_id, "pass", msg.MED_INR_OK.format(**fields), **inputs)
    return make_finding(item.rule_id, "action_needed", msg.MED_INR_HIGH.format(**fields), **inputs)


def _consent_finding(case: CaseInput) -> Finding:
    if case.consent is None:
        return make_finding(CONSENT, "missing_data", msg.CONSENT_MISSING, consent=None)
    status, text = _CONSENT[case.consent]
    return make_finding(CONSENT, status, text, consent=case.consent)
