from __future__ import annotations

from django import forms

from irflow.clinical import rule
from irflow.clinical.medications import BRIDGING
from irflow.lib.forms import TextForm
from irflow.patients.models import Analyte
from irflow.readiness.models import (
    ARTERIAL_ACCESS_CHOICES,
    CONSENT_CHOICES,
    CONTRAST_ROUTE_CHOICES,
    PREMEDICATION_CHOICES,
    SEDATION_CHOICES,
    THROMBOTIC_RISK_CHOICES,
    Anuric,
    Stay,
)
from irflow.web.forms import DateTimeInput

# The examples the rule data give for each level (asked for patients on warfarin: it decides
# the bridging).
_BRIDGING = rule(BRIDGING)
THROMBOTIC_RISK_HELP = (
    "Decides bridging for patients on warfarin. "
    f"High — e.g. {_BRIDGING.attr('examples_high')}. "
    f"Moderate — {_BRIDGING.attr('examples_moderate')}. "
    f"Low — e.g. {_BRIDGING.attr('examples_low')}."
)


def _blank(choices, label: str = "Not recorded") -> list[tuple[str, str]]:
    return [("", label), *[(v, lbl) for v, lbl in choices if v]]


class PreparationForm(TextForm):
    sedation = forms.ChoiceField(
        label="Sedation plan", choices=_blank(SEDATION_CHOICES), required=False
    )
    contrast_route = forms.ChoiceField(
        label="Iodinated contrast", choices=_blank(CONTRAST_ROUTE_CHOICES), required=False
    )
    premedication = forms.ChoiceField(
        label="Contrast premedication", choices=PREMEDICATION_CHOICES, required=False
    )
    access_site = forms.ChoiceField(
        label="Arterial access", choices=_blank(ARTERIAL_ACCESS_CHOICES), required=False
    )
    consent = forms.ChoiceField(label="Consent", choices=CONSENT_CHOICES, required=False)
    stay = forms.ChoiceField(label="Stay", choices=Stay.choices, required=False)
    medications_confirmed = forms.BooleanField(
        label="Medication list checked with the patient", required=False
    )
    thrombotic_risk = forms.ChoiceField(
        label="Thrombotic risk if anticoagulation is interrupted",
        choices=_blank(THROMBOTIC_RISK_CHOICES),
        required=False,
        help_text=THROMBOTIC_RISK_HELP,
    )
    allergies_confirmed = forms.BooleanField(
        label="Allergies asked about (none if the chart lists none)", required=False
    )
    anuric = forms.ChoiceField(
        label="Dialysis patients: passes urine?", choices=Anuric.choices, required=False
    )
    intake_asked = forms.BooleanField(
        label="Asked about food and drink (blank times = none taken)", required=False
    )
    last_clear_fluids_at = forms.DateTimeField(
        label="Last clear fluids", required=False, widget=DateTimeInput()
    )
    last_light_meal_at = forms.DateTimeField(
        label="Last light meal", required=False, widget=DateTimeInput()
    )
    last_fatty_meal_at = forms.DateTimeField(
        label="Last fatty meal", required=False, widget=DateTimeInput()
    )
    last_milk_at = forms.DateTimeField(
        label="Last formula or non-human milk", required=False, widget=DateTimeInput()
    )
    last_breast_milk_at = forms.DateTimeField(
        label="Last breast milk", required=False, widget=DateTimeInput()
    )


class QuickLabForm(TextForm):
    """One missing lab, recorded from the readiness page."""

    analyte = forms.ChoiceField(choices=Analyte.choices, widget=forms.HiddenInput)
    value = forms.DecimalField(max_digits=8, decimal_places=2)
    collected_at = forms.DateTimeField(label="Collected", widget=DateTimeInput())
    confirm_implausible = forms.BooleanField(required=False)


class LastDoseForm(TextForm):
    medication_id = forms.IntegerField(widget=forms.HiddenInput)
    taken_at = forms.DateTimeField(label="Last dose taken", widget=DateTimeInput())


class AcknowledgeForm(TextForm):
    finding_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    reason = forms.CharField(label="Reason for overriding", max_length=500)


class BleedingRiskForm(TextForm):
    category = forms.ChoiceField(
        label="Bleeding-risk category", choices=[("low", "Low"), ("high", "High")]
    )


class PolicyValueForm(TextForm):
    rule_id = forms.CharField(widget=forms.HiddenInput, max_length=100)
    param = forms.CharField(widget=forms.HiddenInput, max_length=100)
    value = forms.CharField(required=False, max_length=500)


class LetterheadForm(TextForm):
    """The hospital and department printed on patient letters (blank: left out)."""

    hospital_name = forms.CharField(label="Hospital", required=False, max_length=200)
    department_name = forms.CharField(label="Department", required=False, max_length=200)
    department_phone = forms.CharField(label="Department phone", required=False, max_length=40)
    out_of_hours_phone = forms.CharField(
        label="Out-of-hours phone",
        required=False,
        max_length=40,
        help_text="For patients who are unwell after their procedure, outside working hours.",
    )
    department_address = forms.CharField(
        label="Department address",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ArrivalForm(TextForm):
    arrival_lead_min = forms.IntegerField(
        label="Patients arrive this many minutes before the start", min_value=0, max_value=480
    )
