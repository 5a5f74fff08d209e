"""Devices in situ on other pages: the department board and the patient chart.

{% include "devices/_board.html" %}     overdue devices (needs `request`)
{% include "devices/_chart.html" %}     the patient's devices (needs `patient`)
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from irflow.accounts.permissions import can
from irflow.devices import selectors
from irflow.devices.models import RemovalReason

register = template.Library()


@register.simple_tag(takes_context=True)
def devices_overdue_today(context):
    """Overdue devices for the reader, or None when they may not see devices. The board's
    background refreshes are not access-logged again (the page load was)."""
    request = context["request"]
    if not can(request.user, "device.view"):
        return None
    background = bool(request.headers.get("X-Irflow-Background"))
    return selectors.devices_overdue(
        actor=request.user, on=timezone.localdate(), log=not background
    )


@register.simple_tag(takes_context=True)
def patient_devices(context, patient):
    return selectors.devices_for_chart(
        actor=context["request"].user, patient_id=patient.pk, on=timezone.localdate()
    )


@register.simple_tag(takes_context=True)
def device_permissions(context) -> dict:
    return {"manage": can(context["request"].user, "device.manage")}


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
