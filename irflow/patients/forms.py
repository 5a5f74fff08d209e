from __future__ import annotations

from django import forms

from irflow.lib.forms import TextForm
from irflow.patients.drugs import ANTITHROMBOTICS
from irflow.patients.models import (
    AllergyCategory,
    Analyte,
    ConditionCode,
    Frequency,
    Severity,
    Sex,
)
from irflow.patients.services import MSG_SEVERITY
from irflow.web.forms import DateInput, DateTimeInput, VersionedEditForm


class SearchForm(TextForm):
    q = forms.CharField(
        label="Name, MRN or date of birth",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True, "type": "search", "autocomplete": "off"}),
    )


class PatientForm(TextForm):
    mrn = forms.CharField(label="MRN", max_length=64)
    family_name = forms.CharField(label="Family name", max_length=100)
    given_name = forms.CharField(label="Given name", max_length=100)
    birth_date = forms.DateField(label="Date of birth", widget=DateInput())
    sex = forms.ChoiceField(choices=Sex.choices)
    weight_kg = forms.DecimalField(
        label="Weight (kg)", required=False, min_value=0.5, max_value=500, decimal_places=1
    )
    height_cm = forms.DecimalField(
        label="Height (cm)", required=False, min_value=20, max_value=260, decimal_places=1
    )
    phone = forms.CharField(required=False, max_length=40)
    address = forms.CharField(required=False, max_length=300)


class PatientEditForm(VersionedEditForm, PatientForm):
    """Edit patient details: carries the version it was opened at (no lost updates)."""

    edited = (
        "family_name",
        "given_name",
        "birth_date",
        "sex",
        "weight_kg",
        "height_cm",
        "phone",
        "address",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["mrn"]


class AllergyForm(TextForm):
    agent = forms.CharField(max_length=200, help_text="e.g. Iohexol, Penicillin, Latex")
    category = forms.ChoiceField(choices=AllergyCategory.choices)
    severity = forms.ChoiceField(choices=Severity.choices)
    reaction = forms.CharField(required=False, max_length=300)


class MedicationForm(TextForm):
    name = forms.CharField(max_length=200, help_text="As prescribed, e.g. Apixaban 5 mg")
    drug = forms.ChoiceField(
        label="Antithrombotic",
        required=False,
        choices=[("", "— not an antithrombotic —"), *ANTITHROMBOTICS.items()],
    )
    dose = forms.DecimalField(required=False, min_value=0)
    dose_unit = forms.CharField(required=False, max_length=20, initial="mg")
    frequency = forms.ChoiceField(required=False, choices=[("", "—"), *Frequency.choices])
    dose_times = forms.CharField(
        label="Usual dose times", required=False, help_text="e.g. 08:00, 20:00", max_length=100
    )

    def clean_dose_times(self) -> list[str]:
        raw = self.cleaned_data["dose_times"]
        return [t.strip() for t in raw.replace(";", ",").split(",") if t.strip()]


class ReconcileMedicationForm(TextForm):
    """One reported medication as the team corrects it before confirming (the button says
    confirm or reject)."""

    name = forms.CharField(max_length=200)
    drug = MedicationForm.base_fields["drug"]
    frequency = MedicationForm.base_fields["frequency"]
    dose_times = forms.CharField(label="Dose times", required=False, max_length=100)
    clean_dose_times = MedicationForm.clean_dose_times


class ReconcileAllergyForm(TextForm):
    """One reported allergy as the team corrects it before confirming (severity is needed)."""

    agent = forms.CharField(max_length=200)
    category = forms.ChoiceField(choices=AllergyCategory.choices)
    severity = forms.ChoiceField(
        choices=[("", "—"), *Severity.choices], error_messages={"required": MSG_SEVERITY}
    )
    reaction = forms.CharField(required=False, max_length=300)


CONFIRM_AS_TYPED = "Right as typed — save it anyway"


class LabForm(TextForm):
    analyte = forms.ChoiceField(choices=Analyte.choices)
    value = forms.DecimalField(max_digits=8, decimal_places=2)
    collected_at = forms.DateTimeField(label="Collected", widget=DateTimeInput())
    # Offered only once a value was refused as implausible (see `offer_confirmation`).
    confirm_implausible = forms.BooleanField(
        label=CONFIRM_AS_TYPED, required=False, widget=forms.HiddenInput
    )

    def offer_confirmation(self) -> None:
        """After a refusal: show the box that saves an implausible value as typed."""
        if "confirm_implausible" in self.errors or self["confirm_implausible"].value():
            self.fields["confirm_implausible"].widget = forms.CheckboxInput()


class ConditionForm(TextForm):
    code = forms.ChoiceField(label="Condition", choices=ConditionCode.choices)
    note = forms.CharField(required=False, max_length=300)


class MergeForm(TextForm):
    target_id = forms.IntegerField(label="Keep record number", min_value=1)
    reason = forms.CharField(max_length=300)
