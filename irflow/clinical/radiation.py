"""Radiation dose thresholds for the dose module: SRDLs, notifications, follow-up, DRLs.

The rule data keep the published units (Gy, Gy·cm², min); this API speaks the units in its
argument names (mGy, Gy·cm², s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import irflow.clinical.messages as msg
from irflow.clinical.formatting import fmt_number
from irflow.clinical.policy import DEFAULT_POLICY, SitePolicy
from irflow.clinical.rules import Rule, rule, rules_where

AlertLevel = Literal["notification", "srdl", "review"]

NOTIFICATION = "ncrp-168-radiation.notification"
SKIN_FOLLOWUP = "ncrp-168-radiation.skin-followup"
CUMULATIVE_WINDOW = "ncrp-168-radiation.cumulative-window"
CUMULATIVE_REVIEW = "ncrp-168-radiation.cumulative-review"
SRDL_RULES = {
    "ka_r_mgy": "ncrp-168-radiation.srdl.ka-r",
    "psd_mgy": "ncrp-168-radiation.srdl.psd",
    "kap_gy_cm2": "ncrp-168-radiation.srdl.kap",
    "fluoro_time_s": "ncrp-168-radiation.srdl.fluoro-time",
}
QUANTITY_LABELS = {
    "ka_r_mgy": "Reference air kerma",
    "psd_mgy": "Peak skin dose",
    "kap_gy_cm2": "Kerma-area product",
    "fluoro_time_s": "Fluoroscopy time",
    "cumulative_skin_dose_mgy": "Cumulative skin dose",
}
API_UNITS = {
    "ka_r_mgy": "mGy",
    "psd_mgy": "mGy",
    "kap_gy_cm2": "Gy·cm²",
    "fluoro_time_s": "s",
    "cumulative_skin_dose_mgy": "mGy",
}
# Published unit -> (API unit, factor). Unit conversions, not clinical values.
_TO_API_UNIT = {"Gy": ("mGy", 1000.0), "min": ("s", 60.0), "Gy·cm²": ("Gy·cm²", 1.0)}


@dataclass(frozen=True)
class Alert:
    """A dose value that reached a threshold."""

    rule_id: str
    level: AlertLevel
    quantity: str
    value: float
    threshold: float
    unit: str
    source: str
    confidence: str
    verified: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Drl:
    """A diagnostic reference level (75th percentile KAP of a survey) for a procedure group."""

    procedure_group: str
    kap_gy_cm2: float
    rule_id: str
    source: str
    confidence: str
    verified: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def threshold(rule_id: str, param: str = "threshold", policy: SitePolicy = DEFAULT_POLICY) -> float:
    """A threshold in the API's unit (mGy, s or Gy·cm²)."""
    unit = rule(rule_id).values[param].unit
    return policy.number(rule_id, param) * _TO_API_UNIT[unit][1]


def radiation_alerts(
    *,
    ka_r_mgy: float | None = None,
    psd_mgy: float | None = None,
    kap_gy_cm2: float | None = None,
    fluoro_time_s: float | None = None,
    cumulative_skin_dose_mgy: float | None = None,
    policy: SitePolicy = DEFAULT_POLICY,
) -> list[Alert]:
    """Every threshold the given totals reach: the highest notification level, SRDLs, review."""
    given = {
        "ka_r_mgy": ka_r_mgy,
        "psd_mgy": psd_mgy,
        "kap_gy_cm2": kap_gy_cm2,
        "fluoro_time_s": fluoro_time_s,
        "cumulative_skin_dose_mgy": cumulative_skin_dose_mgy,
    }
    for quantity, value in given.items():
        if value is not None and (isinstance(value, bool) or not math.isfinite(value) or value < 0):
            raise ValueError(msg.RADIATION_BAD_VALUE.format(quantity=quantity))
    alerts: list[Alert] = []
    if ka_r_mgy is not None:
        reached = notification_levels(up_to_mgy=ka_r_mgy, policy=policy)
        if reached:
            text = msg.ALERT_NOTIFICATION.format(value=_mgy(ka_r_mgy), threshold=_mgy(reached[-1]))
            alerts.append(
                _alert(NOTIFICATION, "notification", "ka_r_mgy", ka_r_mgy, reached[-1], text)
            )
    for quantity, rule_id in SRDL_RULES.items():
        value = given[quantity]
        limit = threshold(rule_id, policy=policy)
        if value is not None and value >= limit:
            text = msg.ALERT_SRDL.format(
                quantity=QUANTITY_LABELS[quantity],
                value=_show(quantity, value),
                threshold=_show(quantity, limit),
            )
            alerts.append(_alert(rule_id, "srdl", quantity, value, limit, text))
    if cumulative_skin_dose_mgy is not None:
        limit = cumulative_review_threshold_mgy(policy)
        if cumulative_skin_dose_mgy >= limit:
            text = msg.ALERT_REVIEW.format(
                value=_mgy(cumulative_skin_dose_mgy), threshold=_mgy(limit)
            )
            alerts.append(
                _alert(
                    CUMULATIVE_REVIEW,
                    "review",
                    "cumulative_skin_dose_mgy",
                    cumulative_skin_dose_mgy,
                    limit,
                    text,
                )
            )
    return alerts


