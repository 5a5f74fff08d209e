"""Forms of the recovery page."""

from __future__ import annotations

from django import forms

from irflow.recovery.models import Disposition
from irflow.web.forms import DateTimeInput


class PainForm(forms.Form):
    # Text, not a number field: the service's refusal of 11 or -1 is the message shown.
    score = forms.CharField(
        label="Pain score (NRS 0–10)",
        max_length=4,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "class": "short", "autocomplete": "off"}
        ),
    )
    recorded_at = forms.DateTimeField(
        label="Time of the score", required=False, widget=DateTimeInput()
    )
    note = forms.CharField(label="Note", required=False, max_length=200)


class NotesForm(forms.Form):
    observations = forms.CharField(
        label="Observations summary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Vital signs, puncture site, mobilisation, eating and drinking.",
    )
    discharge_instructions = forms.CharField(
        label="Discharge instructions (printed for the patient)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class DischargeForm(forms.Form):
    disposition = forms.ChoiceField(
        label="Discharge", choices=Disposition.choices, widget=forms.RadioSelect
    )
    admitted_to = forms.CharField(label="Admitted to (ward)", required=False, max_length=100)
    discharged_at = forms.DateTimeField(label="Discharge time", widget=DateTimeInput())
