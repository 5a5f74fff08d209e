"""Forms of outcomes: an adverse event, and the outcome of a follow-up call or visit."""

from __future__ import annotations

from typing import cast

from django import forms

from irflow.clinical import grade_system
from irflow.outcomes.models import (
    AeOutcome,
    Attribution,
    ContactKind,
    Detection,
    ImagingResponse,
    NormalActivity,
)
from irflow.web.forms import DateTimeInput


def _grades(system: str, optional: bool) -> list[tuple[str, str]]:
    choices = [(g.code, g.label) for g in grade_system(system).grades]
    return [("", "—"), *choices] if optional else choices


class AdverseEventForm(forms.Form):
    onset_at = forms.DateTimeField(label="Onset", widget=DateTimeInput())
    detection = forms.ChoiceField(label="Detected", choices=Detection.choices)
    description = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 2}))
    sir_grade = forms.ChoiceField(label="SIR 2017 grade", choices=())
    legacy_sir_class = forms.ChoiceField(label="Legacy SIR class", choices=(), required=False)
    cirse_grade = forms.ChoiceField(label="CIRSE grade", choices=(), required=False)
    attribution = forms.ChoiceField(label="Attributed to", choices=Attribution.choices)
    management = forms.CharField(
        label="Management", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.ChoiceField(label="Outcome", choices=AeOutcome.choices)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, system, optional in (
            ("sir_grade", "sir-2017", False),
            ("legacy_sir_class", "sir-legacy", True),
            ("cirse_grade", "cirse-2017", True),
        ):
            cast(forms.ChoiceField, self.fields[name]).choices = _grades(system, optional)


class VisitOutcomeForm(forms.Form):
    contact = forms.ChoiceField(label="Contact", choices=ContactKind.choices)
    pain_score = forms.CharField(
        label="Pain score (NRS 0–10)",
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "short"}),
    )
    symptoms = forms.CharField(
        label="Symptoms", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    imaging_response = forms.ChoiceField(
        label="Imaging response", choices=ImagingResponse.choices, required=False
    )
    normal_activity = forms.ChoiceField(
        label="Return to normal activity", choices=NormalActivity.choices, required=False
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))
