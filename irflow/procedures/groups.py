"""The procedure record in field groups, declared once.

The page autosaves one group at a time and the API saves the same groups; both reach
`procedure_record_update`, which validates the group with these forms, so a value is refused
with the same words wherever it was typed. Lengths and choices come from the model, which
takes its choices from the clinical core's vocabulary. The page shows these forms as they
are, times apart: it asks for a time of day on the booking's day (`forms.TimesForm`) and
sends instants, which `TimesGroup` checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from irflow.lib.errors import ValidationFailed
from irflow.lib.forms import TextForm
from irflow.procedures.models import AccessSite, Monitoring, ProcedureRecord

MSG_UNKNOWN_GROUP = "“{group}” is not a part of the procedure record."
MSG_UNKNOWN_FIELDS = "Not a field of {group}: {fields}."
MSG_TEXT = "Give text."
MSG_TOO_LONG = "At most %(limit_value)d characters (%(show_value)d given)."
MSG_CHOICE = "“%(value)s” is not one of the choices."
MSG_LIST = "Give a list of choices."
MSG_NUMBER = "“%(value)s” is not a number."
MSG_PLACES = "Give at most %(max)s decimal place."
MSG_TIME = "“%(value)s” is not a time."
MSG_NAIVE_TIME = "Give the time with its time zone."
MSG_CONTRAST_NEGATIVE = "The contrast volume cannot be negative ({value} ml)."
MSG_CONTRAST_TOO_MUCH = "{value} ml of contrast is more than the {limit} ml this field accepts."
MSG_ACCESS_NONE_ALONE = "“None” cannot be recorded together with an access site."
MSG_END_BEFORE_START = "The end time ({end}) is before the start time ({start})."
MSG_TIME_ORDER = "The {later} ({later_at}) cannot be before the {earlier} ({earlier_at})."

CONTRAST_LIMIT_ML = Decimal("2000")
TIME_FIELDS = [
    ("in_room_at", "time in room"),
    ("started_at", "start time"),
    ("ended_at", "end time"),
    ("out_at", "time out of room"),
]


def _column(name: str) -> Any:
    return ProcedureRecord._meta.get_field(name)


def _shown(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _hhmm(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


class Text(forms.CharField):
    """Text of the record, as long as its column allows; a number or a list is refused."""

    default_error_messages = {"not_text": MSG_TEXT, "max_length": MSG_TOO_LONG}

    def __init__(self, name: str, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", _column(name).max_length)
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> str | None:
        if value is not None and not isinstance(value, str):
            raise ValidationError(self.error_messages["not_text"], code="not_text")
        return super().to_python(value)


class Choice(forms.ChoiceField):
    """One of the column's choices; blank is "not recorded"."""

    default_error_messages = {"invalid_choice": MSG_CHOICE}

    def __init__(self, name: str, **kwargs: Any) -> None:
        choices = list(_column(name).choices)
        if "" not in dict(choices):
            choices.insert(0, ("", "—"))
        super().__init__(choices=choices, required=False, **kwargs)


class Choices(forms.MultipleChoiceField):
    """Any of a vocabulary's choices, each once, in the order given."""

    default_error_messages = {"invalid_choice": MSG_CHOICE, "invalid_list": MSG_LIST}

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple(attrs={"class": "choice"}))
        super().__init__(choices=choices, required=False, **kwargs)

    def clean(self, value: Any) -> list[str]:
        return list(dict.fromkeys(super().clean(value)))


