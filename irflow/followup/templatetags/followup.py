"""Template tags that let other pages (the chart, the board) show follow-up tasks."""

from __future__ import annotations

from django import template
from django.utils import timezone

register = template.Library()


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
