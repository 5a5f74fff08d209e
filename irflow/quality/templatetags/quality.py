"""Filters of the quality pages."""

from __future__ import annotations

from typing import Any

from django import template

from irflow.referrals.waiting import format_hours

register = template.Library()


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)


@register.filter
def pct(value: float | None) -> str:
    """A fraction as a percentage with one decimal (— when there is none)."""
    return "—" if value is None else f"{value * 100:.1f} %"


@register.filter
def hours(value: float | None) -> str:
    """A wait in hours, as a QI lead reads it: '45 min', '5.5 h', '3.2 days'."""
    return format_hours(value)
