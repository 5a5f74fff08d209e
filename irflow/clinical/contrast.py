"""Iodinated contrast: kidney risk by eGFR and route, prior reactions and premedication times.

The contrast is taken to be given at the planned start. Premedication hours are elapsed
hours, so "13 h before" stays 13 real hours across a DST change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import irflow.clinical.messages as msg
from irflow.clinical.findings import Finding, Status, jsonable, make_finding, unconfirmed
from irflow.clinical.formatting import fmt_number
from irflow.clinical.inputs import Allergy, CaseInput, ContrastRoute, PremedicationRegimen
from irflow.clinical.labs import latest_valid, validity_days
from irflow.clinical.policy import DEFAULT_POLICY, SitePolicy
from irflow.clinical.rules import rule
from irflow.clinical.timeutil import (
    fmt_date,
    fmt_datetime,
    hours_after,
    hours_before,
    local_date,
    utc,
)

ROUTE = "acr-nkf-2020.route"
IA_SECOND = "acr-nkf-2020.route.ia-second-pass"
IV_EGFR = "acr-nkf-2020.iv-egfr"
AKI = "acr-nkf-2020.aki"
DIALYSIS = "acr-nkf-2020.dialysis"
KDIGO = "acr-nkf-2020.kdigo-alternative"
PRIOR_REACTION = "acr-contrast-premedication.prior-reaction"
SCHEDULE = "acr-contrast-premedication.schedule"
SHELLFISH = "acr-contrast-premedication.shellfish-iodine"
REGIMEN_RULES: dict[PremedicationRegimen, str] = {
    "prednisone": "acr-contrast-premedication.prednisone",
    "methylprednisolone": "acr-contrast-premedication.methylprednisolone",
    "accelerated_iv": "acr-contrast-premedication.accelerated-iv",
}


_REGIMEN_NAMES: dict[str, PremedicationRegimen] = {name: name for name in REGIMEN_RULES}


@dataclass(frozen=True)
class ScheduledDose:
    """One premedication dose at a clock time in the site's zone."""

    drug: str
    dose_mg: float
    route: str
    at: datetime
    rule_id: str
    optional: bool = False
    alternative: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {k: jsonable(v) for k, v in data.items()}


def premedication_schedule(
    regimen: PremedicationRegimen,
    contrast_at: datetime,
    *,
    first_dose_at: datetime | None = None,
    policy: SitePolicy = DEFAULT_POLICY,
) -> tuple[ScheduledDose, ...]:
    """Clock times of every premedication dose for `regimen` before contrast at `contrast_at`.

    The accelerated IV regimen starts at `first_dose_at` (required) and repeats until contrast.
    """
    if regimen not in REGIMEN_RULES:
        raise ValueError(msg.PREMED_UNKNOWN_REGIMEN.format(regimen=regimen))
    r = rule(REGIMEN_RULES[regimen])
    zone = policy.zone
    steroid, route = str(r.attr("steroid")), str(r.attr("route"))
    steroid_mg = policy.number(r.id, "steroid_mg")
    doses: list[ScheduledDose] = []
    if regimen == "accelerated_iv":
        if first_dose_at is None:
            raise ValueError(msg.PREMED_NEEDS_FIRST_DOSE)
        if utc(first_dose_at) > utc(contrast_at):
            raise ValueError(msg.PREMED_FIRST_AFTER_CONTRAST)
        every = policy.number(r.id, "repeat_every_hours")
        alternative_mg = fmt_number(policy.number(r.id, "alternative_steroid_mg"))
        alternative = f"{r.attr('alternative_steroid')} {alternative_mg} mg"
        step = 0
        while True:
            at = hours_after(first_dose_at, every * step, zone)
            if utc(at) > utc(contrast_at):
                break
            doses.append(
                ScheduledDose(steroid, steroid_mg, route, at, r.id, alternative=alternative)
            )
            step += 1
    else:
        for hours in policy.numbers(r.id, "steroid_hours_before"):
            at = hours_before(contrast_at, hours, zone)
            doses.append(ScheduledDose(steroid, steroid_mg, route, at, r.id))
    if "diphenhydramine_mg" in r.values:
        doses.append(
            ScheduledDose(
                str(r.attr("antihistamine")),
                policy.number(r.id, "diphenhydramine_mg"),
                route,
                hours_before(
                    contrast_at, policy.number(r.id, "diphenhydramine_hours_before"), zone
                ),
                r.id,
                optional=(
                    "diphenhydramine_optional" in r.values
                    and policy.flag(r.id, "diphenhydramine_optional")
                ),
            )
        )
    return tuple(sorted(doses, key=lambda d: (utc(d.at), d.drug)))


