"""Template filters of referrals: waiting times in words."""

from __future__ import annotations

from django import template

from irflow.referrals.waiting import format_hours

register = template.Library()


@register.filter
def hours(value: float | None) -> str:
    return format_hours(value)
