from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from irflow.lib.forms import TextForm
from irflow.registry.datasets import FAMILIES

MSG_PERIOD = "The period must end on or after the day it starts."


def _default_start() -> date:
    today = timezone.localdate()
    return today.replace(day=1) - timedelta(days=365 - 30)


class PeriodForm(TextForm):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", MSG_PERIOD)
        return data


class RegistryForm(PeriodForm):
    family = forms.ChoiceField(
        label="Procedure family", choices=[(f.code, f.label) for f in FAMILIES]
    )
    identified = forms.BooleanField(
        label="Identified export (names, MRN and birth date; logged per patient)", required=False
    )

    field_order = ["family", "start", "end", "identified"]


def initial_period() -> dict[str, date]:
    today = timezone.localdate()
    return {"start": _default_start(), "end": today}


def bound(form_class, request, **kwargs):
    """The form bound to the query string, or to the default period when the page opens."""
    data = request.GET if "start" in request.GET else None
    if data is None:
        defaults = initial_period()
        data = {k: v.isoformat() for k, v in defaults.items()} | kwargs
    return form_class(data)
