"""Small display helpers for clinical screens."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()

UNIT_DISPLAY = {
    "10^9/L": "×10⁹/L",
    "umol/L": "µmol/L",
    "mL/min/1.73m2": "mL/min/1.73 m²",
    "Gy.cm2": "Gy·cm²",
}


@register.filter
def unit(value: str) -> str:
    """Lab and dose units as people write them (stored ASCII, shown typographically)."""
    return UNIT_DISPLAY.get(value, value)


@register.filter
def ago(value: datetime | None) -> str:
    """'3 h ago', '16 d ago': one unit, for scanning a list quickly."""
    if value is None:
        return ""
    seconds = (timezone.now() - value).total_seconds()
    if seconds < 0:
        return "in the future"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"
