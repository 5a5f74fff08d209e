"""How a form field is drawn: its input tied to its help and its messages, its label saying
whether it may be left empty (web/_field.html, web/_errors.html)."""

from __future__ import annotations

from django import template
from django.forms import BoundField, Form
from django.utils.safestring import SafeString

register = template.Library()


def described_by(bound: BoundField, *, messages_always: bool = False) -> str:
    """The ids that describe the input, in reading order: its help, what the widget names
    itself (e.g. a scan's answer), its messages (always, when an autosave answer fills
    their container later)."""
    ids = [f"{bound.auto_id}_helptext"] if bound.help_text else []
    ids += str(bound.field.widget.attrs.get("aria-describedby", "")).split()
    if bound.errors or messages_always:
        ids.append(f"{bound.auto_id}_error")
    return " ".join(ids)


@register.filter
def describedby(bound: BoundField) -> str:
    """The ids that describe a field (for a fieldset of choices, which Django leaves bare)."""
    return described_by(bound)


@register.simple_tag
def field_input(bound: BoundField, messages_always: bool = False) -> SafeString:
    """The input with aria-describedby naming its help and its messages (Django's own
    would drop them when the widget names an element of its own) and aria-invalid."""
    if bound.use_fieldset or not bound.auto_id:
        return bound.as_widget()
    ids = described_by(bound, messages_always=messages_always)
    return bound.as_widget(attrs={"aria-describedby": ids} if ids else None)


@register.filter
def need(bound: BoundField) -> str:
    """What the label says about leaving the field empty: nothing when it is required,
    the case that requires it (the form's `REQUIRED_WHEN`), else "optional"."""
    if bound.field.required:
        return ""
    return getattr(bound.form, "REQUIRED_WHEN", {}).get(bound.name, "optional")


@register.simple_tag
def form_problems(form: Form) -> list[tuple[str, str, str]]:
    """Every message of a bound form as (anchor id, field label, message), form-wide ones
    first (no anchor, no label): the summary at the top of the form links to each field."""
    if not form.is_bound:
        return []
    rows = [("", "", str(message)) for message in form.non_field_errors()]
    for bound in form:
        anchor = bound.id_for_label or bound.auto_id or ""
        if bound.use_fieldset and bound.auto_id:
            anchor = f"{bound.auto_id}_0"
        if bound.is_hidden:
            anchor = ""  # nothing to go to: the message stands alone
        rows += [(anchor, str(bound.label), str(message)) for message in bound.errors]
    return rows