class ContrastVolume(forms.DecimalField):
    """Millilitres of contrast as typed (a comma for the decimal point too), within the column
    and at most CONTRAST_LIMIT_ML."""

    default_error_messages = {"max_decimal_places": MSG_PLACES}

    def __init__(self, name: str, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "class": "short"})
        )
        super().__init__(decimal_places=_column(name).decimal_places, required=False, **kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        typed = value.strip().replace(",", ".") if isinstance(value, str) else value
        try:
            if isinstance(typed, bool) or not isinstance(typed, str | int | float | Decimal):
                raise InvalidOperation
            number = Decimal(str(typed))
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation as exc:
            raise ValidationError(MSG_NUMBER, code="invalid", params={"value": value}) from exc
        return number

    def validate(self, value: Decimal | None) -> None:
        super().validate(value)  # type: ignore[arg-type]
        if value is not None and value < 0:
            raise ValidationError(MSG_CONTRAST_NEGATIVE.format(value=_shown(value)))
        if value is not None and value > CONTRAST_LIMIT_ML:
            raise ValidationError(
                MSG_CONTRAST_TOO_MUCH.format(value=_shown(value), limit=CONTRAST_LIMIT_ML)
            )


class Instant(forms.Field):
    """A moment with its time zone (an ISO 8601 text or a datetime); naive times are refused."""

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError as exc:
                raise ValidationError(MSG_TIME, code="invalid", params={"value": value}) from exc
        if not isinstance(value, datetime) or timezone.is_naive(value):
            raise ValidationError(MSG_NAIVE_TIME, code="naive")
        return value


def time_order_errors(values: Mapping[str, datetime | None]) -> dict[str, str]:
    """Field messages for times out of order (in room ≤ start ≤ end ≤ out)."""
    errors: dict[str, str] = {}
    start, end = values.get("started_at"), values.get("ended_at")
    if start is not None and end is not None and end < start:
        errors["ended_at"] = MSG_END_BEFORE_START.format(end=_hhmm(end), start=_hhmm(start))
    known = [(f, label, values.get(f)) for f, label in TIME_FIELDS]
    for index, (later, later_label, later_at) in enumerate(known):
        if later_at is None or later in errors:
            continue
        for _earlier, earlier_label, earlier_at in known[:index]:
            if earlier_at is not None and later_at < earlier_at:
                errors[later] = MSG_TIME_ORDER.format(
                    later=later_label,
                    later_at=_hhmm(later_at),
                    earlier=earlier_label,
                    earlier_at=_hhmm(earlier_at),
                )
                break
    return errors


class TimesGroup(TextForm):
    in_room_at = Instant(required=False)
    started_at = Instant(required=False)
    ended_at = Instant(required=False)
    out_at = Instant(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field, message in time_order_errors(cleaned).items():
            if field in cleaned:
                self.add_error(field, message)
        return cleaned


class AccessGroup(TextForm):
    access_sites = Choices(AccessSite.choices, label="Access sites")
    access_note = Text("access_note", label="Access note")

    def clean_access_sites(self) -> list[str]:
        sites = self.cleaned_data["access_sites"]
        if AccessSite.NONE in sites and len(sites) > 1:
            raise ValidationError(MSG_ACCESS_NONE_ALONE)
        return sites


class SedationGroup(TextForm):
    sedation_depth = Choice("sedation_depth", label="Depth")
    asa_class = Choice("asa_class", label="ASA class")
    asa_emergency = forms.BooleanField(label="Emergency (E)", required=False)
    mallampati = Choice("mallampati", label="Mallampati")
    monitoring = Choices(Monitoring.choices, label="Monitoring")


class ContrastGroup(TextForm):
    contrast_agent = Text("contrast_agent", label="Agent")
    contrast_ml = ContrastVolume("contrast_ml", label="Volume (ml)")
    contrast_route = Choice("contrast_route", label="Route")


class FindingsGroup(TextForm):
    findings = Text("findings", label="Findings", widget=forms.Textarea(attrs={"rows": 4}))
    intra_procedure_events = Text(
        "intra_procedure_events",
        label="Intra-procedure events",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Anything unexpected; record adverse events below as well.",
    )


class OutcomeGroup(TextForm):
    technical_success = Choice("technical_success", label="Technical success")
    technical_success_note = Text("technical_success_note", label="Note")
    clinical_success = Choice("clinical_success", label="Clinical success")
    clinical_success_note = Text("clinical_success_note", label="Clinical note")


# The groups in the order of the page, with their titles.
GROUPS: dict[str, tuple[str, type[forms.Form]]] = {
    "times": ("Times", TimesGroup),
    "access": ("Access", AccessGroup),
    "sedation": ("Sedation and monitoring", SedationGroup),
    "contrast": ("Contrast", ContrastGroup),
    "findings": ("Findings", FindingsGroup),
    "outcome": ("Outcome", OutcomeGroup),
}


def fields_of(group: str) -> tuple[str, ...]:
    return tuple(GROUPS[group][1].base_fields)


def clean_group(
    group: str, values: Mapping[str, Any], record: ProcedureRecord | None = None
) -> dict[str, Any]:
    """The typed values of `values` (some fields of one group), checked with the group as it
    will be (the record's values overlaid with `values`); raises ValidationFailed naming the
    fields."""
    if group not in GROUPS:
        raise ValidationFailed({"group": MSG_UNKNOWN_GROUP.format(group=group)})
    fields = fields_of(group)
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValidationFailed(
            {"group": MSG_UNKNOWN_FIELDS.format(group=group, fields=", ".join(unknown))}
        )
    current = {name: getattr(record, name) for name in fields} if record is not None else {}
    form = GROUPS[group][1](data={**current, **values})
    if not form.is_valid():
        raise ValidationFailed(
            {name: [str(m) for m in errors] for name, errors in form.errors.items()}
        )
    return {name: form.cleaned_data[name] for name in values}
