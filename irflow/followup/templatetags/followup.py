"""Template tags that let other pages (the chart, the board) show follow-up tasks."""

from __future__ import annotations

from django import template
from django.utils import timezone

from irflow.accounts.permissions import can
from irflow.followup import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def patient_followups(context, patient):
    """The patient's tasks for the reader, or None when the reader may not see them."""
    user = context["request"].user
    return selectors.followups_for_chart(actor=user, patient=patient)


@register.simple_tag(takes_context=True)
def followups_due_today(context):
    """Tasks due or overdue today for the reader, or None when they may not see them."""
    user = context["request"].user
    if not can(user, "followup.view"):
        return None
    return selectors.followups_due(actor=user, on=timezone.localdate())


@register.simple_tag(takes_context=True)
def followup_permissions(context) -> dict[str, bool]:
    """What the reader may do with tasks (buttons shown accordingly)."""
    user = context["request"].user
    return {
        "acknowledge": can(user, "followup.acknowledge"),
        "manage": can(user, "followup.manage"),
    }


@register.simple_tag
def task_badge(task) -> dict[str, str]:
    """Status in words and colour: overdue, due now, not due yet, acknowledged, done."""
    today = timezone.localdate()
    if task.status == "done":
        return {"text": "Done", "css": "tag-ok"}
    if task.status == "cancelled":
        return {"text": "Cancelled", "css": "tag-info"}
    if task.due_date < today:
        days = (today - task.due_date).days
        return {"text": f"Overdue by {days} day{'s' if days != 1 else ''}", "css": "tag-bad"}
    if task.falls_due_on <= today:
        return {"text": "Due now", "css": "tag-warn"}
    return {"text": "Not due yet", "css": "tag-info"}
