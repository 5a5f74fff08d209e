"""Antithrombotic plan: hold, continue, check a lab or decide as a team — with clock times.

Hold windows:
- hours, and doses times the dosing interval, are elapsed (real) hours: a dose exactly that many
  hours before the planned start is allowed, a later one is not;
- days are calendar days: "hold 5 days" means no dose on the 5 local dates before the
  procedure date (nor on that date before the procedure), so the last allowed dose falls on
  the date 6 days before.
Restart "hours" count from the planned end; "the day after" means from local midnight after
the procedure date. When the usual dose times are known, the plan names the exact dose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import irflow.clinical.messages as msg
from irflow.clinical.findings import jsonable
from irflow.clinical.formatting import fmt_number
from irflow.clinical.inputs import Medication, RiskChoice, ThromboticRisk
from irflow.clinical.policy import DEFAULT_POLICY, SitePolicy
from irflow.clinical.rules import Rule, rule, rules_where
from irflow.clinical.timeutil import (
    first_at_or_after,
    fmt_date,
    fmt_datetime,
    hours_after,
    hours_before,
    last_at_or_before,
    local_date,
    start_of_day,
    utc,
)

Action = Literal["hold", "continue", "team_decision", "check_lab"]
HoldUnit = Literal["h", "doses", "days"]

DO_NOT_WITHHOLD = "sir-2019.low-risk.do-not-withhold"
BRIDGING = "sir-2019.warfarin.bridging"
NOT_COVERED = "sir-2019.hold.not-covered"
HOURS_PER_DAY = 24  # converts doses per day into a dosing interval


@dataclass(frozen=True)
class MedicationPlanItem:
    """What to do with one antithrombotic around the procedure, and why."""

    drug: str
    label: str
    action: Action
    rule_id: str
    rule_set: str
    rule_set_version: str
    source: str
    confidence: str
    verified: bool
    message: str
    hold_amount: float | None = None
    hold_unit: HoldUnit | None = None
    # The source's range when it gives one (hold_amount is the site's value inside it).
    hold_range: tuple[float, float] | None = None
    hold_hours: float | None = None
    hold_from: datetime | None = None
    last_allowed_dose: datetime | None = None
    restart_not_before: datetime | None = None
    restart_at: datetime | None = None
    needs_crcl: bool = False
    crcl_ml_min: float | None = None
    frequency_recorded: bool = True
    inr_max: float | None = None
    notes: tuple[str, ...] = ()

    def dose_allowed(self, at: datetime) -> bool | None:
        """Whether a dose at `at` is outside the hold window; None when there is no window."""
        if self.hold_from is None:
            return None
        if self.hold_unit == "days":
            return utc(at) < utc(self.hold_from)
        return utc(at) <= utc(self.hold_from)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {k: jsonable(v) for k, v in data.items()}


def medication_plan(
    *,
    medications: Sequence[Medication],
    bleeding_risk: RiskChoice,
    planned_start: datetime,
    planned_end: datetime | None = None,
    crcl_ml_min: float | None = None,
    thrombotic_risk: ThromboticRisk | None = None,
    policy: SitePolicy = DEFAULT_POLICY,
) -> tuple[MedicationPlanItem, ...]:
    """The plan for every antithrombotic in `medications` (others are skipped)."""
    return tuple(
        _plan_one(
            med,
            risk=bleeding_risk,
            start=planned_start,
            end=planned_end,
            crcl=crcl_ml_min,
            thrombotic_risk=thrombotic_risk,
            policy=policy,
        )
        for med in medications
        if med.antithrombotic
    )


def rule_for(drug: str, risk: RiskChoice, policy: SitePolicy = DEFAULT_POLICY) -> Rule:
    """The rule that decides what happens to `drug` before a `risk`-bleeding-risk procedure."""
    for candidate in rules_where(drug=drug):
        if risk in candidate.attr("risks", ()):
            return candidate
    if risk == "low" and drug in policy.texts(DO_NOT_WITHHOLD, "drugs"):
        return rule(DO_NOT_WITHHOLD)
    return rule(NOT_COVERED)


def bridging_applies(drug: str) -> bool:
    """Whether the thrombotic risk decides a bridge for `drug` (warfarin, per the rule)."""
    return drug in rule(BRIDGING).attr("applies_to", ())


def bridged(drug: str, risk: ThromboticRisk | None, policy: SitePolicy = DEFAULT_POLICY) -> bool:
    """Whether `drug` is bridged while interrupted at this thrombotic risk (site's levels)."""
    return bridging_applies(drug) and risk in policy.texts(BRIDGING, "bridge_levels")


def _plan_one(
    med: Medication,
    *,
    risk: RiskChoice,
    start: datetime,
    end: datetime | None,
    crcl: float | None,
    thrombotic_risk: ThromboticRisk | None,
    policy: SitePolicy,
) -> MedicationPlanItem:
    r = rule_for(med.drug, risk, policy)
    label = str(r.attr("label") or med.drug.replace("_", " ").capitalize())
    base = _base(med, r, label)
    zone = policy.zone
    if r.id == DO_NOT_WITHHOLD:
        return _item(base, "continue", msg.PLAN_CONTINUE_LOW_RISK.format(label=label))
    if r.id == NOT_COVERED:
        text = msg.PLAN_NOT_COVERED.format(label=label, risk=risk)
        return _item(base, "team_decision", text)
    action: Action = r.attr("action")
    notes: list[str] = []
    if bridged(med.drug, thrombotic_risk, policy):
        notes.append(
            msg.NOTE_BRIDGE.format(
                risk=thrombotic_risk, agent=policy.text(BRIDGING, "bridge_with"), label=label
            )
        )
    inr_max = policy.number(r.attr("inr_rule"), "inr_max") if r.attr("inr_rule") else None
    if action == "continue":
        return _item(base, "continue", msg.PLAN_CONTINUE.format(label=label))
    if action == "check_lab":
        text = msg.PLAN_CHECK_INR.format(label=label, inr_max=fmt_number(inr_max))
        return _item(base, "check_lab", text, inr_max=inr_max, notes=tuple(notes))

    needs_crcl = "crcl_cut" in r.values
    if needs_crcl and crcl is not None and "crcl_floor" in r.values:
        floor = policy.number(r.id, "crcl_floor")
        if crcl < floor:
            text = msg.PLAN_BELOW_CRCL_FLOOR.format(
                label=label, crcl=fmt_number(crcl), floor=fmt_number(floor)
            )
            return _item(base, "team_decision", text, needs_crcl=True, crcl_ml_min=crcl)
    if needs_crcl and crcl is None:
        notes.append(msg.NOTE_CRCL_UNKNOWN)
    if r.attr("lab_note"):
        notes.append(msg.NOTE_LAB.format(lab_note=r.attr("lab_note")))

    amount, unit, published = _hold_amount(r, crcl, policy)
    hold_hours = _hold_hours(r, med, amount, unit, policy)
    frequency_recorded = unit != "doses" or bool(med.interval_hours or med.doses_per_day)
    if not frequency_recorded and hold_hours is not None:
        per_day = fmt_number(policy.number(r.id, "default_doses_per_day"))
        notes.append(msg.NOTE_FREQUENCY_ASSUMED.format(per_day=per_day))
    hold_text = _hold_text(amount, unit, hold_hours, published)
    hold_from, last_allowed = _window(med, start, amount, unit, hold_hours, zone)
    restart_from, restart_text = _restart(r, med, end, policy)
    restart_at = first_at_or_after(restart_from, med.dose_times, zone) if restart_from else None
    if restart_at is not None and restart_from is not None and utc(restart_at) != utc(restart_from):
        restart_text += " " + msg.PLAN_RESTART_NEXT_USUAL.format(
            when=fmt_datetime(restart_at, zone)
        )

    if hold_from is None:
        hold_part = msg.PLAN_NO_FREQUENCY.format(label=label, hold=hold_text)
    else:
        last_text = _last_dose_text(last_allowed, hold_from, unit, policy)
        template = msg.PLAN_HOLD_CASE_BY_CASE if action == "team_decision" else msg.PLAN_HOLD
        hold_part = template.format(label=label, last_dose=last_text, hold=hold_text)
    parts = [hold_part, restart_text]
    if inr_max is not None:
        parts.append(msg.PLAN_INR_TARGET.format(inr_max=fmt_number(inr_max)))
    return _item(
        base,
        action,
        " ".join(p for p in [*parts, *notes] if p),
        hold_amount=amount,
        hold_unit=unit,
        hold_range=published,
        hold_hours=hold_hours,
        hold_from=hold_from,
        last_allowed_dose=last_allowed,
        restart_not_before=restart_from,
        restart_at=restart_at,
        needs_crcl=needs_crcl,
        crcl_ml_min=crcl,
        frequency_recorded=frequency_recorded,
        inr_max=inr_max,
        notes=tuple(notes),
    )


def _window(
    med: Medication,
    start: datetime,
    amount: float,
    unit: HoldUnit,
    hold_hours: float | None,
    zone: ZoneInfo,
) -> tuple[datetime | None, datetime | None]:
    """Start of the hold window and the last usual dose before it (see the module docstring)."""
    if unit == "days":
        first_held_day = local_date(start, zone) - timedelta(days=int(amount))
        hold_from = start_of_day(first_held_day, zone)
    elif hold_hours is not None:
        hold_from = hours_before(start, hold_hours, zone)
    else:
        return None, None
    # A days-window opens at midnight and includes it; an hours-window excludes its edge.
    last = last_at_or_before(hold_from, med.dose_times, zone, strictly=unit == "days")
    return hold_from, last


def _hold_amount(
    r: Rule, crcl: float | None, policy: SitePolicy
) -> tuple[float, HoldUnit, tuple[float, float] | None]:
    """The site's hold, its unit and the source's range when the source gives one."""
    if "crcl_cut" not in r.values:
        param = "hold"
    else:
        above, below = "hold_crcl_at_or_above_cut", "hold_crcl_below_cut"
        if crcl is None:
            # Unknown CrCl: the longer band's hold is the safe one to show.
            param = max((above, below), key=lambda p: policy.number(r.id, p))
        else:
            param = above if crcl >= policy.number(r.id, "crcl_cut") else below
    return policy.number(r.id, param), _unit(r, param), r.values[param].published_range


def _hold_hours(
    r: Rule, med: Medication, amount: float, unit: HoldUnit, policy: SitePolicy
) -> float | None:
    if unit == "days":
        return None
    if unit == "h":
        hours: float | None = amount
    else:
        interval = _interval_hours(r, med, policy)
        hours = None if interval is None else amount * interval
    if "hold_alternative" in r.values and hours is not None:
        # "2 doses or 24 h": the longer of the two applies.
        hours = max(hours, policy.number(r.id, "hold_alternative"))
    return hours


def _interval_hours(r: Rule, med: Medication, policy: SitePolicy) -> float | None:
    if med.interval_hours:
        return med.interval_hours
    if med.doses_per_day:
        return HOURS_PER_DAY / med.doses_per_day
    if "default_doses_per_day" in r.values:
        return HOURS_PER_DAY / policy.number(r.id, "default_doses_per_day")
    return None


def _restart(
    r: Rule, med: Medication, end: datetime | None, policy: SitePolicy
) -> tuple[datetime | None, str]:
    kind = r.attr("restart")
    if kind == "team_decision":
        return None, msg.PLAN_RESTART_TEAM
    if kind not in ("hours", "day_after"):
        return None, ""
    if end is None:
        return None, msg.PLAN_RESTART_NEEDS_END
    if kind == "day_after":
        when = start_of_day(local_date(end, policy.zone) + timedelta(days=1), policy.zone)
    else:
        loading = med.loading_dose and "restart_after_loading_dose" in r.values
        hours = policy.number(r.id, "restart_after_loading_dose" if loading else "restart")
        when = hours_after(end, hours, policy.zone)
    return when, msg.PLAN_RESTART_FROM.format(when=fmt_datetime(when, policy.zone))


def _last_dose_text(
    last_allowed: datetime | None, hold_from: datetime, unit: HoldUnit, policy: SitePolicy
) -> str:
    if last_allowed is not None:
        return msg.PLAN_LAST_DOSE_AT.format(when=fmt_datetime(last_allowed, policy.zone))
    if unit == "days":
        day = local_date(hold_from, policy.zone) - timedelta(days=1)
        return msg.PLAN_LAST_DOSE_ON.format(day=fmt_date(day))
    return msg.PLAN_LAST_DOSE_BY.format(when=fmt_datetime(hold_from, policy.zone))


def _hold_text(
    amount: float, unit: HoldUnit, hours: float | None, published: tuple[float, float] | None
) -> str:
    """The hold as the source gives it: a range stays a range, with the site's value in it."""
    hours_known = unit == "doses" and hours is not None
    if published is not None:
        low, high = published
        template = msg.HOLD_RANGE_DOSES_HOURS if hours_known else msg.HOLD_RANGE
        return template.format(
            low=fmt_number(low),
            high=fmt_number(high),
            unit=msg.UNIT_WORDS[unit],
            amount=fmt_number(amount),
            hours=fmt_number(hours) if hours is not None else "",
        )
    word = (msg.UNIT_WORDS_ONE if amount == 1 else msg.UNIT_WORDS)[unit]
    if hours_known:
        return msg.HOLD_DOSES_HOURS.format(
            amount=fmt_number(amount), unit=word, hours=fmt_number(hours)
        )
    return msg.HOLD_AMOUNT.format(amount=fmt_number(amount), unit=word)


_HOLD_UNITS: dict[str, HoldUnit] = {"h": "h", "doses": "doses", "days": "days"}


def _unit(r: Rule, param: str) -> HoldUnit:
    # A KeyError here means a malformed rule file, caught by the rule-set tests.
    return _HOLD_UNITS[r.values[param].unit]


def _base(med: Medication, r: Rule, label: str) -> dict[str, Any]:
    return {
        "drug": med.drug,
        "label": label,
        "rule_id": r.id,
        "rule_set": r.rule_set,
        "rule_set_version": r.rule_set_version,
        "source": r.source,
        "confidence": r.confidence,
        "verified": r.verified,
    }


def _item(base: dict[str, Any], action: Action, message: str, **extra: Any) -> MedicationPlanItem:
    return MedicationPlanItem(**base, action=action, message=message, **extra)
