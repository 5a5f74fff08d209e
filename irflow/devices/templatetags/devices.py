"""Devices in situ on other pages: the department board and the patient chart.

{% include "devices/_board.html" %}     overdue devices (needs `request`)
{% include "devices/_chart.html" %}     the patient's devices (needs `patient`)
"""

from __future__ import annotations

from django import template

from irflow.devices.models import RemovalReason

register = template.Library()


@register.simple_tag
def removal_reasons():
    return RemovalReason.choices


@register.simple_tag
def device_badge(line) -> dict[str, str]:
    """Status in words and colour: removed, overdue by N days, due in N days."""
    if line.device.status == "removed":
        return {"text": "Removed", "css": "tag-ok"}
    if line.overdue:
        days = line.days_overdue
        return {"text": f"Overdue by {days} day{'s' if days != 1 else ''}", "css": "tag-bad"}
    if line.days_left == 0:
        return {"text": "Due today", "css": "tag-warn"}
    if line.days_left <= 14:
        return {"text": f"Due in {line.days_left} days", "css": "tag-warn"}
    return {"text": f"Due {line.device.due_on:%d %b %Y}", "css": "tag-info"}
