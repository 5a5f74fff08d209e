"""Filters that show readiness in words: states, statuses, confidence, rule inputs.

The partials take what the view loaded (they load nothing themselves):

    {% include "readiness/_badge.html" with booking=b readiness=r %}   r: engine.Readiness
    {% include "readiness/_panel.html" with booking=b readiness_view=v %}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from irflow.clinical.inputs import ANALYTES

register = template.Library()

STATE_LABELS = {"ready": "Ready", "needs_review": "Needs review", "not_ready": "Not ready"}
STATUS_LABELS = {
    "pass": "Pass",
    "warning": "Warning",
    "missing_data": "Missing data",
    "action_needed": "Action needed",
}
STATUS_TAGS = {
    "pass": "tag-ok",
    "warning": "tag-warn",
    "missing_data": "tag-bad",
    "action_needed": "tag-bad",
}
CONFIDENCE_LABELS = {
    "V": "Verified source",
    "S": "Single secondary source",
    "U": "Site default — not verified",
}


@register.filter
def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


@register.filter
def status_tag(status: str) -> str:
    return STATUS_TAGS.get(status, "tag-info")


@register.filter
def confidence_label(confidence: str) -> str:
    return CONFIDENCE_LABELS.get(confidence, confidence)


@register.filter
def as_datetime(value: Any) -> datetime | None:
    """An ISO string from a stored evaluation as a datetime in the current time zone."""
    if not value:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return timezone.localtime(moment)


@register.filter
def missing_analytes(finding: dict[str, Any]) -> list[str]:
    """Labs a finding says are missing (so the page can offer to record them)."""

    if finding.get("status") != "missing_data":
        return []
    inputs = finding.get("inputs") or {}
    return [a for a in ANALYTES if a in inputs and inputs[a] is None]


@register.filter
def pretty_inputs(inputs: dict[str, Any]) -> list[tuple[str, str]]:
    shown = []
    for name, value in (inputs or {}).items():
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value) or "none"
        shown.append((name.replace("_", " "), "not recorded" if value is None else str(value)))
    return shown


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return (mapping or {}).get(key)


@register.filter
def join_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@register.filter
def words(name: str) -> str:
    return str(name).replace("_", " ")