def suggested_regimen(urgency: str, policy: SitePolicy = DEFAULT_POLICY) -> PremedicationRegimen:
    """The elective regimen, or the accelerated one when the case cannot wait."""
    urgent = urgency in policy.texts(PRIOR_REACTION, "urgent_urgencies")
    name = policy.text(PRIOR_REACTION, "urgent_regimen" if urgent else "elective_regimen")
    return _REGIMEN_NAMES[name]


def kidney_findings(case: CaseInput, *, policy: SitePolicy, now: datetime) -> list[Finding]:
    """Kidney findings for the planned contrast (none when no contrast is planned)."""
    route = case.contrast_route
    if route is None:
        return [make_finding(ROUTE, "missing_data", msg.CONTRAST_PLAN_MISSING, contrast_route=None)]
    if route == "none":
        return []
    patient = case.patient
    found = _route_findings(route, policy)
    if patient.on_dialysis:
        status: Status
        if patient.anuric is None:
            status, text = "missing_data", msg.DIALYSIS_ANURIA_UNKNOWN
        elif patient.anuric:
            status, text = "pass", msg.DIALYSIS_ANURIC
        else:
            status, text = "warning", msg.DIALYSIS_RESIDUAL
        found.append(make_finding(DIALYSIS, status, text, on_dialysis=True, anuric=patient.anuric))
        return found
    if patient.acute_kidney_injury:
        found.append(
            make_finding(AKI, "action_needed", msg.AKI_PROPHYLAXIS, acute_kidney_injury=True)
        )
    lab = latest_valid(case.labs, "egfr", planned_start=case.planned_start, now=now, policy=policy)
    days = validity_days("egfr", policy)
    if lab is None:
        text = msg.EGFR_MISSING.format(days=days, route=msg.ROUTE_LABELS[route])
        found.append(
            make_finding(IV_EGFR, "missing_data", text, egfr=None, validity_days=days, route=route)
        )
        return found
    upper = policy.number(IV_EGFR, "no_prophylaxis_from")
    lower = policy.number(IV_EGFR, "consider_from")
    shown = {
        "value": fmt_number(lab.value),
        "date": fmt_date(local_date(lab.collected_at, policy.zone)),
    }
    inputs = {
        "egfr": lab.value,
        "egfr_collected_at": lab.collected_at,
        "no_prophylaxis_from": upper,
        "consider_from": lower,
        "route": route,
    }
    if lab.value >= upper:
        found.append(
            make_finding(
                IV_EGFR, "pass", msg.EGFR_OK.format(upper=fmt_number(upper), **shown), **inputs
            )
        )
    elif lab.value >= lower:
        text = msg.EGFR_CONSIDER.format(upper=fmt_number(upper), **shown)
        found.append(make_finding(IV_EGFR, "warning", text, **inputs))
    else:
        text = msg.EGFR_LOW.format(lower=fmt_number(lower), **shown)
        found.append(make_finding(IV_EGFR, "action_needed", text, **inputs))
    if policy.flag(KDIGO, "enabled"):
        limit = policy.number(KDIGO, "high_risk_below")
        if lab.value < limit:
            text = msg.KDIGO_HIGH.format(limit=fmt_number(limit), **shown)
            found.append(
                make_finding(KDIGO, "action_needed", text, egfr=lab.value, high_risk_below=limit)
            )
    return found


def _route_findings(route: ContrastRoute, policy: SitePolicy) -> list[Finding]:
    if route in policy.texts(ROUTE, "first_pass_routes"):
        return [make_finding(ROUTE, "warning", msg.ROUTE_ARTERIAL_FIRST, contrast_route=route)]
    if route == "ia_second_pass" and not policy.flag(IA_SECOND, "apply_iv_bands"):
        return [
            make_finding(
                IA_SECOND, "warning", msg.ROUTE_ARTERIAL_SECOND_REVIEW, contrast_route=route
            )
        ]
    return []