def notification_levels(
    *, up_to_mgy: float, policy: SitePolicy = DEFAULT_POLICY
) -> tuple[float, ...]:
    """Ka,r notification levels in mGy reached by `up_to_mgy`: first, first + step, …"""
    first = threshold(NOTIFICATION, "first", policy)
    step = threshold(NOTIFICATION, "step", policy)
    if up_to_mgy < first:
        return ()
    count = int((up_to_mgy - first) // step) + 1
    return tuple(first + i * step for i in range(count))


def next_notification_mgy(ka_r_mgy: float, policy: SitePolicy = DEFAULT_POLICY) -> float:
    """The next Ka,r level (mGy) at which the operator is told."""
    reached = notification_levels(up_to_mgy=ka_r_mgy, policy=policy)
    if not reached:
        return threshold(NOTIFICATION, "first", policy)
    return reached[-1] + threshold(NOTIFICATION, "step", policy)


def skin_followup_window_days(policy: SitePolicy = DEFAULT_POLICY) -> tuple[int, int]:
    """Days after the procedure during which the skin check falls (site default)."""
    return (
        int(policy.number(SKIN_FOLLOWUP, "from_days")),
        int(policy.number(SKIN_FOLLOWUP, "to_days")),
    )


def cumulative_window_days(policy: SitePolicy = DEFAULT_POLICY) -> int:
    """Days over which doses of repeated procedures are summed (site setting)."""
    return int(policy.number(CUMULATIVE_WINDOW, "days"))


def cumulative_review_threshold_mgy(policy: SitePolicy = DEFAULT_POLICY) -> float:
    """Cumulative skin dose (mGy) that triggers a review (site default, not a regulation)."""
    return threshold(CUMULATIVE_REVIEW, policy=policy)


def drl_groups() -> tuple[str, ...]:
    """Procedure groups with a diagnostic reference level."""
    return tuple(r.attr("procedure_group") for r in _drl_rules())


def drl_for(procedure_group: str, policy: SitePolicy = DEFAULT_POLICY) -> Drl | None:
    """The DRL for a procedure group, or None when no survey covers it."""
    for r in _drl_rules():
        if r.attr("procedure_group") == procedure_group:
            return Drl(
                procedure_group=procedure_group,
                kap_gy_cm2=threshold(r.id, "kap", policy),
                rule_id=r.id,
                source=r.source,
                confidence=r.confidence,
                verified=r.verified,
            )
    return None


def _drl_rules() -> tuple[Rule, ...]:
    return tuple(r for r in rules_where() if r.attr("procedure_group"))


def _alert(
    rule_id: str, level: AlertLevel, quantity: str, value: float, limit: float, text: str
) -> Alert:
    r = rule(rule_id)
    return Alert(
        rule_id=rule_id,
        level=level,
        quantity=quantity,
        value=value,
        threshold=limit,
        unit=API_UNITS[quantity],
        source=r.source,
        confidence=r.confidence,
        verified=r.verified,
        message=text,
    )


def _mgy(value: float) -> str:
    return f"{fmt_number(value)} mGy"


def _show(quantity: str, value: float) -> str:
    return f"{fmt_number(value)} {API_UNITS[quantity]}"
