"""The rows of each chart of the devices and safety page, as its table view and its CSV and
XLSX downloads show them."""

from __future__ import annotations

from django.utils import timezone

from irflow.quality.safety.figures import TASK_STATES, SafetyDashboard
from irflow.quality.stats import Rate

# --- Tables (the charts' table views and downloads) ---------------------------------------


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def _rate_cells(rate: Rate) -> list:
    return [_pct(rate.value), _pct(rate.low), _pct(rate.high)]


def table(data: SafetyDashboard, chart: str) -> tuple[list[str], list[list]]:
    """The rows of one chart, as its table view and CSV/XLSX download show them."""
    if chart == "srdl":
        columns = [
            "procedure",
            "procedures",
            "srdl_cases",
            "followup_due",
            "followup_done",
            "completion_pct",
            "completion_ci_low_pct",
            "completion_ci_high_pct",
            "followup_overdue_open",
            "without_followup_task",
        ]
        return columns, [
            [
                r.label,
                r.procedures,
                r.srdl,
                r.due,
                r.done,
                *_rate_cells(r.completion),
                r.overdue,
                r.no_task,
            ]
            for r in data.srdl
        ]
    if chart == "ivc":
        i = data.ivc
        columns = [
            "placed",
            "retrieved",
            "retrieval_pct",
            "retrieval_ci_low_pct",
            "retrieval_ci_high_pct",
            "median_dwell_days",
            "in_situ_not_yet_due",
            "in_situ_past_planned_date",
            "not_retrieved",
        ]
        return columns, [
            [
                i.counts["placed"],
                i.counts["retrieved"],
                *_rate_cells(i.retrieval),
                i.median_dwell_days,
                i.counts["in_situ"],
                i.counts["overdue"],
                i.counts["not_retrieved"],
            ]
        ]
    if chart == "overdue_devices":
        return ["device_kind", "overdue_in_situ"], [
            [r.label, r.count] for r in data.overdue_devices
        ]
    if chart == "followup":
        columns = [
            "kind",
            "due",
            "completed",
            "completed_on_time",
            "completed_late",
            "open_overdue",
            "open_not_yet_due",
            "completion_pct",
            "completion_ci_low_pct",
            "completion_ci_high_pct",
        ]
        return columns, [
            [r.label, *(r.counts[s] for s in TASK_STATES), *_rate_cells(r.completion)]
            for r in data.followup
        ]
    if chart == "checklists":
        columns = [
            "phase",
            "cases_completed",
            "cases",
            "completion_pct",
            "completion_ci_low_pct",
            "completion_ci_high_pct",
        ]
        return columns, [
            [r.label, r.rate.numerator, r.rate.denominator, *_rate_cells(r.rate)]
            for r in data.checklists
        ]
    if chart == "overrides":
        columns = [
            "procedure",
            "procedures",
            "cases_with_readiness_override",
            "readiness_overrides",
            "cases_with_emergency_override",
            "emergency_overrides",
        ]
        return columns, [
            [
                r.label,
                r.procedures,
                r.readiness_cases,
                r.readiness,
                r.emergency_cases,
                r.emergency,
            ]
            for r in data.overrides
        ]
    if chart == "override_list":
        columns = [
            "kind",
            "at",
            "by",
            "procedure",
            "rule",
            "finding_or_refusal",
            "reason",
            "procedure_record",
        ]
        return columns, [
            [
                e.kind,
                timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"),
                e.by,
                e.procedure,
                e.rule,
                e.finding,
                e.reason,
                e.record_id,
            ]
            for e in data.override_list
        ]
    raise ValueError(f"unknown chart {chart!r}")


CHARTS = ("srdl", "ivc", "overdue_devices", "followup", "checklists", "overrides", "override_list")
