"""Number formats of the dose pages: units always written, empty values shown as a dash."""

from __future__ import annotations

from datetime import date

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def dose(value, digits: int = 1) -> str:
    """A dose number with grouped thousands, or “—” when the report gives none."""
    if value is None or value == "":
        return "—"
    return floatformat(value, f"{digits}g")


@register.filter
def iso_day(value: str):
    """An ISO date text (as JSON keeps it) as a date, for the `date` filter."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@register.filter
def duration(value) -> str:
    """Seconds as “4 min 12 s”."""
    if value is None or value == "":
        return "—"
    total = round(float(value))
    minutes, seconds = divmod(total, 60)
    if minutes >= 60:
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


@register.filter
def level_tag(level: str) -> str:
    """Alert level -> tag colour class."""
    return {"srdl": "tag-bad", "review": "tag-bad", "notification": "tag-warn"}.get(
        level, "tag-info"
    )


@register.filter
def link_tag(status: str) -> str:
    return {"linked": "tag-ok", "unmatched": "tag-warn", "mismatch": "tag-bad"}.get(
        status, "tag-info"
    )


@register.filter
def person_name(value: str) -> str:
    """A DICOM person name as people write it: “Testperson^Anna” -> “TESTPERSON, Anna”."""
    if not value:
        return ""
    family, _, rest = value.partition("^")
    given = " ".join(p for p in rest.split("^") if p)
    return f"{family.upper()}, {given}" if given else family.upper()
