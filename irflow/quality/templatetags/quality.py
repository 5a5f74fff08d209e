"""Filters of the quality pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)


@register.filter
def pct(value: float | None) -> str:
    """A fraction as a percentage with one decimal (— when there is none)."""
    return "—" if value is None else f"{value * 100:.1f} %"