def allergy_findings(
    case: CaseInput, *, policy: SitePolicy, now: datetime
) -> tuple[list[Finding], tuple[ScheduledDose, ...]]:
    """Prior contrast reaction and premedication, when iodinated contrast is planned."""
    route = case.contrast_route
    if route is None or route == "none":
        return [], ()
    if case.allergies is None:
        return [
            make_finding(PRIOR_REACTION, "missing_data", msg.ALLERGIES_MISSING, allergies=None)
        ], ()
    agents: list[str] = sorted({a.agent for a in case.allergies})
    contrast = [a for a in case.allergies if a.agent == "iodinated_contrast"]
    if contrast:
        return _premedication(case, agents, contrast, policy=policy, now=now)
    if set(agents) & set(policy.texts(SHELLFISH, "agents")):
        return [make_finding(SHELLFISH, "pass", msg.SHELLFISH_ONLY, allergies=agents)], ()
    return [make_finding(PRIOR_REACTION, "pass", msg.NO_CONTRAST_REACTION, allergies=agents)], ()


def schedule_met(
    regimen: PremedicationRegimen,
    schedule: tuple[ScheduledDose, ...],
    *,
    told_at: datetime,
    contrast_at: datetime,
    policy: SitePolicy = DEFAULT_POLICY,
) -> bool:
    """Whether `schedule` can still be followed by a patient told at `told_at`: an oral
    regimen's first dose is not before then; the accelerated one has its minimum duration."""
    if not schedule:
        return False
    if regimen == "accelerated_iv":
        hours = policy.number(SCHEDULE, "accelerated_minimum_hours")
        return (utc(contrast_at) - utc(told_at)).total_seconds() >= hours * 3600
    return utc(min((d.at for d in schedule), key=utc)) >= utc(told_at)


def _schedule(
    regimen: PremedicationRegimen, contrast_at: datetime, first: datetime, policy: SitePolicy
) -> tuple[ScheduledDose, ...]:
    try:
        return premedication_schedule(regimen, contrast_at, first_dose_at=first, policy=policy)
    except ValueError:
        return ()  # the contrast time has passed; the finding still says what is needed


def _premedication(
    case: CaseInput,
    agents: list[str],
    contrast: list[Allergy],
    *,
    policy: SitePolicy,
    now: datetime,
) -> tuple[list[Finding], tuple[ScheduledDose, ...]]:
    """Premedication for a prior contrast reaction, with a schedule the patient can still
    follow: a planned one whose first dose passed before it was planned is a finding."""
    start = case.planned_start
    planned = case.premedication
    told_at = (case.premedication_planned_at or now) if planned else now
    regimen = planned or suggested_regimen(case.urgency, policy)
    schedule = _schedule(regimen, start, told_at, policy)
    met = schedule_met(regimen, schedule, told_at=told_at, contrast_at=start, policy=policy)
    if not planned and not met and regimen != "accelerated_iv":
        # Too late today for the elective oral regimen: suggest the one that still fits.
        regimen = "accelerated_iv"
        schedule = _schedule(regimen, start, told_at, policy)
        met = schedule_met(regimen, schedule, told_at=told_at, contrast_at=start, policy=policy)
    hours = policy.number(SCHEDULE, "accelerated_minimum_hours")
    fits_iv = (utc(start) - utc(now)).total_seconds() >= hours * 3600
    instead = (
        msg.PREMED_USE_ACCELERATED.format(hours=fmt_number(hours))
        if fits_iv
        else msg.PREMED_LATER_SLOT.format(
            hours=fmt_number(hours),
            earliest=fmt_datetime(hours_after(now, hours, policy.zone), policy.zone),
        )
    )
    inputs = {
        "allergies": agents,
        "premedication": planned,
        "premedication_planned_at": told_at if planned else None,
        "suggested_regimen": regimen,
        "schedule_met": met,
    }
    if planned and not met:
        first = min((d.at for d in schedule), key=utc) if schedule else start
        text = msg.PREMED_TOO_LATE.format(
            regimen=rule(REGIMEN_RULES[regimen]).title.lower(),
            first=fmt_datetime(first, policy.zone),
            planned=fmt_datetime(told_at, policy.zone),
            instead=instead,
        )
        finding = make_finding(SCHEDULE, "action_needed", text, **inputs)
        schedule = ()  # never hand the patient times that have passed
    else:
        description = rule(REGIMEN_RULES[regimen]).description
        status: Status = "pass" if planned else "action_needed"
        text = (msg.PREMED_PLANNED if planned else msg.PREMED_NEEDED).format(regimen=description)
        if not met:
            text = f"{text} {instead}"
        finding = make_finding(PRIOR_REACTION, status, text, **inputs)
    if all(a.reported for a in contrast):
        finding = unconfirmed(finding)
    return [finding], schedule
